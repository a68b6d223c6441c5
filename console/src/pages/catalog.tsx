// An app's event-type catalog: its types by group, each with its badges, its schema versions (an outline
// of the schema, its JSON, its examples) and its actions.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import {
  get,
  getExact,
  patch,
  path,
  post,
  query,
  type EventType,
  type Paged,
  type SchemaVersion,
  type Subscription,
} from "../api";
import { at, fromPlain, type Json } from "../json";
import { SchemaOutline } from "../schema";
import { Action, Badge, Link, Show, useLoad } from "../ui";
import { AppTabs, JsonView } from "../widgets";
import { AddVersion, CreateType, SendExample } from "./catalog-forms";

/** A type of the catalog, with its JSON read exactly (schemas and examples keep their numbers' digits). */
export interface CatalogEntry {
  type: EventType;
  exact: Json;
}

/** Every type of an app's catalog (all pages of the list), by name. */
export async function loadCatalog(app: string, archived: boolean): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = [];
  let cursor: string | null = null;
  do {
    const url = path`/apps/${app}/event-types` + query({ limit: 250, cursor, archived: archived ? "true" : null });
    const page: { data: Paged<EventType>; exact: Json } = await getExact<Paged<EventType>>(url);
    page.data.data.forEach((type, i) => out.push({ type, exact: at(page.exact, "data", i) ?? null }));
    cursor = page.data.next_cursor;
  } while (cursor && out.length < 10_000);
  return out;
}

/** Types by group, groups by name, the types without a group last. */
export function byGroup(entries: CatalogEntry[]): [string | null, CatalogEntry[]][] {
  const groups = new Map<string | null, CatalogEntry[]>();
  for (const e of entries) groups.set(e.type.group, [...(groups.get(e.type.group) ?? []), e]);
  return [...groups].sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
}

export function CatalogPage({ app }: { app: string }) {
  const [archived, setArchived] = useState(true);
  const catalog = useLoad(() => loadCatalog(app, archived), [app, archived]);
  const subs = useLoad(() => get<Paged<Subscription>>(path`/apps/${app}/subscriptions` + query({ limit: 250 })), [app]);
  const [notice, setNotice] = useState<ComponentChildren>();
  const changed = (message: ComponentChildren) => {
    setNotice(message);
    catalog.reload();
  };
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link to="/apps">Apps</Link> / <Link to={path`/apps/${app}`}>{app}</Link> /{" "}
        <span aria-current="page">catalog</span>
      </nav>
      <h1>
        Catalog of <code>{app}</code>
      </h1>
      <AppTabs app={app} current="catalog" />
      <div class="heading-row">
        <p class="muted">
          The event types the app publishes, with their schemas and examples. The app's settings say whether a publish
          is checked against them.
        </p>
        <label class="check">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.currentTarget.checked)} />
          Show archived types
        </label>
      </div>
      {notice && (
        <div class="notice" role="status">
          {notice}
        </div>
      )}
      <Show loaded={catalog}>
        {(entries) =>
          entries.length === 0 ? (
            <p class="muted">No event types yet.</p>
          ) : (
            byGroup(entries).map(([group, list]) => (
              <section key={group ?? ""} aria-labelledby={`group-${group ?? ""}`}>
                <h2 id={`group-${group ?? ""}`}>
                  {group ?? "Without a group"} <span class="muted small">({list.length})</span>
                </h2>
                {list.map((e) => (
                  <TypeCard key={e.type.name} app={app} entry={e} subs={subs.data?.data ?? []} changed={changed} />
                ))}
              </section>
            ))
          )
        }
      </Show>
      <CreateType
        app={app}
        done={(t) =>
          changed(
            <>
              Event type <code>{t.name}</code> added.
            </>,
          )
        }
      />
    </section>
  );
}

function TypeCard({
  app,
  entry,
  subs,
  changed,
}: {
  app: string;
  entry: CatalogEntry;
  subs: Subscription[];
  changed: (message: ComponentChildren) => void;
}) {
  const t = entry.type;
  const base = path`/apps/${app}/event-types/${t.name}`;
  const newest = t.versions[t.versions.length - 1];
  const id = `type-${t.name}`;
  return (
    <article class="card type" aria-labelledby={id}>
      <div class="heading-row">
        <div class="type-title">
          <h3 id={id}>
            <code>{t.name}</code>
          </h3>
          {t.deprecated && <Badge status="deprecated" />}
          {t.archived && <Badge status="archived" />}
          {newest ? (
            <span class="badge wait">schema v{newest.version}</span>
          ) : (
            <span class="badge muted">no schema</span>
          )}
        </div>
        <div class="actions" role="group" aria-label={`Actions on ${t.name}`}>
          <Action
            label={t.deprecated ? "Undeprecate" : "Deprecate"}
            run={() => patch(base, { deprecated: !t.deprecated })}
            done={() =>
              changed(
                <>
                  {t.deprecated ? "No longer deprecated" : "Deprecated"}: <code>{t.name}</code>.
                </>,
              )
            }
          />
          <Action
            label={t.archived ? "Unarchive" : "Archive"}
            run={() => post(`${base}/${t.archived ? "unarchive" : "archive"}`)}
            done={() =>
              changed(
                <>
                  {t.archived ? "Unarchived" : "Archived"}: <code>{t.name}</code>.
                </>,
              )
            }
          />
        </div>
      </div>
      {t.description ? <p>{t.description}</p> : <p class="muted">No description.</p>}
      {t.versions.length === 0 ? (
        <p class="muted">No schema: any payload fits this type.</p>
      ) : (
        [...t.versions]
          .reverse()
          .map((v, k) => (
            <VersionView
              key={v.version}
              name={t.name}
              v={v}
              exact={at(entry.exact, "versions", t.versions.length - 1 - k)}
              open={k === 0}
            />
          ))
      )}
      <AddVersion base={base} t={t} done={changed} />
      <SendExample app={app} base={base} t={t} subs={subs} done={changed} />
    </article>
  );
}

export function VersionView({
  name,
  v,
  exact,
  open,
}: {
  name: string;
  v: SchemaVersion;
  exact: Json | undefined;
  open: boolean;
}) {
  const schema = at(exact, "schema") ?? fromPlain(v.schema);
  const examples = at(exact, "examples");
  const list = Array.isArray(examples) ? examples : v.examples.map(fromPlain);
  return (
    <details class="version" open={open}>
      <summary>
        Version {v.version}{" "}
        <span class="muted small">
          · added {new Date(v.created_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })} ·{" "}
          {list.length} example{list.length === 1 ? "" : "s"}
        </span>
      </summary>
      <div class="version-body">
        <div>
          <h4>Schema</h4>
          <SchemaOutline schema={v.schema} />
          <details class="json-toggle">
            <summary>Schema as JSON</summary>
            <JsonView value={schema} label={`Schema version ${v.version} of ${name}`} />
          </details>
        </div>
        <div>
          <h4>Examples</h4>
          {list.length === 0 && <p class="muted">None.</p>}
          {list.map((e, i) => (
            <JsonView key={i} value={e} label={`Example ${i + 1} of version ${v.version} of ${name}`} />
          ))}
        </div>
      </div>
    </details>
  );
}
