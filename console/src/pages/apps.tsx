import { useState } from "preact/hooks";
import {
  get,
  path,
  post,
  query,
  type App,
  type Paged,
  type PublishedEvent,
  type Subscription,
  type SubscriptionStats,
  type SubscriptionWithSecret,
} from "../api";
import { Badge, ErrorBox, Link, PagedTable, percent, Sparkline, Time, useForm, useLoad, usePager } from "../ui";
import { AppTabs } from "../widgets";
import { EventSearch, EventState } from "./search";
import { AppSettings } from "./settings";

export function AppsPage() {
  const pager = usePager("apps");
  const apps = useLoad(() => get<Paged<App>>(`/apps${query({ limit: 50, cursor: pager.cursor })}`), [pager.cursor]);
  return (
    <section>
      <h1>Apps</h1>
      <PagedTable
        loaded={apps}
        pager={pager}
        label="Apps"
        empty="No apps yet."
        columns={["App", "Kind", "Name", "Created"]}
        row={(a) => (
          <tr key={a.id}>
            <td>
              <Link to={path`/apps/${a.id}`}>{a.id}</Link>
            </td>
            <td>{a.kind}</td>
            <td>{a.name ?? <span class="muted">—</span>}</td>
            <td>
              <Time at={a.created_at} />
            </td>
          </tr>
        )}
      />
      <CreateApp done={apps.reload} />
    </section>
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

export function AppPage({ app }: { app: string }) {
  const pager = usePager(`subs:${app}`);
  const subs = useLoad(
    () => get<Paged<Subscription>>(path`/apps/${app}/subscriptions` + query({ limit: 50, cursor: pager.cursor })),
    [app, pager.cursor],
  );
  const [created, setCreated] = useState<SubscriptionWithSecret>();
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link to="/apps">Apps</Link> / <span aria-current="page">{app}</span>
      </nav>
      <h1>
        App <code>{app}</code>
      </h1>
      <AppTabs app={app} current="overview" />
      <AppSettings app={app} />
      <h2>Subscriptions</h2>
      <PagedTable
        loaded={subs}
        pager={pager}
        label="Subscriptions"
        empty="No subscriptions yet."
        columns={["Subscription", "Status", "Format", "Filter", "Rate limit", "Success, 24 h", "Attempts, 24 h"]}
        row={(s) => <SubscriptionRow key={s.id} sub={s} />}
      />
      {created && (
        <div class="notice" role="status">
          Subscription <code>{created.id}</code> created. Its signing secret, shown once here:{" "}
          <code class="secret">{created.secret}</code>
        </div>
      )}
      <CreateSubscription
        app={app}
        done={(s) => {
          setCreated(s);
          subs.reload();
        }}
      />
      <PublishEvent app={app} />
      <EventSearch app={app} />
    </section>
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
    <tr>
      <td>
        <Link to={path`/apps/${sub.app_id}/subscriptions/${sub.id}`}>{sub.description || sub.id}</Link>
        <div class="muted small url">{sub.url}</div>
      </td>
      <td>
        <Badge status={sub.status} />
      </td>
      <td>{sub.format}</td>
      <td>{filter}</td>
      <td>{sub.rate_limit ? `${sub.rate_limit}/s` : <span class="muted">none</span>}</td>
      <td>{stats.data ? percent(stats.data.success_rate) : stats.error ? "?" : "…"}</td>
      <td>
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

function CreateSubscription({ app, done }: { app: string; done: (s: SubscriptionWithSecret) => void }) {
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState("");
  const [description, setDescription] = useState("");
  const [rate, setRate] = useState("");
  const form = useForm();
  return (
    <form
      class="card"
      aria-labelledby="create-sub"
      onSubmit={form.submit(async () => {
        const s = await post<SubscriptionWithSecret>(path`/apps/${app}/subscriptions`, {
          url: url.trim(),
          event_types: types
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
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
      <h2 id="create-sub">New subscription</h2>
      <div class="row">
        <label class="grow">
          Receiver URL
          <input
            type="url"
            required
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            placeholder="https://"
          />
        </label>
        <label>
          <span>
            Event types <span class="muted">(comma-separated; empty: all)</span>
          </span>
          <input value={types} onInput={(e) => setTypes(e.currentTarget.value)} />
        </label>
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
        <button type="submit" disabled={form.busy}>
          Create subscription
        </button>
      </div>
      <ErrorBox error={form.error} />
    </form>
  );
}

function PublishEvent({ app }: { app: string }) {
  const [type, setType] = useState("");
  const [payload, setPayload] = useState("{}");
  const form = useForm();
  const [published, setPublished] = useState<PublishedEvent>();
  return (
    <form
      class="card"
      aria-labelledby="publish"
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
      <h2 id="publish">Publish an event</h2>
      <div class="row">
        <label>
          Event type
          <input required value={type} onInput={(e) => setType(e.currentTarget.value)} />
        </label>
        <label class="grow">
          Payload (JSON)
          <textarea rows={3} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} spellcheck={false} />
        </label>
        <button type="submit" disabled={form.busy}>
          Publish
        </button>
      </div>
      <ErrorBox error={form.error} />
      {published && (
        <p role="status">
          Published <Link to={path`/apps/${app}/events/${published.id}`}>{published.id}</Link> to{" "}
          {published.deliveries.length} subscription{published.deliveries.length === 1 ? "" : "s"}.{" "}
          <EventState event={published} unchecked={false} />
        </p>
      )}
    </form>
  );
}
