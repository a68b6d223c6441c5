// Changing a subscription: every setting the API's PATCH takes except the payload filter (which has its
// own editor, subscription-filter.tsx), with the server's 422 shown beside the input its `field` names;
// and deleting it, once confirmed.

import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError, del, patch, path, PORTAL, type Subscription } from "../api";
import { ConfirmedAction } from "../failures";
import { commaList, go, href, subscriptionName, SUBSCRIPTION, useForm } from "../ui";
import { FieldError, FormError, isAbout } from "../widgets";
import { EventTypePicker } from "./event-type-picker";

const FORMATS = ["native", "cams", "ess", "live-snapshot", "live-rtc", "meeting"];
const PROFILES = ["standard", "live", "meeting"];
/** The fields this form sends; an error about any other is shown for the whole form. */
const FIELDS = [
  "url",
  "event_types",
  "description",
  "channel_id",
  "users",
  "format",
  "ordering",
  "rate_limit",
  "timeout_ms",
  "retry",
  "batch",
  "headers",
];

interface Header {
  name: string;
  /** Empty for a stored header: it keeps its value (which the API shows masked). */
  value: string;
  stored: boolean;
}

/** The form's inputs, as typed. */
interface Draft {
  url: string;
  event_types: string;
  description: string;
  channel_id: string;
  users: string;
  format: string;
  ordering: string;
  rate_limit: string;
  timeout_ms: string;
  /** A profile's name, or `delays`. */
  retry: string;
  delays: string;
  batch: boolean;
  max_events: string;
  max_wait_ms: string;
  headers: Header[];
}

function draftOf(s: Subscription): Draft {
  return {
    url: s.url,
    event_types: s.event_types.join(", "),
    description: s.description ?? "",
    channel_id: s.channel_id ?? "",
    users: s.users.join(", "),
    format: s.format,
    ordering: s.ordering,
    rate_limit: s.rate_limit?.toString() ?? "",
    timeout_ms: s.timeout_ms?.toString() ?? "",
    retry: typeof s.retry === "string" ? s.retry : "delays",
    delays: Array.isArray(s.retry) ? s.retry.join(", ") : "",
    batch: s.batch !== null,
    max_events: String(s.batch?.max_events ?? 100),
    max_wait_ms: String(s.batch?.max_wait_ms ?? 1000),
    headers: Object.keys(s.headers).map((name) => ({ name, value: "", stored: true })),
  };
}

/** A whole number typed into `field`, or null when it is empty. */
function whole(text: string, field: string): number | null {
  if (!text.trim()) return null;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new ApiError(0, "invalid", `${field}: must be a whole number`, field);
  return n;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The PATCH body: only what differs from the subscription as loaded, so that nothing else is pinned. */
function changes(s: Subscription, d: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const put = (field: string, value: unknown, before: unknown) => {
    if (!same(value, before)) body[field] = value;
  };
  put("url", d.url.trim(), s.url);
  put("event_types", commaList(d.event_types), s.event_types);
  put("description", d.description.trim() || null, s.description);
  put("channel_id", d.channel_id.trim() || null, s.channel_id);
  put("users", commaList(d.users), s.users);
  put("format", d.format, s.format);
  put("ordering", d.ordering, s.ordering);
  put("rate_limit", whole(d.rate_limit, "rate_limit"), s.rate_limit);
  put("timeout_ms", whole(d.timeout_ms, "timeout_ms"), s.timeout_ms);
  const retry =
    d.retry === "delays"
      ? commaList(d.delays).map((t) => {
          const n = Number(t);
          if (!Number.isInteger(n))
            throw new ApiError(0, "invalid", `retry: \`${t}\` is not a number of seconds`, "retry");
          return n;
        })
      : d.retry;
  put("retry", retry, s.retry);
  const batch = d.batch
    ? { max_events: whole(d.max_events, "batch") ?? 0, max_wait_ms: whole(d.max_wait_ms, "batch") ?? 0 }
    : null;
  put("batch", batch, s.batch);
  const headers: Record<string, string> = {};
  for (const h of d.headers) {
    const name = h.name.trim();
    if (!name) continue;
    // A stored header left empty is sent back masked, as the API showed it: the server keeps its value.
    headers[name] = h.stored && !h.value ? s.headers[name] : h.value;
  }
  put("headers", headers, s.headers);
  return body;
}

/** The subscription's settings as a form; `saved` is told once the server accepted them. */
export function EditSubscription({
  s,
  saved,
  cancel,
}: {
  s: Subscription;
  saved: (message: string) => void;
  cancel: () => void;
}) {
  const [d, setD] = useState(() => draftOf(s));
  const set = (field: keyof Draft) => (value: string) => setD((old) => ({ ...old, [field]: value }));
  const setHeader = (i: number, h: Partial<Header>) =>
    setD((old) => ({ ...old, headers: old.headers.map((x, j) => (j === i ? { ...x, ...h } : x)) }));
  const form = useForm();
  const error = form.error;
  // Opened, the form takes the focus: its first input, for a keyboard to go on from there.
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => ref.current?.querySelector("input")?.focus(), []);
  return (
    <form
      ref={ref}
      class="card fix-edit"
      aria-labelledby="edit-heading"
      onSubmit={form.submit(async () => {
        const body = changes(s, d);
        if (Object.keys(body).length === 0) return saved("Nothing was changed.");
        await patch<Subscription>(path`/apps/${s.app_id}/subscriptions/${s.id}`, body);
        saved(`Saved: ${Object.keys(body).join(", ").replace(/_/g, " ")}.`);
      })}
    >
      <h2 id="edit-heading">Edit the {SUBSCRIPTION.toLowerCase()}</h2>
      <div class="row">
        <Text
          label={PORTAL ? "Endpoint URL" : "Receiver URL"}
          name="url"
          value={d.url}
          onInput={set("url")}
          error={error}
          mode="url"
          grow
        />
        <Text label="Description" name="description" value={d.description} onInput={set("description")} error={error} />
      </div>
      {PORTAL ? (
        <>
          <EventTypePicker
            app={s.app_id}
            value={commaList(d.event_types)}
            onChange={(types) => setD((old) => ({ ...old, event_types: types.join(", ") }))}
            error={error}
          />
          <div class="row">
            <Pacing d={d} set={set} error={error} />
          </div>
        </>
      ) : (
        <>
          <div class="row">
            <Text
              label="Event types"
              hint="comma-separated; empty: all"
              name="event_types"
              value={d.event_types}
              onInput={set("event_types")}
              error={error}
            />
            <Text
              label="Channel"
              hint="empty: every channel"
              name="channel_id"
              value={d.channel_id}
              onInput={set("channel_id")}
              error={error}
            />
            <Text
              label="Users"
              hint="comma-separated; empty: all"
              name="users"
              value={d.users}
              onInput={set("users")}
              error={error}
            />
          </div>
          <div class="row">
            <Choice
              label="Format"
              name="format"
              value={d.format}
              options={FORMATS}
              onInput={set("format")}
              error={error}
            />
            <Choice
              label="Ordering"
              name="ordering"
              value={d.ordering}
              options={["none", "fifo"]}
              onInput={set("ordering")}
              error={error}
            />
            <Pacing d={d} set={set} error={error} />
          </div>
          <div class="row">
            <Choice
              label="Retry policy"
              name="retry"
              value={d.retry}
              options={[...PROFILES, "delays"]}
              names={{ delays: "my own delays" }}
              onInput={set("retry")}
              error={error}
            />
            {d.retry === "delays" && (
              <Text
                label="Retry delays"
                hint="seconds before each retry, comma-separated"
                name="retry"
                value={d.delays}
                onInput={set("delays")}
                error={error}
                quiet
              />
            )}
            <label class="check">
              <input
                type="checkbox"
                checked={d.batch}
                onChange={(e) => setD((old) => ({ ...old, batch: e.currentTarget.checked }))}
              />
              Several events per request
            </label>
            {d.batch && (
              <>
                <Text
                  label="Events per request"
                  name="batch"
                  mode="numeric"
                  value={d.max_events}
                  onInput={set("max_events")}
                  error={error}
                />
                <Text
                  label="Longest wait"
                  hint="ms"
                  name="batch"
                  mode="numeric"
                  value={d.max_wait_ms}
                  onInput={set("max_wait_ms")}
                  error={error}
                  quiet
                />
              </>
            )}
          </div>
        </>
      )}
      <fieldset class="fix-headers">
        <legend>Extra headers</legend>
        {d.headers.length === 0 && <p class="muted small">None.</p>}
        {d.headers.map((h, i) => (
          <div class="row" key={i}>
            {h.stored ? (
              <p class="fix-header-name">
                <code>{h.name}</code>
              </p>
            ) : (
              <label>
                Header name
                <input value={h.name} onInput={(e) => setHeader(i, { name: e.currentTarget.value })} />
              </label>
            )}
            <label>
              {h.stored ? `New value of ${h.name}` : "Header value"}
              <input
                value={h.value}
                placeholder={h.stored ? "kept (hidden)" : ""}
                onInput={(e) => setHeader(i, { value: e.currentTarget.value })}
              />
            </label>
            <button
              type="button"
              aria-label={`Remove the header ${h.name || i + 1}`}
              onClick={() => setD((old) => ({ ...old, headers: old.headers.filter((_, j) => j !== i) }))}
            >
              Remove
            </button>
          </div>
        ))}
        <FieldError error={error} name="headers" id="edit-headers-error" />
        <button
          type="button"
          onClick={() => setD((old) => ({ ...old, headers: [...old.headers, { name: "", value: "", stored: false }] }))}
        >
          Add a header
        </button>
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled={form.busy}>
          Save
        </button>
        <button type="button" onClick={cancel}>
          Cancel
        </button>
      </div>
      <FormError error={error} fields={FIELDS} />
    </form>
  );
}

/** The rate limit and timeout inputs, which both forms (console and portal) offer. */
function Pacing({
  d,
  set,
  error,
}: {
  d: Draft;
  set: (field: keyof Draft) => (value: string) => void;
  error: ApiError | undefined;
}) {
  return (
    <>
      <Text
        label="Rate limit"
        hint="per second; empty: none"
        name="rate_limit"
        mode="numeric"
        value={d.rate_limit}
        onInput={set("rate_limit")}
        error={error}
      />
      <Text
        label="Timeout"
        hint="ms; empty: the server's"
        name="timeout_ms"
        mode="numeric"
        value={d.timeout_ms}
        onInput={set("timeout_ms")}
        error={error}
      />
    </>
  );
}

/** A labelled input with the server's error about its field beneath it (`quiet`: a second input of the
 * same field, which leaves the error to the first). */
function Text({
  label,
  hint,
  name,
  value,
  onInput,
  error,
  mode,
  grow,
  quiet,
}: {
  label: string;
  hint?: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  error: ApiError | undefined;
  /** The keyboard a phone shows; the text is checked here (whole numbers) and by the server. */
  mode?: "url" | "numeric";
  grow?: boolean;
  quiet?: boolean;
}) {
  return (
    <Field name={name} error={error} grow={grow} quiet={quiet}>
      {(describedBy, bad) => (
        <label>
          <Label label={label} hint={hint} />
          <input
            inputMode={mode}
            value={value}
            aria-invalid={bad}
            aria-describedby={describedBy}
            onInput={(e) => onInput(e.currentTarget.value)}
          />
        </label>
      )}
    </Field>
  );
}

function Choice({
  label,
  name,
  value,
  options,
  names = {},
  onInput,
  error,
}: {
  label: string;
  name: string;
  value: string;
  options: string[];
  names?: Record<string, string>;
  onInput: (v: string) => void;
  error: ApiError | undefined;
}) {
  return (
    <Field name={name} error={error}>
      {(describedBy, bad) => (
        <label>
          {label}
          <select
            value={value}
            aria-invalid={bad}
            aria-describedby={describedBy}
            onChange={(e) => onInput(e.currentTarget.value)}
          >
            {options.map((o) => (
              <option key={o} value={o}>
                {names[o] ?? o}
              </option>
            ))}
          </select>
        </label>
      )}
    </Field>
  );
}

function Label({ label, hint }: { label: string; hint?: string }) {
  return hint ? (
    <span>
      {label} <span class="muted">({hint})</span>
    </span>
  ) : (
    <>{label}</>
  );
}

/** An input's frame: the error about its field beneath it, and the ids that tie the two together. */
function Field({
  name,
  error,
  grow,
  quiet,
  children,
}: {
  name: string;
  error: ApiError | undefined;
  grow?: boolean;
  quiet?: boolean;
  children: (describedBy: string | undefined, bad: boolean) => ComponentChildren;
}) {
  const id = useId();
  const bad = isAbout(error, name);
  return (
    <div class={grow ? "fix-field grow" : "fix-field"}>
      {children(bad && !quiet ? id : undefined, bad)}
      {!quiet && <FieldError error={error} name={name} id={id} />}
    </div>
  );
}

/** Deletes the subscription once confirmed, then goes back to its app. */
export function DeleteSubscription({ s }: { s: Subscription }) {
  const name = subscriptionName(s);
  return (
    <ConfirmedAction
      label="Delete"
      kind="danger"
      ask={() => ({
        title: `Delete the ${SUBSCRIPTION.toLowerCase()} “${name}”?`,
        confirm: "Delete",
        body: (
          <p>
            <code>{s.id}</code> stops receiving events at once; its deliveries that have not finished are cancelled.
            This cannot be undone.
          </p>
        ),
      })}
      run={async () => {
        await del(path`/apps/${s.app_id}/subscriptions/${s.id}`);
        return "";
      }}
      report={() => go(href.app(s.app_id))}
    />
  );
}
