import { useState } from "preact/hooks";
import { type ApiError, type DeliveryStatus, get, path, query, type Event, type Paged } from "../api";
import { asApiError, ErrorBox, href, Link, PagedTable, Time, useLoad, usePager } from "../ui";

/** At most this many `payload.<path>=<value>` conditions in one search (the API's limit). */
const MAX_PAYLOAD = 5;

interface Form {
  type: string;
  typePrefix: string;
  channel: string;
  after: string;
  before: string;
  payload: { path: string; value: string }[];
}

const EMPTY: Form = { type: "", typePrefix: "", channel: "", after: "", before: "", payload: [] };

/** A `datetime-local` value (the browser's time zone) as RFC 3339 in UTC. */
function rfc3339(local: string, name: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) throw new Error(`${name}: not a time`);
  return d.toISOString();
}

/** The query parameters of a search form. */
function params(f: Form): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    type: f.type.trim(),
    type_prefix: f.typePrefix.trim(),
    channel: f.channel.trim(),
    after: rfc3339(f.after, "after"),
    before: rfc3339(f.before, "before"),
  };
  for (const { path: p, value } of f.payload) {
    if (p.trim()) out[`payload.${p.trim().replace(/^payload\./, "")}`] = value;
  }
  return out;
}

/** The app's events, newest first, searched by type, prefix, channel, time and payload fields. */
export function EventSearch({ app }: { app: string }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [applied, setApplied] = useState<Record<string, string | undefined>>({});
  const [formError, setFormError] = useState<ApiError>();
  const key = JSON.stringify(applied);
  const pager = usePager(`events:${app}:${key}`);
  const events = useLoad(
    () => get<Paged<Event>>(path`/apps/${app}/events` + query({ limit: 20, cursor: pager.cursor, ...applied })),
    [app, key, pager.cursor],
  );
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const setRow = (i: number, patch: Partial<Form["payload"][number]>) =>
    set({ payload: form.payload.map((r, j) => (i === j ? { ...r, ...patch } : r)) });
  const searching = Object.values(applied).some((v) => v);
  return (
    <>
      <h2 id="events">Events</h2>
      <form
        class="card search"
        aria-label="Search events"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            setFormError(undefined);
            setApplied(params(form));
          } catch (err) {
            setFormError(asApiError(err));
          }
        }}
      >
        <div class="row">
          <label>
            Type
            <input value={form.type} onInput={(e) => set({ type: e.currentTarget.value })} />
          </label>
          <label>
            Type prefix
            <input
              value={form.typePrefix}
              placeholder="order."
              onInput={(e) => set({ typePrefix: e.currentTarget.value })}
            />
          </label>
          <label>
            Channel
            <input value={form.channel} onInput={(e) => set({ channel: e.currentTarget.value })} />
          </label>
          <label>
            Published after
            <input
              type="datetime-local"
              step={1}
              value={form.after}
              onInput={(e) => set({ after: e.currentTarget.value })}
            />
          </label>
          <label>
            Published before
            <input
              type="datetime-local"
              step={1}
              value={form.before}
              onInput={(e) => set({ before: e.currentTarget.value })}
            />
          </label>
        </div>
        {form.payload.map((row, i) => (
          <div class="row payload-row" key={i} role="group" aria-label={`Payload condition ${i + 1}`}>
            <label class="grow">
              <span>
                Payload path <span class="muted">(dotted; digits index arrays)</span>
              </span>
              <input
                value={row.path}
                placeholder="customer.id"
                onInput={(e) => setRow(i, { path: e.currentTarget.value })}
              />
            </label>
            <label class="grow">
              <span>
                Value <span class="muted">(compared as text)</span>
              </span>
              <input value={row.value} onInput={(e) => setRow(i, { value: e.currentTarget.value })} />
            </label>
            <button
              type="button"
              aria-label={`Remove payload condition ${i + 1}`}
              onClick={() => set({ payload: form.payload.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
          </div>
        ))}
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <button
            type="button"
            disabled={form.payload.length >= MAX_PAYLOAD}
            onClick={() => set({ payload: [...form.payload, { path: "", value: "" }] })}
          >
            Add payload condition
          </button>
          <button
            type="button"
            onClick={() => {
              setForm(EMPTY);
              setApplied({});
              setFormError(undefined);
            }}
          >
            Clear
          </button>
        </div>
        <ErrorBox error={formError} />
      </form>
      <PagedTable
        loaded={events}
        pager={pager}
        label={searching ? "Events found" : "Events"}
        cards
        class="events"
        empty={searching ? "No event matches the search." : "No events yet."}
        columns={["Event", "Type", "Deliveries", "Channel", "Schema", "Published"]}
        row={(e) => (
          <tr key={e.id}>
            <td>
              <Link to={href.event(app, e.id)}>{e.id}</Link>
            </td>
            <td data-label="Type">{e.type}</td>
            <td data-label="Deliveries">
              <DeliveryCounts counts={e.deliveries} />
            </td>
            <td data-label="Channel">{e.channel_id ?? <span class="muted">—</span>}</td>
            <td data-label="Schema">
              <EventState event={e} />
            </td>
            <td data-label="Published">
              <Time at={e.created_at} />
            </td>
          </tr>
        )}
      />
    </>
  );
}

/** The delivery statuses an event's counts are told in: what needs a look first. */
const DELIVERY_ORDER: [DeliveryStatus, string][] = [
  ["dead", "bad"],
  ["retrying", "warn"],
  ["pending", "wait"],
  ["delivering", "wait"],
  ["succeeded", "ok"],
  ["cancelled", "muted"],
];

/** How an event's deliveries stand, from its counts per status: "1 dead, 2 succeeded"; "none" without any. */
export function DeliveryCounts({ counts }: { counts: Event["deliveries"] }) {
  const present = DELIVERY_ORDER.filter(([status]) => (counts?.[status] ?? 0) > 0);
  if (!counts) return <span class="muted">—</span>;
  if (present.length === 0) return <span class="muted">none</span>;
  return (
    <span class="event-state">
      {present.map(([status, tone]) => (
        <span key={status} class={`badge ${tone}`}>
          {counts[status]} {status}
        </span>
      ))}
    </span>
  );
}

/** An event's schema check and erasure, in a few words: badges, the violations listed on demand. */
export function EventState({
  event: e,
  unchecked = true,
}: {
  event: Pick<Event, "schema_violations" | "schema_version" | "erased_at">;
  unchecked?: boolean;
}) {
  const violations = e.schema_violations ?? [];
  return (
    <span class="event-state">
      {e.erased_at && <span class="badge muted">payload erased</span>}
      {violations.length > 0 ? (
        <details class="violations">
          <summary>
            <span class="badge bad">
              {violations.length} schema violation{violations.length === 1 ? "" : "s"}
            </span>
          </summary>
          <ViolationList violations={violations} />
        </details>
      ) : e.schema_version != null ? (
        <span class="badge ok">fits v{e.schema_version}</span>
      ) : (
        unchecked &&
        !e.erased_at && (
          <span class="muted" title="Not checked against a schema">
            —
          </span>
        )
      )}
    </span>
  );
}

export function ViolationList({ violations }: { violations: { path: string; message: string }[] }) {
  return (
    <ul class="violation-list">
      {violations.map((v, i) => (
        <li key={i}>
          <code>{v.path || "(payload)"}</code>: {v.message}
        </li>
      ))}
    </ul>
  );
}
