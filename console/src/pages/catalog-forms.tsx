// The catalog page's forms: a new event type, a new schema version of one, and sending one of its
// examples to a subscription. JSON typed here is checked in the page and sent with its digits as typed.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { patch, path, PORTAL, post, RawJson, type EventType, type PublishedEvent, type Subscription } from "../api";
import { href, Link, subscriptionName, useForm } from "../ui";
import { FieldError, FormError, isAbout, JsonInput, readJson } from "../widgets";

/** JSON text as typed, checked here, sent with its exact digits. */
function rawJson(text: string, field: string): RawJson {
  readJson(text, field);
  return new RawJson(text);
}

/** Examples as typed: a JSON array of payloads, or a single payload. */
function rawExamples(text: string): RawJson {
  const value = readJson(text, "examples");
  return new RawJson(Array.isArray(value) ? text : `[${text}]`);
}

export function AddVersion({ base, t, done }: { base: string; t: EventType; done: (m: ComponentChildren) => void }) {
  const [schema, setSchema] = useState("");
  const [examples, setExamples] = useState("");
  const form = useForm();
  return (
    <details class="subform">
      <summary>Add a schema version</summary>
      <form
        aria-label={`New schema version of ${t.name}`}
        onSubmit={form.submit(async () => {
          const updated = await patch<EventType>(base, {
            schema: rawJson(schema, "schema"),
            examples: examples.trim() ? rawExamples(examples) : undefined,
          });
          setSchema("");
          setExamples("");
          const v = updated.versions[updated.versions.length - 1]?.version;
          done(
            <>
              Version {v} of <code>{t.name}</code> added.
            </>,
          );
        })}
      >
        <div class="row">
          <JsonInput label="Schema (JSON Schema)" name="schema" value={schema} onInput={setSchema} error={form.error} />
          <JsonInput
            label="Examples (a JSON array, or one payload)"
            name="examples"
            value={examples}
            onInput={setExamples}
            error={form.error}
          />
        </div>
        <button type="submit" disabled={form.busy}>
          Add version
        </button>
        <FormError error={form.error} fields={["schema", "examples"]} />
      </form>
    </details>
  );
}

export function SendExample({
  app,
  base,
  t,
  subs,
  done,
}: {
  app: string;
  base: string;
  t: EventType;
  subs: Subscription[];
  done: (m: ComponentChildren) => void;
}) {
  const versions = t.versions.filter((v) => v.examples.length > 0);
  const [sub, setSub] = useState("");
  const [version, setVersion] = useState<number>();
  const [example, setExample] = useState(0);
  const form = useForm();
  if (versions.length === 0) return null;
  if (subs.length === 0)
    return (
      <p class="muted small">Add {PORTAL ? "an endpoint" : "a subscription"} to send it an example of this type.</p>
    );
  const chosen = versions.find((v) => v.version === version) ?? versions[versions.length - 1];
  const target = sub || subs[0].id;
  return (
    <form
      class="inline send-example"
      aria-label={`Send an example of ${t.name}`}
      onSubmit={form.submit(async () => {
        const e = await post<PublishedEvent>(`${base}/send-example`, {
          subscription_id: target,
          version: chosen.version,
          example: Math.min(example, chosen.examples.length - 1),
        });
        done(
          <>
            Example sent as event <Link to={href.event(app, e.id)}>{e.id}</Link> to{" "}
            <code>{subscriptionName(subs.find((s) => s.id === target) ?? { description: null, url: target })}</code>.
          </>,
        );
      })}
    >
      <label>
        Send to
        <select value={target} onChange={(e) => setSub(e.currentTarget.value)}>
          {subs.map((s) => (
            <option key={s.id} value={s.id}>
              {subscriptionName(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Version
        <select value={chosen.version} onChange={(e) => (setVersion(Number(e.currentTarget.value)), setExample(0))}>
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              {v.version}
            </option>
          ))}
        </select>
      </label>
      <label>
        Example
        <select value={example} onChange={(e) => setExample(Number(e.currentTarget.value))}>
          {chosen.examples.map((_, i) => (
            <option key={i} value={i}>
              #{i + 1}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={form.busy}>
        Send example
      </button>
      <FormError error={form.error} fields={[]} />
    </form>
  );
}

const TYPE_FIELDS = ["name", "group", "description", "schema", "examples"];

export function CreateType({ app, done }: { app: string; done: (t: EventType) => void }) {
  const [name, setName] = useState("");
  const [group, setGroup] = useState("");
  const [description, setDescription] = useState("");
  const [deprecated, setDeprecated] = useState(false);
  const [schema, setSchema] = useState("");
  const [examples, setExamples] = useState("");
  const form = useForm();
  const err = form.error;
  return (
    <form
      class="card"
      aria-labelledby="create-type"
      onSubmit={form.submit(async () => {
        const t = await post<EventType>(path`/apps/${app}/event-types`, {
          name: name.trim(),
          group: group.trim() || undefined,
          description: description.trim() || undefined,
          deprecated,
          schema: schema.trim() ? rawJson(schema, "schema") : undefined,
          examples: examples.trim() ? rawExamples(examples) : undefined,
        });
        [setName, setGroup, setDescription, setSchema, setExamples].forEach((set) => set(""));
        setDeprecated(false);
        done(t);
      })}
    >
      <h2 id="create-type">New event type</h2>
      <div class="row">
        <TextField
          label="Name"
          name="name"
          value={name}
          set={setName}
          error={err}
          required
          placeholder="order.created"
        />
        <TextField label="Group" name="group" value={group} set={setGroup} error={err} placeholder="order" />
        <TextField label="Description" name="description" value={description} set={setDescription} error={err} />
        <label class="check">
          <input type="checkbox" checked={deprecated} onChange={(e) => setDeprecated(e.currentTarget.checked)} />
          Deprecated
        </label>
      </div>
      <div class="row">
        <JsonInput
          label="Schema (JSON Schema; empty: any payload)"
          name="schema"
          value={schema}
          onInput={setSchema}
          error={err}
          rows={8}
          placeholder='{"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}'
        />
        <JsonInput
          label="Examples (a JSON array, or one payload)"
          name="examples"
          value={examples}
          onInput={setExamples}
          error={err}
          rows={8}
          placeholder='[{"id": "o-1"}]'
        />
      </div>
      <button type="submit" class="primary" disabled={form.busy}>
        Add event type
      </button>
      <FormError error={err} fields={TYPE_FIELDS} />
    </form>
  );
}

function TextField({
  label,
  name,
  value,
  set,
  error,
  required,
  placeholder,
}: {
  label: string;
  name: string;
  value: string;
  set: (v: string) => void;
  error: ReturnType<typeof useForm>["error"];
  required?: boolean;
  placeholder?: string;
}) {
  const id = `create-type-${name}-error`;
  return (
    <div class="field">
      <label>
        {label}
        <input
          required={required}
          value={value}
          placeholder={placeholder}
          aria-invalid={isAbout(error, name)}
          aria-describedby={isAbout(error, name) ? id : undefined}
          onInput={(e) => set(e.currentTarget.value)}
        />
      </label>
      <FieldError error={error} name={name} id={id} />
    </div>
  );
}
