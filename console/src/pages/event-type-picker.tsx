// The event types a subscription receives, chosen among the catalog's with checkboxes (the portal's forms).
// Only the types the session may see are listed: the server leaves the others out of the catalog. A type
// already chosen that the catalog does not list (a `prefix.*` wildcard, an archived type) stays chosen and
// is shown with the rest. Without a catalog, the types are typed as a comma-separated list.

import { useId, useState } from "preact/hooks";
import { portal, type ApiError } from "../api";
import { Badge, commaList, useLoad } from "../ui";
import { FieldError, isAbout } from "../widgets";
import { loadCatalog } from "./catalog";

export function EventTypePicker({
  app,
  value,
  onChange,
  error,
}: {
  app: string;
  value: string[];
  onChange: (types: string[]) => void;
  error: ApiError | undefined;
}) {
  const catalog = useLoad(() => loadCatalog(app, false), [app]);
  const hintId = useId();
  const errorId = useId();
  // A session limited to some types may not subscribe to "every type" (an empty list).
  const limited = (portal.me()?.event_types ?? null) !== null;
  if (catalog.data === undefined && !catalog.error)
    return (
      <p class="muted" aria-busy="true">
        Loading the event types…
      </p>
    );
  const types = catalog.data ?? [];
  if (types.length === 0)
    return <TypedList value={value} onChange={onChange} error={error} limited={limited} errorId={errorId} />;
  const listed = new Set(types.map((e) => e.type.name));
  const extra = value.filter((v) => !listed.has(v));
  const toggle = (name: string, on: boolean) =>
    onChange(on ? [...value.filter((v) => v !== name), name] : value.filter((v) => v !== name));
  const bad = isAbout(error, "event_types");
  return (
    <fieldset class="type-picker" aria-describedby={bad ? `${hintId} ${errorId}` : hintId}>
      <legend>Event types</legend>
      <p class="muted small" id={hintId}>
        {limited ? "Choose at least one." : "None chosen: every event type, including those added later."}
      </p>
      <ul>
        {types.map(({ type: t }) => (
          <li key={t.name}>
            <label class="check">
              <input
                type="checkbox"
                checked={value.includes(t.name)}
                onChange={(e) => toggle(t.name, e.currentTarget.checked)}
              />
              <span>
                <code>{t.name}</code>
                {t.deprecated && (
                  <>
                    {" "}
                    <Badge status="deprecated" />
                  </>
                )}
                {t.description && <span class="muted small"> — {t.description}</span>}
              </span>
            </label>
          </li>
        ))}
        {extra.map((name) => (
          <li key={name}>
            <label class="check">
              <input type="checkbox" checked onChange={() => toggle(name, false)} />
              <span>
                <code>{name}</code> <span class="muted small">(not in the catalog)</span>
              </span>
            </label>
          </li>
        ))}
      </ul>
      <FieldError error={error} name="event_types" id={errorId} />
    </fieldset>
  );
}

/** The types typed as a comma-separated list, for an app whose catalog is empty. */
function TypedList({
  value,
  onChange,
  error,
  limited,
  errorId,
}: {
  value: string[];
  onChange: (types: string[]) => void;
  error: ApiError | undefined;
  limited: boolean;
  errorId: string;
}) {
  const [text, setText] = useState(value.join(", "));
  const bad = isAbout(error, "event_types");
  return (
    <div class="field type-picker">
      <label>
        <span>
          Event types <span class="muted">(comma-separated; {limited ? "at least one" : "empty: all"})</span>
        </span>
        <input
          value={text}
          aria-invalid={bad}
          aria-describedby={bad ? errorId : undefined}
          onInput={(e) => {
            setText(e.currentTarget.value);
            onChange(commaList(e.currentTarget.value));
          }}
        />
      </label>
      <FieldError error={error} name="event_types" id={errorId} />
    </div>
  );
}
