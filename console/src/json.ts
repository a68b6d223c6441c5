// JSON read with its numbers exact. `JSON.parse` turns every number into a double, so `9007199254740993`
// would read as `…992`; hookd keeps integers exact (as 64-bit integers) and compares them so. This parser
// keeps each number's text and its value both as an integer, when hookd holds it as one, and as a double:
// the filter preview then compares exactly as the server does, and a filter or example is shown (and
// sent back) with the digits it was written with.

/** A JSON number: its text; its exact value when hookd holds it as an integer (no fraction, no exponent,
 * within the 64-bit ranges); and its value as a double. */
export class Num {
  constructor(
    readonly text: string,
    readonly int: bigint | null,
    readonly float: number,
  ) {}
}

export type Json = null | boolean | string | Num | Json[] | JsonObject;
/** Objects are Maps: any key (`__proto__` too) is data, and a repeated key keeps its last value. */
export type JsonObject = Map<string, Json>;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

export function num(text: string): Num {
  const float = Number(text);
  if (!Number.isFinite(float)) throw new SyntaxError(`number out of range: ${text}`);
  let int: bigint | null = null;
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    // As serde_json reads numbers: `-0` is a double, and an integer past the 64-bit ranges too.
    const negativeZero = text.startsWith("-") && n === 0n;
    if (!negativeZero && n >= I64_MIN && n <= U64_MAX) int = n;
  }
  return new Num(text, int, float);
}

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text; a `SyntaxError` names the line and column of the problem. */
export function parseJson(text: string): Json {
  let i = 0;
  const fail = (what: string): never => {
    const before = text.slice(0, i).split("\n");
    throw new SyntaxError(`${what} at line ${before.length} column ${before[before.length - 1].length + 1}`);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const string = (): string => {
    STRING.lastIndex = i;
    const m = STRING.exec(text);
    if (!m) fail(i < text.length && text[i] === '"' ? "invalid string" : "expected a string");
    i += m![0].length;
    return JSON.parse(m![0]) as string;
  };
  const value = (depth: number): Json => {
    if (depth > 128) fail("nested too deep");
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const map: JsonObject = new Map();
      space();
      if (text[i] === "}") return (i++, map);
      for (;;) {
        space();
        const key = string();
        space();
        if (text[i] !== ":") fail("expected `:`");
        i++;
        map.set(key, value(depth + 1));
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return (i++, map);
        else fail("expected `,` or `}`");
      }
    }
    if (c === "[") {
      i++;
      const items: Json[] = [];
      space();
      if (text[i] === "]") return (i++, items);
      for (;;) {
        items.push(value(depth + 1));
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return (i++, items);
        else fail("expected `,` or `]`");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) return ((i += word.length), v);
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail(i >= text.length ? "unexpected end of input" : "expected a value");
    try {
      const n = num(m[0]);
      i += m[0].length;
      return n;
    } catch (e) {
      return fail((e as Error).message);
    }
  };
  const result = value(0);
  space();
  if (i < text.length) fail("trailing characters");
  return result;
}

/** A value read by `JSON.parse` (or built in code) as `Json`. */
export function fromPlain(value: unknown): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return num(Object.is(value, -0) ? "-0.0" : String(value));
  if (Array.isArray(value)) return value.map(fromPlain);
  if (typeof value === "object") return new Map(Object.entries(value).map(([k, v]) => [k, fromPlain(v)]));
  return null;
}

export const isObject = (v: Json | undefined): v is JsonObject => v instanceof Map;

/** The value at a path of keys and indexes, or undefined. */
export function at(value: Json | undefined, ...steps: (string | number)[]): Json | undefined {
  for (const step of steps) {
    if (typeof step === "number" && Array.isArray(value)) value = value[step];
    else if (typeof step === "string" && isObject(value)) value = value.get(step);
    else return undefined;
  }
  return value;
}

/** JSON text of a value on one line, with `comma` and `colon` between its parts, numbers as written. */
function flat(value: Json, comma: string, colon: string): string {
  if (value instanceof Num) return value.text;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => flat(v, comma, colon)).join(comma)}]`;
  return `{${[...value].map(([k, v]) => JSON.stringify(k) + colon + flat(v, comma, colon)).join(comma)}}`;
}

/**
 * JSON text of a value, numbers as written: with `indent` 0 on one line and compact; otherwise indented,
 * each object or array that fits in `width` characters kept on one line.
 */
export function printJson(value: Json, indent = 2, width = 72, level = 0): string {
  if (!indent) return flat(value, ",", ":");
  const one = flat(value, ", ", ": ");
  if (value === null || typeof value !== "object" || value instanceof Num) return one;
  if (one.length + indent * level <= width) return one;
  const pad = "\n" + " ".repeat(indent * (level + 1));
  const end = "\n" + " ".repeat(indent * level);
  const parts = Array.isArray(value)
    ? value.map((v) => printJson(v, indent, width, level + 1))
    : [...value].map(([k, v]) => `${JSON.stringify(k)}: ${printJson(v, indent, width, level + 1)}`);
  return Array.isArray(value) ? `[${pad}${parts.join("," + pad)}${end}]` : `{${pad}${parts.join("," + pad)}${end}}`;
}
