// A JSON Schema shown as an outline: each property with its type, whether it is required, its
// constraints and description, nested objects and array items beneath it. The schema's JSON is shown
// next to it (catalog page) for everything the outline leaves out.

import type { ComponentChildren, JSX } from "preact";

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));

/** The type of a schema in a few words: `string`, `integer | null`, `array of object`, `one of 2`. */
export function typeLabel(s: unknown): string {
  if (s === true) return "anything";
  if (s === false) return "nothing";
  if (!isSchema(s)) return "?";
  if ("const" in s) return `= ${show(s.const)}`;
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(show).join(", ")}`;
  let type = Array.isArray(s.type) ? s.type.join(" | ") : typeof s.type === "string" ? s.type : "";
  if (type === "array" && isSchema(s.items)) type = `array of ${typeLabel(s.items)}`;
  if (!type && typeof s.$ref === "string") type = `→ ${s.$ref}`;
  if (!type && isSchema(s.properties)) type = "object";
  for (const k of ["oneOf", "anyOf", "allOf"] as const) {
    if (!type && Array.isArray(s[k])) type = `${k.replace("Of", " of")} ${s[k].length}`;
  }
  return type || "any";
}

const CONSTRAINTS: [string, string][] = [
  ["format", "format"],
  ["pattern", "pattern"],
  ["minimum", "≥"],
  ["exclusiveMinimum", ">"],
  ["maximum", "≤"],
  ["exclusiveMaximum", "<"],
  ["multipleOf", "multiple of"],
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["minItems", "min items"],
  ["maxItems", "max items"],
  ["uniqueItems", "unique items"],
  ["default", "default"],
];

function constraints(s: Schema): string[] {
  const out = CONSTRAINTS.filter(([k]) => k in s).map(([k, label]) =>
    k === "format" || k === "pattern" ? `${label} ${String(s[k])}` : `${label} ${show(s[k])}`,
  );
  if (s.additionalProperties === false) out.push("no other properties");
  return out;
}

/** The schema's outline, starting with the type of the payload itself. */
export function SchemaOutline({ schema }: { schema: unknown }) {
  return (
    <ul class="schema-tree" aria-label="Schema outline">
      <SchemaNode name="payload" schema={schema} root />
    </ul>
  );
}

function SchemaNode({
  name,
  schema,
  required,
  root,
}: {
  name: ComponentChildren;
  schema: unknown;
  required?: boolean;
  root?: boolean;
}) {
  const s = isSchema(schema) ? schema : {};
  const notes = constraints(s);
  const children = childrenOf(s);
  return (
    <li>
      <span class="schema-line">
        <code class={root ? "prop root" : "prop"}>{name}</code> <span class="schema-type">{typeLabel(schema)}</span>
        {required && <span class="badge warn">required</span>}
        {s.deprecated === true && <span class="badge muted">deprecated</span>}
        {notes.length > 0 && <span class="muted small">{notes.join(" · ")}</span>}
      </span>
      {typeof s.description === "string" && <div class="schema-desc">{s.description}</div>}
      {children.length > 0 && <ul>{children}</ul>}
    </li>
  );
}

/** What is nested in a schema: its properties, its items' properties, the branches of a combinator. */
function childrenOf(s: Schema): JSX.Element[] {
  const out: JSX.Element[] = [];
  const required = Array.isArray(s.required) ? s.required.map(String) : [];
  if (isSchema(s.properties)) {
    for (const [key, sub] of Object.entries(s.properties)) {
      out.push(<SchemaNode key={`p:${key}`} name={key} schema={sub} required={required.includes(key)} />);
    }
  }
  // Required names without a property schema still say something.
  for (const key of required.filter((k) => !isSchema(s.properties) || !(k in s.properties))) {
    out.push(<SchemaNode key={`r:${key}`} name={key} schema={{}} required />);
  }
  if (isSchema(s.items) && childrenOf(s.items).length > 0) {
    out.push(<SchemaNode key="items" name="[each item]" schema={s.items} />);
  }
  for (const k of ["oneOf", "anyOf", "allOf"] as const) {
    const branches = s[k];
    if (Array.isArray(branches)) {
      branches.forEach((b, i) =>
        out.push(<SchemaNode key={`${k}:${i}`} name={`${k.replace("Of", " of")} #${i + 1}`} schema={b} />),
      );
    }
  }
  const defs = isSchema(s.$defs) ? s.$defs : isSchema(s.definitions) ? s.definitions : null;
  if (defs) {
    for (const [key, sub] of Object.entries(defs)) {
      out.push(<SchemaNode key={`d:${key}`} name={`#/$defs/${key}`} schema={sub} />);
    }
  }
  return out;
}
