// Payload filters (docs/FILTERS.md), checked and evaluated in the browser for the subscription page's
// preview. It follows hookd's own implementation (crates/hookd/src/domain/payload_filter.rs) step by
// step: a filter is first checked against the same rules, reporting the first problem at the same place
// (`filter.$and[1].amount.$gt`), then evaluated by walking only the parts of the payload its paths name.
// The server stays the authority: saving a filter sends it to the API, which checks it again.

import { isObject, Num, type Json, type JsonObject } from "./json";

const ROOT = "filter";
const MAX_NODES = 256;
const MAX_DEPTH = 16;
const MAX_PATH_CHARS = 256;
const MAX_PATH_SEGMENTS = 16;
const MAX_MEMBERS = 256;
const FIELD_OPERATORS = ["$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$not"];

/** A segment of a dotted path; `index` is set when it is all digits (it then also selects an element). */
interface Segment {
  key: string;
  index: number | null;
}

type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | { path: Segment[]; test: Test };

type Comparison = "$gt" | "$gte" | "$lt" | "$lte";

type Test =
  | { equals: Json }
  | { in: Json[] }
  | { compare: Comparison; bound: Num | string }
  | { exists: true }
  | { not: Test }
  | { every: Test[] };

/** A filter that passed the checks, ready to evaluate. */
export interface Filter {
  readonly root: Condition;
}

/** Why a filter would be refused: where in the document (as the server names it) and what is wrong. */
export class FilterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks and compiles a filter document; throws `FilterError` at the first problem. Object entries are
 * visited in the order of their keys' bytes, as the server's JSON maps keep them, so that the problem
 * reported is the one the server reports.
 */
export function compileFilter(source: Json): Filter {
  const c = new Compiler();
  if (!isObject(source)) throw c.error("must be a JSON object");
  return { root: c.condition(source) };
}

/** Whether `payload` passes the filter. */
export function matches(filter: Filter, payload: Json): boolean {
  return holds(filter.root, payload);
}

// ---- Evaluation ------------------------------------------------------------------------------------

function holds(condition: Condition, payload: Json): boolean {
  if ("all" in condition) return condition.all.every((c) => holds(c, payload));
  if ("any" in condition) return condition.any.some((c) => holds(c, payload));
  if ("not" in condition) return !holds(condition.not, payload);
  return passes(condition.test, condition.path, payload);
}

/** A test of one field, over every value its path reaches; negative operators hold for a missing field. */
function passes(test: Test, path: Segment[], payload: Json): boolean {
  if ("equals" in test) {
    const literal = test.equals;
    return anyCandidate(path, payload, (v) => equals(literal, v)) || (literal === null && isMissing(path, payload));
  }
  if ("in" in test) {
    const members = test.in;
    return (
      anyCandidate(path, payload, (v) => members.some((m) => equals(m, v))) ||
      (members.includes(null) && isMissing(path, payload))
    );
  }
  if ("compare" in test) return anyCandidate(path, payload, (v) => admits(test.compare, test.bound, v));
  if ("exists" in test) return !isMissing(path, payload);
  if ("not" in test) return !passes(test.not, path, payload);
  return test.every.every((t) => passes(t, path, payload));
}

function isMissing(path: Segment[], payload: Json): boolean {
  return !walk(payload, path, 0, () => true);
}

/** Whether `accept` holds for a value the path reaches or, when that is an array, for one of its elements. */
function anyCandidate(path: Segment[], payload: Json, accept: (v: Json) => boolean): boolean {
  return walk(payload, path, 0, (v) => accept(v) || (Array.isArray(v) && v.some(accept)));
}

/**
 * Follows the path from `value`, calling `visit` on each value reached until it returns true. A named
 * segment that meets an array continues into those of its elements that are objects (one level only).
 */
function walk(value: Json, path: Segment[], at: number, visit: (v: Json) => boolean): boolean {
  if (at === path.length) return visit(value);
  const segment = path[at];
  if (isObject(value)) {
    const child = value.get(segment.key);
    return child !== undefined && walk(child, path, at + 1, visit);
  }
  if (Array.isArray(value)) {
    if (segment.index !== null) return segment.index < value.length && walk(value[segment.index], path, at + 1, visit);
    return value.some((item) => {
      const child = isObject(item) ? item.get(segment.key) : undefined;
      return child !== undefined && walk(child, path, at + 1, visit);
    });
  }
  return false;
}

/** Integers compare exactly; when either side is not an integer, both compare as doubles. */
function compareNumbers(a: Num, b: Num): number {
  if (a.int !== null && b.int !== null) return a.int < b.int ? -1 : a.int > b.int ? 1 : 0;
  return a.float < b.float ? -1 : a.float > b.float ? 1 : a.float === b.float ? 0 : NaN;
}

/** Strings compare by code point, which is the order of their UTF-8 bytes. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i)! - b.codePointAt(i)!;
  }
  return a.length - b.length;
}

/** Deep equality, numbers by value; objects with the same keys in any order. */
function equals(literal: Json, value: Json): boolean {
  if (literal instanceof Num) return value instanceof Num && compareNumbers(literal, value) === 0;
  if (Array.isArray(literal)) {
    return Array.isArray(value) && literal.length === value.length && literal.every((l, i) => equals(l, value[i]));
  }
  if (isObject(literal)) {
    if (!isObject(value) || literal.size !== value.size) return false;
    for (const [key, l] of literal) {
      const v = value.get(key);
      if (v === undefined || !equals(l, v)) return false;
    }
    return true;
  }
  return literal === value;
}

/** A value of another kind than the bound never passes. */
function admits(comparison: Comparison, bound: Num | string, value: Json): boolean {
  let order: number;
  if (bound instanceof Num && value instanceof Num) order = compareNumbers(value, bound);
  else if (typeof bound === "string" && typeof value === "string") order = compareStrings(value, bound);
  else return false;
  if (Number.isNaN(order)) return false;
  switch (comparison) {
    case "$gt":
      return order > 0;
    case "$gte":
      return order >= 0;
    case "$lt":
      return order < 0;
    case "$lte":
      return order <= 0;
  }
}

// ---- Checking and compiling ------------------------------------------------------------------------

/** The entries of an object in the order of their keys' UTF-8 bytes. */
function entries(map: JsonObject): [string, Json][] {
  return [...map].sort(([a], [b]) => compareStrings(a, b));
}

/** Walks a filter document as the server's compiler does, counting it against the limits. */
class Compiler {
  private trail = ROOT;
  private depth = 0;
  private nodes = 0;

  error(message: string, field = this.trail): FilterError {
    return new FilterError(field, message);
  }

  /** Runs `compile` one level down, at an object key or an array index. */
  private within<T>(step: string | number, compile: () => T): T {
    const saved = this.trail;
    this.trail += typeof step === "number" ? `[${step}]` : `.${step}`;
    this.depth++;
    try {
      return compile();
    } finally {
      this.depth--;
      this.trail = saved;
    }
  }

  /** Counts a value against the limits before looking inside it. */
  private count(value: Json) {
    this.nodes++;
    if (this.nodes > MAX_NODES) throw this.error(`more than ${MAX_NODES} nodes`, ROOT);
    if ((Array.isArray(value) || isObject(value)) && this.depth >= MAX_DEPTH) {
      throw this.error(`nested deeper than ${MAX_DEPTH} levels`);
    }
  }

  condition(value: Json): Condition {
    this.count(value);
    if (!isObject(value)) throw this.error("must be a condition object");
    const parts = entries(value).map(([key, operand]) => this.within(key, () => this.entry(key, operand)));
    return parts.length === 1 ? parts[0] : { all: parts };
  }

  private entry(key: string, operand: Json): Condition {
    if (key === "$and") return { all: this.conditions(operand) };
    if (key === "$or") return { any: this.conditions(operand) };
    if (key === "$not") return { not: this.condition(operand) };
    if (FIELD_OPERATORS.includes(key)) throw this.error(`\`${key}\` must follow a field path`);
    if (key.startsWith("$")) throw this.error(`unknown operator \`${key}\``);
    const path = this.path(key);
    return { path, test: this.fieldCondition(operand) };
  }

  /** The operand of `$and` or `$or`. */
  private conditions(operand: Json): Condition[] {
    this.count(operand);
    if (!Array.isArray(operand) || operand.length === 0) {
      throw this.error("must be a non-empty array of condition objects");
    }
    return operand.map((item, i) => this.within(i, () => this.condition(item)));
  }

  private path(key: string): Segment[] {
    if ([...key].length > MAX_PATH_CHARS) throw this.error(`path longer than ${MAX_PATH_CHARS} characters`);
    const segments: Segment[] = [];
    for (const part of key.split(".")) {
      if (part === "") throw this.error("empty path segment");
      if (segments.length === MAX_PATH_SEGMENTS) {
        throw this.error(`path has more than ${MAX_PATH_SEGMENTS} segments`);
      }
      // An index too large for any array is simply past its end.
      segments.push({ key: part, index: /^[0-9]+$/.test(part) ? Number(part) : null });
    }
    return segments;
  }

  /** What follows a field path, or `$not` inside a field condition. */
  private fieldCondition(operand: Json): Test {
    if (isObject(operand) && [...operand.keys()].some((k) => k.startsWith("$"))) return this.operators(operand);
    return { equals: this.literal(operand, false) };
  }

  private operators(operand: JsonObject): Test {
    this.count(operand);
    const plain = entries(operand).find(([key]) => !key.startsWith("$"));
    if (plain) throw this.error(`mixes operators with the plain key \`${plain[0]}\``);
    const tests = entries(operand).map(([op, arg]) => this.within(op, () => this.operator(op, arg)));
    return tests.length === 1 ? tests[0] : { every: tests };
  }

  private operator(op: string, arg: Json): Test {
    switch (op) {
      case "$eq":
        return { equals: this.literal(arg, true) };
      case "$ne":
        return { not: { equals: this.literal(arg, true) } };
      case "$in":
        return { in: this.members(arg) };
      case "$nin":
        return { not: { in: this.members(arg) } };
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        this.count(arg);
        if (!(arg instanceof Num) && typeof arg !== "string") throw this.error("must be a number or a string");
        return { compare: op, bound: arg };
      case "$exists":
        this.count(arg);
        if (typeof arg !== "boolean") throw this.error("must be true or false");
        return arg ? { exists: true } : { not: { exists: true } };
      case "$not":
        return { not: this.fieldCondition(arg) };
      case "$and":
      case "$or":
        throw this.error(`\`${op}\` is not a field operator`);
      default:
        throw this.error(`unknown operator \`${op}\``);
    }
  }

  /** The list of `$in` or `$nin`: its scalars count against `MAX_MEMBERS` rather than the nodes. */
  private members(arg: Json): Json[] {
    this.count(arg);
    if (!Array.isArray(arg)) throw this.error("must be an array");
    if (arg.length > MAX_MEMBERS) throw this.error(`more than ${MAX_MEMBERS} values`);
    return arg.map((item, i) =>
      typeof item === "string"
        ? item
        : this.within(i, () => (Array.isArray(item) || isObject(item) ? this.literal(item, true) : item)),
    );
  }

  /** A value to compare with; `$` keys inside it are refused unless the operator takes values literally. */
  private literal(value: Json, dollarsAllowed: boolean): Json {
    this.count(value);
    if (Array.isArray(value)) value.forEach((item, i) => this.within(i, () => this.literal(item, dollarsAllowed)));
    if (isObject(value)) {
      for (const [key, item] of entries(value)) {
        this.within(key, () => {
          if (!dollarsAllowed && key.startsWith("$")) {
            throw this.error(
              `operator \`${key}\` inside a value (use a dotted path, or \`$eq\` to match it literally)`,
            );
          }
          this.literal(item, dollarsAllowed);
        });
      }
    }
    return value;
  }
}
