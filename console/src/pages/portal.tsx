// The portal's own pages: its endpoints (the app's subscription list), the event types it may receive
// (the catalog, read-only, with "Send example" for a `manage` session) and its activity (the app's events
// with how their deliveries stand). An endpoint, a delivery and an event are the console's pages.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { canWrite, get, path, query, type Paged, type Subscription } from "../api";
import { Badge, Show, useLoad, useTitle } from "../ui";
import { SubscriptionList } from "./apps";
import { byGroup, loadCatalog, VersionView, type CatalogEntry } from "./catalog";
import { SendExample } from "./catalog-forms";
import { at } from "../json";
import { EventSearch } from "./search";

export function EndpointsPage({ app }: { app: string }) {
  useTitle("Endpoints · hookd");
  return (
    <section>
      <SubscriptionList app={app} publish={false} />
    </section>
  );
}

export function EventTypesPage({ app }: { app: string }) {
  useTitle("Event types · hookd");
  const catalog = useLoad(() => loadCatalog(app, false), [app]);
  const writes = canWrite();
  const subs = useLoad(
    () =>
      writes
        ? get<Paged<Subscription>>(path`/apps/${app}/subscriptions` + query({ limit: 250 }))
        : Promise.resolve(undefined),
    [app, writes],
  );
  const [notice, setNotice] = useState<ComponentChildren>();
  return (
    <section>
      <h1>Event types</h1>
      <p class="muted">
        The events your endpoints can receive, each with the shape of its payload (a JSON Schema) and examples.
        {writes && " Send an example to one of your endpoints to try your receiver."}
      </p>
      {notice && (
        <div class="notice" role="status">
          {notice}
        </div>
      )}
      <Show loaded={catalog}>
        {(entries) =>
          entries.length === 0 ? (
            <p class="muted">No event type is described yet.</p>
          ) : (
            byGroup(entries).map(([group, list], i, groups) => (
              <section key={group ?? ""} aria-labelledby={`group-${i}`}>
                <h2 id={`group-${i}`}>
                  {group ?? (groups.length === 1 ? "All event types" : "Other event types")}{" "}
                  <span class="muted small">({list.length})</span>
                </h2>
                {list.map((e) => (
                  <TypeCard key={e.type.name} app={app} entry={e} subs={subs.data?.data} done={setNotice} />
                ))}
              </section>
            ))
          )
        }
      </Show>
    </section>
  );
}

/** One type, read-only: its name, badge, description, schema versions (the newest open) and examples. */
function TypeCard({
  app,
  entry,
  subs,
  done,
}: {
  app: string;
  entry: CatalogEntry;
  subs: Subscription[] | undefined;
  done: (message: ComponentChildren) => void;
}) {
  const t = entry.type;
  const id = `type-${t.name}`;
  return (
    <article class="card type" aria-labelledby={id}>
      <div class="type-title">
        <h3 id={id}>
          <code>{t.name}</code>
        </h3>
        {t.deprecated && <Badge status="deprecated" />}
      </div>
      {t.description ? <p>{t.description}</p> : <p class="muted">No description.</p>}
      {t.deprecated && <p class="warn-text small">Deprecated: it may stop being sent; prefer its successor.</p>}
      {t.versions.length === 0 ? (
        <p class="muted">No schema: its payload may be any JSON.</p>
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
      {subs && <SendExample app={app} base={path`/apps/${app}/event-types/${t.name}`} t={t} subs={subs} done={done} />}
    </article>
  );
}

export function ActivityPage({ app }: { app: string }) {
  useTitle("Activity · hookd");
  return (
    <section>
      <h1>Activity</h1>
      <p class="muted">
        The events sent to your endpoints, newest first, with how their deliveries stand. Open one to see its payload
        and each delivery's attempts.
      </p>
      <EventSearch app={app} />
    </section>
  );
}
