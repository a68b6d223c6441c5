import { useState } from "preact/hooks";
import { patch, path, type App, type SchemaValidation } from "../api";
import { useForm } from "../ui";
import { FieldError, FormError } from "../widgets";

const VALIDATION: [SchemaValidation, string][] = [
  ["off", "off: publishes are not checked"],
  ["warn", "warn: flag payloads that do not fit"],
  ["enforce", "enforce: refuse them"],
];

/** An app's settings about its catalog and its data: schema validation, catalog only, retention. */
export function AppSettings({ app: a, saved }: { app: App; saved: () => void }) {
  return (
    <details class="card settings">
      <summary>
        <strong>Settings</strong>{" "}
        <span class="muted">
          schema validation {a.schema_validation} · {a.catalog_only ? "catalog types only" : "any event types"} ·
          retention {a.retention_days === null ? "the server's" : `${a.retention_days} days`}
        </span>
      </summary>
      <SettingsForm key={a.id} app={a} saved={saved} />
    </details>
  );
}

function SettingsForm({ app, saved }: { app: App; saved: () => void }) {
  const [validation, setValidation] = useState<SchemaValidation>(app.schema_validation);
  const [catalogOnly, setCatalogOnly] = useState(app.catalog_only);
  const [retention, setRetention] = useState(app.retention_days === null ? "" : String(app.retention_days));
  const [done, setDone] = useState(false);
  const form = useForm();
  const unchanged =
    validation === app.schema_validation &&
    catalogOnly === app.catalog_only &&
    retention === (app.retention_days === null ? "" : String(app.retention_days));
  return (
    <form
      aria-label="Settings"
      onSubmit={form.submit(async () => {
        setDone(false);
        await patch<App>(path`/apps/${app.id}`, {
          schema_validation: validation,
          catalog_only: catalogOnly,
          retention_days: retention.trim() === "" ? null : Number(retention),
        });
        setDone(true);
        saved();
      })}
    >
      <div class="row">
        <div class="field">
          <label>
            Schema validation
            <select value={validation} onChange={(e) => setValidation(e.currentTarget.value as SchemaValidation)}>
              {VALIDATION.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <FieldError error={form.error} name="schema_validation" id="validation-error" />
        </div>
        <div class="field">
          <label>
            <span>
              Retention in days <span class="muted">(empty: the server's)</span>
            </span>
            <input
              type="number"
              min={1}
              max={3650}
              value={retention}
              onInput={(e) => setRetention(e.currentTarget.value)}
            />
          </label>
          <FieldError error={form.error} name="retention_days" id="retention-error" />
        </div>
        <label class="check">
          <input type="checkbox" checked={catalogOnly} onChange={(e) => setCatalogOnly(e.currentTarget.checked)} />
          Subscriptions only to catalog types
        </label>
        <button type="submit" disabled={form.busy || unchanged}>
          Save settings
        </button>
      </div>
      <FieldError error={form.error} name="catalog_only" id="catalog-only-error" />
      <FormError error={form.error} fields={["schema_validation", "retention_days", "catalog_only"]} />
      {done && unchanged && (
        <p role="status" class="muted">
          Saved.
        </p>
      )}
    </form>
  );
}
