import { useEffect, useMemo, useState } from "preact/hooks";
import { patch, path, RawJson, type Subscription } from "../api";
import { compileFilter, FilterError, matches, type Filter } from "../filter";
import { at, parseJson, printJson, type Json } from "../json";
import { useLoad, useRun } from "../ui";
import { FieldError, FormError } from "../widgets";
import { loadCatalog, type CatalogEntry } from "./catalog";

/** The filter text as it stands: a filter that passes the same checks as on the server, or why not. */
type Checked = { filter: Filter | null } | { problem: string; field?: string };

function check(text: string): Checked {
  if (!text.trim()) return { filter: null };
  let source: Json;
  try {
    source = parseJson(text);
  } catch (e) {
    return { problem: `not valid JSON: ${(e as Error).message}`, field: "filter" };
  }
  try {
    return { filter: compileFilter(source) };
  } catch (e) {
    if (e instanceof FilterError) return { problem: e.message, field: e.field };
    throw e;
  }
}

/** The subscription's payload filter: shown, edited, saved through the API, tried on a payload first. */
export function FilterSection({
  app,
  sub,
  filter,
  saved,
}: {
  app: string;
  sub: string;
  filter: Json | undefined;
  saved: (message: string) => void;
}) {
  const current = filter === undefined || filter === null ? "" : printJson(filter, 2, 56);
  const [text, setText] = useState(current);
  // A saved filter comes back as the server keeps it.
  useEffect(() => setText(current), [current]);
  const checked = useMemo(() => check(text), [text]);
  const form = useRun();
  const save = (value: RawJson | null, message: string) =>
    form.run(async () => {
      await patch<Subscription>(path`/apps/${app}/subscriptions/${sub}`, { filter: value });
      saved(message);
    });
  const remove = () => save(null, "Filter removed: every payload is delivered.");
  return (
    <section aria-labelledby="filter-heading">
      <h2 id="filter-heading">Payload filter</h2>
      <p class="muted">
        Of the events its types, channel and users select, the subscription receives those whose payload matches this
        filter (see FILTERS.md). Empty: every payload.{" "}
        {current ? "A filter is set." : <strong>No filter is set.</strong>}
      </p>
      <div class="filter-grid">
        <form
          class="card"
          aria-label="Edit the payload filter"
          onSubmit={(e) => {
            e.preventDefault();
            void (text.trim() ? save(new RawJson(text), "Filter saved.") : remove());
          }}
        >
          <label>
            Filter (JSON)
            <textarea
              class="code"
              rows={10}
              value={text}
              spellcheck={false}
              placeholder='{"order.total": {"$gte": 100}}'
              aria-describedby="filter-check filter-error"
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </label>
          <FieldError error={form.error} name="filter" id="filter-error" />
          <p id="filter-check" class={"problem" in checked ? "warn-text small" : "muted small"}>
            {"problem" in checked ? (
              <>
                Checked here, the server will refuse it: {checked.field && <code>{checked.field}</code>}
                {checked.field && ": "}
                {checked.problem}
              </>
            ) : checked.filter ? (
              "Checked here: a valid filter."
            ) : (
              "Empty: saving removes the filter."
            )}
          </p>
          <div class="actions">
            <button type="submit" class="primary" disabled={form.busy || text === current}>
              Save filter
            </button>
            {current && (
              <button type="button" disabled={form.busy} onClick={() => void remove()}>
                Remove filter
              </button>
            )}
            <button type="button" disabled={text === current} onClick={() => setText(current)}>
              Revert
            </button>
          </div>
          <FormError error={form.error} fields={["filter"]} />
        </form>
        <Preview app={app} checked={checked} />
      </div>
    </section>
  );
}

/** Tries the filter being edited on a catalog example or a pasted payload, in the browser. */
function Preview({ app, checked }: { app: string; checked: Checked }) {
  const catalog = useLoad(() => loadCatalog(app, true), [app]);
  const types = (catalog.data ?? []).filter((e) => e.type.versions.some((v) => v.examples.length > 0));
  const [payload, setPayload] = useState("{}");
  const [pick, setPick] = useState<{ type: string; version: number; example: number }>();
  const entry = types.find((e) => e.type.name === pick?.type);
  /** Picks a type (and a version and example of it) and puts that example in the payload box. */
  const choose = (next: { type: string; version?: number; example?: number }) => {
    const e = types.find((t) => t.type.name === next.type);
    if (!e) return setPick(undefined);
    const versions = e.type.versions;
    const vi = next.version === undefined ? -1 : versions.findIndex((v) => v.version === next.version);
    const index = vi >= 0 && versions[vi].examples.length > 0 ? vi : lastWithExamples(e);
    const example = Math.min(next.example ?? 0, versions[index].examples.length - 1);
    setPick({ type: next.type, version: versions[index].version, example });
    const exact = at(e.exact, "versions", index, "examples", example);
    setPayload(
      exact === undefined ? JSON.stringify(versions[index].examples[example], null, 2) : printJson(exact, 2, 56),
    );
  };
  const version = entry?.type.versions.find((v) => v.version === pick?.version);
  const verdict = useMemo(() => evaluate(checked, payload), [checked, payload]);
  return (
    <div class="card preview" role="region" aria-labelledby="preview-heading">
      <h3 id="preview-heading">Test this filter against an example</h3>
      <div class="row">
        <label>
          Catalog type
          <select value={pick?.type ?? ""} onChange={(e) => choose({ type: e.currentTarget.value })}>
            <option value="">— a payload of your own —</option>
            {types.map((e) => (
              <option key={e.type.name} value={e.type.name}>
                {e.type.name}
              </option>
            ))}
          </select>
        </label>
        {entry && pick && (
          <>
            <label>
              Version
              <select
                value={pick.version}
                onChange={(e) => choose({ type: pick.type, version: Number(e.currentTarget.value) })}
              >
                {entry.type.versions
                  .filter((v) => v.examples.length > 0)
                  .map((v) => (
                    <option key={v.version} value={v.version}>
                      {v.version}
                    </option>
                  ))}
              </select>
            </label>
            <label>
              Example
              <select
                value={pick.example}
                onChange={(e) =>
                  choose({ type: pick.type, version: pick.version, example: Number(e.currentTarget.value) })
                }
              >
                {(version?.examples ?? []).map((_, i) => (
                  <option key={i} value={i}>
                    #{i + 1}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
      </div>
      {types.length === 0 && catalog.data && (
        <p class="muted small">The app's catalog has no examples yet: paste a payload below.</p>
      )}
      <label>
        Payload to test (JSON)
        <textarea
          class="code"
          rows={8}
          value={payload}
          spellcheck={false}
          onInput={(e) => setPayload(e.currentTarget.value)}
        />
      </label>
      <p class={`verdict ${verdict.tone}`} role="status" aria-live="polite" data-verdict={verdict.word}>
        <strong class={`badge ${verdict.tone}`}>{verdict.word}</strong> {verdict.detail}
      </p>
    </div>
  );
}

function lastWithExamples(e: CatalogEntry): number {
  for (let i = e.type.versions.length - 1; i >= 0; i--) if (e.type.versions[i].examples.length) return i;
  return 0;
}

function evaluate(checked: Checked, payload: string): { word: string; tone: string; detail: string } {
  if ("problem" in checked) return { word: "invalid filter", tone: "warn", detail: "Correct the filter first." };
  let value: Json;
  try {
    value = parseJson(payload);
  } catch (e) {
    return { word: "not JSON", tone: "warn", detail: `The payload is not valid JSON: ${(e as Error).message}` };
  }
  if (!checked.filter) return { word: "match", tone: "ok", detail: "Without a filter every payload is delivered." };
  return matches(checked.filter, value)
    ? { word: "match", tone: "ok", detail: "The subscription would receive this payload." }
    : { word: "no match", tone: "bad", detail: "The subscription would not receive this payload." };
}
