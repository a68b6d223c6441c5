import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import {
  canWrite,
  get,
  path,
  PORTAL,
  post,
  query,
  type App,
  type Health,
  type HealthCount,
  type Paged,
  type PublishedEvent,
  type Subscription,
  type SubscriptionStats,
  type SubscriptionWithSecret,
} from "../api";
import {
  commaList,
  ErrorBox,
  HealthBadge,
  href,
  Id,
  Link,
  Missing,
  PagedTable,
  percent,
  Show,
  Sparkline,
  subscriptionName,
  Time,
  useForm,
  useLoad,
  usePager,
  useTitle,
} from "../ui";
import { CopyButton } from "../failures";
import { AppTabs, FormError } from "../widgets";
import { EventTypePicker } from "./event-type-picker";
import { EventSearch, EventState } from "./search";
import { AppSettings } from "./settings";

/** The apps hookd makes and uses itself, by kind, each with what it is for. */
export const SYSTEM_APPS: Record<string, string> = {
  ops: "hookd's own operational events (delivery.dead, subscription.locked, subscription.recovered): subscribe to be told when deliveries fail.",
  cams: "The callback configuration of the CAMS (Alibaba Cloud) dialect: its webhooks of message status and inbound messages.",
  ess: "The callback configuration of the ESS (Tencent Cloud) dialect: its application callback URLs.",
  meeting: "The callback configuration of the Huawei Cloud Meeting dialect: its webhook link config.",
};

/** The order health is told in, worst first. */
const WORST_FIRST: Health[] = ["failing", "locked", "disabled", "healthy"];

/** Sort key: failing first, then locked, disabled, and what is fine. */
export function healthRank(c: Pick<HealthCount, Health> | undefined): number {
  if (!c) return WORST_FIRST.length;
  const i = WORST_FIRST.findIndex((h) => c[h] > 0);
  return i < 0 ? WORST_FIRST.length : i;
}

/** Health counts summed by a key (the app, or the account). */
export function sumHealth(rows: HealthCount[], key: (r: HealthCount) => string): Map<string, Record<Health, number>> {
  const out = new Map<string, Record<Health, number>>();
  for (const r of rows) {
    const sum = out.get(key(r)) ?? { healthy: 0, failing: 0, disabled: 0, locked: 0 };
    for (const h of WORST_FIRST) sum[h] += r[h];
    out.set(key(r), sum);
  }
  return out;
}

/** "2 failing of 3": the worst health present with its count, of how many subscriptions. */
export function HealthSummary({ counts }: { counts: Record<Health, number> | undefined }) {
  const total = counts ? WORST_FIRST.reduce((n, h) => n + counts[h], 0) : 0;
  if (!counts || total === 0) return <span class="muted">no subscriptions</span>;
  const worst = WORST_FIRST.find((h) => counts[h] > 0)!;
  const others = WORST_FIRST.filter((h) => h !== worst && counts[h] > 0);
  return (
    <span class="health">
      <span class={`badge ${worst === "healthy" ? "ok" : worst === "disabled" ? "muted" : "bad"}`}>
        {counts[worst]} {worst}
      </span>
      {counts[worst] < total && ` of ${total}`}
      {others.length > 0 && <span class="muted small"> ({others.map((h) => `${counts[h]} ${h}`).join(", ")})</span>}
    </span>
  );
}

export function loadHealth(): Promise<{ data: HealthCount[] }> {
  return get<{ data: HealthCount[] }>("/subscription-health");
}

export function AppsPage({ health: only }: { health?: string }) {
  useTitle("Apps · hookd");
  const pager = usePager("apps");
  const apps = useLoad(() => get<Paged<App>>(`/apps${query({ limit: 50, cursor: pager.cursor })}`), [pager.cursor]);
  const health = useLoad(loadHealth, []);
  const byApp = sumHealth(health.data?.data ?? [], (r) => r.app_id);
  const filter = WORST_FIRST.find((h) => h === only);
  const sorted = apps.data && {
    ...apps.data,
    data: apps.data.data
      .filter((a) => !filter || (byApp.get(a.id)?.[filter] ?? 0) > 0)
      .map((a, i) => [a, i] as const)
      .sort(([a, i], [b, j]) => healthRank(byApp.get(a.id)) - healthRank(byApp.get(b.id)) || i - j)
      .map(([a]) => a),
  };
  return (
    <section>
      <h1>Apps</h1>
      {filter && (
        <p class="filtered">
          Only the apps with a {filter} subscription. <a href="#/apps">Show every app</a>
        </p>
      )}
      <ErrorBox error={health.error} />
      <PagedTable
        loaded={{ ...apps, data: sorted }}
        pager={pager}
        label="Apps"
        cards
        empty={filter ? `No app has a ${filter} subscription.` : "No apps yet."}
        columns={["App", "Subscriptions", "Kind", "Created"]}
        row={(a) => (
          <tr key={a.id}>
            <th scope="row">
              <Link to={path`/apps/${a.id}`}>{a.id}</Link>
              {a.name && <div class="small">{a.name}</div>}
            </th>
            <td data-label="Subscriptions">
              {health.data ? <HealthSummary counts={byApp.get(a.id)} /> : <span class="muted">…</span>}
            </td>
            <td data-label="Kind">
              <AppKind app={a} />
            </td>
            <td data-label="Created">
              <Time at={a.created_at} />
            </td>
          </tr>
        )}
      />
      <CreateApp done={apps.reload} />
    </section>
  );
}

/** An app's kind; a system app says so, and what it is for. */
function AppKind({ app }: { app: App }) {
  const system = SYSTEM_APPS[app.kind];
  if (!system) return <>{app.kind}</>;
  return (
    <>
      <span class="badge wait">system</span> {app.kind}
      <div class="muted small">{system}</div>
    </>
  );
}

function CreateApp({ done }: { done: () => void }) {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const form = useForm();
  return (
    <form
      class="card"
      aria-labelledby="create-app"
      onSubmit={form.submit(async () => {
        await post<App>("/apps", { id: id.trim(), name: name.trim() || null });
        setId("");
        setName("");
        done();
      })}
    >
      <h2 id="create-app">New app</h2>
      <div class="row">
        <label>
          Id
          <input required value={id} onInput={(e) => setId(e.currentTarget.value)} pattern="[A-Za-z0-9._\-]{1,64}" />
        </label>
        <label>
          Name
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={form.busy}>
          Create app
        </button>
      </div>
      <ErrorBox error={form.error} />
    </form>
  );
}

/** An app's page, once the app is known to exist: an unknown app is one message and nothing else. */
export function AppPage({ app }: { app: string }) {
  const loaded = useLoad(() => get<App>(path`/apps/${app}`), [app]);
  if (!loaded.data && loaded.error?.status === 404) return <MissingApp app={app} />;
  return <Show loaded={loaded}>{(a) => <AppOverview app={a} saved={loaded.reload} />}</Show>;
}

export function MissingApp({ app }: { app: string }) {
  return (
    <Missing title={`There is no app “${app}”`}>
      This account has no app with the id <code>{app}</code>. It may have been deleted, or the link is mistyped.
    </Missing>
  );
}

function AppOverview({ app: a, saved }: { app: App; saved: () => void }) {
  const app = a.id;
  useTitle(`App ${a.name ? `“${a.name}” (${app})` : app} · hookd`);
  const system = SYSTEM_APPS[a.kind];
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link to="/apps">Apps</Link> / <span aria-current="page">{app}</span>
      </nav>
      <h1>
        App <code>{app}</code>
        {a.name && <span class="muted h1-name"> {a.name}</span>}
      </h1>
      {system && (
        <p class="system-note">
          <span class="badge wait">system</span> {system}
        </p>
      )}
      <AppTabs app={app} current="overview" />
      <AppSettings app={a} saved={saved} />
      <SubscriptionList app={app} publish={a.kind !== "ops"} />
      <EventSearch app={app} />
    </section>
  );
}

/**
 * An app's subscriptions, failing first, each by its name with its health and last day; a new one (and,
 * with `publish`, an event) from a button. The portal's list of endpoints is this list: there it is the
 * page (its heading an `h1`), the new endpoint's types are chosen from the catalog, and a read-only
 * session is offered no form.
 */
export function SubscriptionList({ app, publish }: { app: string; publish: boolean }) {
  const pager = usePager(`subs:${app}`);
  const subs = useLoad(
    () => get<Paged<Subscription>>(path`/apps/${app}/subscriptions` + query({ limit: 50, cursor: pager.cursor })),
    [app, pager.cursor],
  );
  const [created, setCreated] = useState<SubscriptionWithSecret>();
  const [open, setOpen] = useState<"subscribe" | "publish" | null>(null);
  const sorted = subs.data && {
    ...subs.data,
    data: subs.data.data
      .map((s, i) => [s, i] as const)
      .sort(([s, i], [t, j]) => WORST_FIRST.indexOf(s.health) - WORST_FIRST.indexOf(t.health) || i - j)
      .map(([s]) => s),
  };
  const toggle = (form: "subscribe" | "publish") => setOpen((o) => (o === form ? null : form));
  const writes = canWrite();
  return (
    <>
      <div class="heading-row">
        {PORTAL ? <h1>Endpoints</h1> : <h2>Subscriptions</h2>}
        {writes && (
          <div class="actions" role="group" aria-label="Add">
            <button
              type="button"
              aria-expanded={open === "subscribe"}
              aria-controls={open === "subscribe" ? "new-subscription" : undefined}
              onClick={() => toggle("subscribe")}
            >
              {PORTAL ? "Add endpoint" : "New subscription"}
            </button>
            {publish && (
              <button
                type="button"
                aria-expanded={open === "publish"}
                aria-controls={open === "publish" ? "publish-event" : undefined}
                onClick={() => toggle("publish")}
              >
                Publish an event
              </button>
            )}
          </div>
        )}
      </div>
      {PORTAL && (
        <p class="muted">
          The URLs this service sends its events to, as signed HTTP requests. Open one to see its deliveries, its
          signing secret and {writes ? "its settings" : "how it is set up"}.
        </p>
      )}
      {open === "subscribe" && (
        <CreateSubscription
          app={app}
          close={() => setOpen(null)}
          done={(s) => {
            setCreated(s);
            setOpen(null);
            subs.reload();
          }}
        />
      )}
      {open === "publish" && <PublishEvent app={app} close={() => setOpen(null)} />}
      {created &&
        (PORTAL ? (
          <div class="notice" role="status">
            Endpoint <Link to={href.subscription(app, created.id)}>{subscriptionName(created)}</Link> added. Its signing
            secret, to verify what it receives (its page can reveal it again):{" "}
            <code class="secret">{created.secret}</code>{" "}
            <CopyButton text={created.secret} label="Copy the signing secret" />
          </div>
        ) : (
          <div class="notice" role="status">
            Subscription <code>{created.id}</code> created. Its signing secret (the subscription's page can reveal it
            again): <code class="secret">{created.secret}</code>{" "}
            <CopyButton text={created.secret} label="Copy the signing secret" />
          </div>
        ))}
      <PagedTable
        loaded={{ ...subs, data: sorted }}
        pager={pager}
        label={PORTAL ? "Endpoints" : "Subscriptions"}
        cards
        class="subscriptions"
        empty={PORTAL ? `No endpoints yet.${writes ? " Add one to receive events." : ""}` : "No subscriptions yet."}
        columns={
          PORTAL
            ? ["Endpoint", "Health", "Event types", "Success, 24 h", "Attempts, 24 h"]
            : ["Subscription", "Health", "Format", "Filter", "Rate limit", "Success, 24 h", "Attempts, 24 h"]
        }
        row={(s) => <SubscriptionRow key={s.id} sub={s} />}
      />
    </>
  );
}

function SubscriptionRow({ sub }: { sub: Subscription }) {
  const stats = useLoad(
    () => get<SubscriptionStats>(path`/apps/${sub.app_id}/subscriptions/${sub.id}/stats` + query({ hours: 24 })),
    [sub.id],
  );
  const filter = [
    sub.event_types.length ? sub.event_types.join(", ") : "all types",
    sub.channel_id ? `channel ${sub.channel_id}` : null,
    sub.users.length ? `users ${sub.users.join(", ")}` : null,
    sub.filter ? "payload filter" : null,
  ]
    .filter(Boolean)
    .join("; ");
  return (
    <tr data-health={sub.health}>
      <th scope="row">
        <Link to={href.subscription(sub.app_id, sub.id)}>{subscriptionName(sub)}</Link>
        <div class="muted small url">{sub.url}</div>
        <Id id={sub.id} />
      </th>
      <td data-label="Health">
        <HealthBadge sub={sub} />
      </td>
      {PORTAL ? (
        <td data-label="Event types">{sub.event_types.length ? sub.event_types.join(", ") : "all types"}</td>
      ) : (
        <>
          <td data-label="Format">{sub.format}</td>
          <td data-label="Filter">{filter}</td>
          <td data-label="Rate limit">{sub.rate_limit ? `${sub.rate_limit}/s` : <span class="muted">none</span>}</td>
        </>
      )}
      <td data-label="Success, 24 h">{stats.data ? percent(stats.data.success_rate) : stats.error ? "?" : "…"}</td>
      <td data-label="Attempts, 24 h">
        {stats.data && (
          <Sparkline
            buckets={stats.data.buckets}
            label={`${stats.data.succeeded} succeeded and ${stats.data.failed} failed attempts in 24 hours`}
          />
        )}
      </td>
    </tr>
  );
}

/** A form that opens from a button: a card with its heading, its fields and a way to close it. */
function FormCard({
  id,
  title,
  close,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  close: () => void;
  onSubmit: (e: SubmitEvent) => void;
  children: ComponentChildren;
}) {
  return (
    <form class="card" id={id} aria-labelledby={`${id}-title`} onSubmit={onSubmit}>
      <div class="heading-row">
        <h2 id={`${id}-title`}>{title}</h2>
        <button type="button" class="link" onClick={close}>
          Close
        </button>
      </div>
      {children}
    </form>
  );
}

function CreateSubscription({
  app,
  done,
  close,
}: {
  app: string;
  done: (s: SubscriptionWithSecret) => void;
  close: () => void;
}) {
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState("");
  const [description, setDescription] = useState("");
  const [rate, setRate] = useState("");
  const form = useForm();
  const submit = (
    <button type="submit" class="primary" disabled={form.busy}>
      {PORTAL ? "Add endpoint" : "Create subscription"}
    </button>
  );
  return (
    <FormCard
      id="new-subscription"
      title={PORTAL ? "New endpoint" : "New subscription"}
      close={close}
      onSubmit={form.submit(async () => {
        const s = await post<SubscriptionWithSecret>(path`/apps/${app}/subscriptions`, {
          url: url.trim(),
          event_types: commaList(types),
          description: description.trim() || null,
          rate_limit: rate ? Number(rate) : null,
        });
        setUrl("");
        setTypes("");
        setDescription("");
        setRate("");
        done(s);
      })}
    >
      <div class="row">
        <label class="grow">
          {PORTAL ? "Endpoint URL" : "Receiver URL"}
          <input
            type="url"
            required
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            placeholder="https://"
          />
        </label>
        {!PORTAL && (
          <label>
            <span>
              Event types <span class="muted">(comma-separated; empty: all)</span>
            </span>
            <input value={types} onInput={(e) => setTypes(e.currentTarget.value)} />
          </label>
        )}
        <label>
          Description
          <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <label>
          <span>
            Rate limit <span class="muted">(per second)</span>
          </span>
          <input type="number" min={1} max={10000} value={rate} onInput={(e) => setRate(e.currentTarget.value)} />
        </label>
        {!PORTAL && submit}
      </div>
      {PORTAL && (
        <>
          <EventTypePicker
            app={app}
            value={commaList(types)}
            onChange={(list) => setTypes(list.join(", "))}
            error={form.error}
          />
          <div class="actions">{submit}</div>
        </>
      )}
      <FormError error={form.error} fields={PORTAL ? ["event_types"] : []} />
    </FormCard>
  );
}

function PublishEvent({ app, close }: { app: string; close: () => void }) {
  const [type, setType] = useState("");
  const [payload, setPayload] = useState("{}");
  const form = useForm();
  const [published, setPublished] = useState<PublishedEvent>();
  return (
    <FormCard
      id="publish-event"
      title="Publish an event"
      close={close}
      onSubmit={form.submit(async () => {
        setPublished(undefined);
        let body: unknown;
        try {
          body = JSON.parse(payload);
        } catch (err) {
          throw new Error(`the payload is not JSON: ${(err as Error).message}`);
        }
        setPublished(await post<PublishedEvent>(path`/apps/${app}/events`, { type: type.trim(), payload: body }));
      })}
    >
      <div class="row">
        <label>
          Event type
          <input required value={type} onInput={(e) => setType(e.currentTarget.value)} />
        </label>
        <label class="grow">
          Payload (JSON)
          <textarea rows={3} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} spellcheck={false} />
        </label>
        <button type="submit" class="primary" disabled={form.busy}>
          Publish
        </button>
      </div>
      <ErrorBox error={form.error} />
      {published && (
        <p role="status">
          Published <Link to={href.event(app, published.id)}>{published.id}</Link> to {published.deliveries.length}{" "}
          subscription{published.deliveries.length === 1 ? "" : "s"}. <EventState event={published} unchecked={false} />
        </p>
      )}
    </FormCard>
  );
}
