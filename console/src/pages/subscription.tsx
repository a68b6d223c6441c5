import { useState } from "preact/hooks";
import {
  get,
  getExact,
  path,
  post,
  query,
  type Delivery,
  type DeliveryStatus,
  type Paged,
  type PublishedEvent,
  type Subscription,
  type SubscriptionStats,
  type SubscriptionWithSecret,
} from "../api";
import {
  Action,
  Badge,
  ErrorBox,
  HttpStatus,
  Link,
  PagedTable,
  percent,
  Show,
  Sparkline,
  Time,
  useInterval,
  useForm,
  useLoad,
  usePager,
} from "../ui";
import { Attempts, RequestShown, useDelivery } from "./delivery";
import { FilterSection } from "./subscription-filter";
import { at, printJson } from "../json";

const STATUSES: DeliveryStatus[] = ["pending", "delivering", "succeeded", "retrying", "dead", "cancelled"];

export function SubscriptionPage({ app, sub }: { app: string; sub: string }) {
  const subscription = useLoad(() => getExact<Subscription>(path`/apps/${app}/subscriptions/${sub}`), [app, sub]);
  const stats = useLoad(
    () => get<SubscriptionStats>(path`/apps/${app}/subscriptions/${sub}/stats` + query({ hours: 24 })),
    [app, sub],
  );
  const [notice, setNotice] = useState<string>();
  const [deliveriesKey, setDeliveriesKey] = useState(0);
  const changed = (message: string) => {
    setNotice(message);
    subscription.reload();
    setDeliveriesKey((k) => k + 1);
  };
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link to="/apps">Apps</Link> / <Link to={path`/apps/${app}`}>{app}</Link> /{" "}
        <span aria-current="page">{sub}</span>
      </nav>
      <Show loaded={subscription}>
        {({ data: s, exact }) => (
          <>
            <h1>
              Subscription {s.description ? <>“{s.description}”</> : <code>{s.id}</code>} <Badge status={s.status} />
            </h1>
            <dl class="facts">
              <dt>Receiver</dt>
              <dd class="url">{s.url}</dd>
              <dt>Format</dt>
              <dd>{s.format}</dd>
              <dt>Event types</dt>
              <dd>{s.event_types.length ? s.event_types.join(", ") : "all"}</dd>
              <dt>Payload filter</dt>
              <dd>{s.filter ? <code>{printJson(at(exact, "filter") ?? null, 0)}</code> : "none: every payload"}</dd>
              <dt>Rate limit</dt>
              <dd>{s.rate_limit ? `${s.rate_limit} per second` : "none"}</dd>
              <dt>Ordering</dt>
              <dd>{s.ordering}</dd>
              <dt>Extra headers</dt>
              <dd>{Object.keys(s.headers).length ? Object.keys(s.headers).join(", ") : "none"}</dd>
              <dt>Success, 24 h</dt>
              <dd>
                {stats.data ? (
                  <>
                    {percent(stats.data.success_rate)}{" "}
                    <span class="muted">
                      ({stats.data.succeeded} succeeded, {stats.data.failed} failed attempts)
                    </span>{" "}
                    <Sparkline buckets={stats.data.buckets} label="Attempts per hour, last 24 hours" />
                  </>
                ) : (
                  "…"
                )}
              </dd>
            </dl>
            <div class="actions" role="group" aria-label="Subscription actions">
              {s.status === "enabled" ? (
                <Action
                  label="Disable"
                  run={() => post(path`/apps/${app}/subscriptions/${sub}/disable`)}
                  done={() => changed("Disabled: new events are not delivered; pending deliveries wait.")}
                />
              ) : (
                <Action
                  label="Enable"
                  kind="primary"
                  run={() => post(path`/apps/${app}/subscriptions/${sub}/enable`)}
                  done={() => changed("Enabled: held deliveries resume.")}
                />
              )}
              <Action
                label="Rotate secret"
                run={() => post<SubscriptionWithSecret>(path`/apps/${app}/subscriptions/${sub}/rotate-secret`, {})}
                done={(r) =>
                  changed(
                    `New signing secret (shown once): ${(r as SubscriptionWithSecret).secret} — the previous one keeps signing during the grace period.`,
                  )
                }
              />
              <Action
                label="Send test event"
                run={() => post<PublishedEvent>(path`/apps/${app}/subscriptions/${sub}/test`)}
                done={(r) => changed(`Test event ${(r as PublishedEvent).id} queued.`)}
              />
              <Replay app={app} sub={sub} done={changed} />
            </div>
            {notice && (
              <div class="notice" role="status">
                {notice}
              </div>
            )}
            <FilterSection app={app} sub={sub} filter={at(exact, "filter")} saved={changed} />
          </>
        )}
      </Show>
      <Deliveries key={deliveriesKey} app={app} sub={sub} />
    </section>
  );
}

function Replay({ app, sub, done }: { app: string; sub: string; done: (message: string) => void }) {
  const [since, setSince] = useState(() => localInput(new Date(Date.now() - 3600_000)));
  const form = useForm();
  return (
    <form
      class="inline"
      onSubmit={form.submit(async () => {
        const at = new Date(since);
        if (Number.isNaN(at.getTime())) throw new Error("choose a time to replay from");
        const r = await post<{ requeued: number }>(path`/apps/${app}/subscriptions/${sub}/replay`, {
          since: at.toISOString(),
        });
        done(`Replay queued ${r.requeued} dead or retrying deliver${r.requeued === 1 ? "y" : "ies"} again.`);
      })}
    >
      <label>
        Replay failures since
        <input type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={form.busy}>
        Replay
      </button>
      <ErrorBox error={form.error} />
    </form>
  );
}

function localInput(d: Date): string {
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function Deliveries({ app, sub }: { app: string; sub: string }) {
  const [status, setStatus] = useState<string>("");
  const pager = usePager(`${sub}:${status}`);
  const deliveries = useLoad(
    () =>
      get<Paged<Delivery>>(
        path`/apps/${app}/subscriptions/${sub}/deliveries` + query({ limit: 25, cursor: pager.cursor, status }),
      ),
    [app, sub, status, pager.cursor],
  );
  // The first page follows new deliveries; later pages stay put while they are read.
  useInterval(() => pager.page === 1 && deliveries.reload(), 2000);
  return (
    <>
      <div class="heading-row">
        <h2>Deliveries</h2>
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <PagedTable
        loaded={deliveries}
        pager={pager}
        class="deliveries"
        label="Deliveries"
        empty={`No deliveries${status ? ` that are ${status}` : ""}.`}
        columns={deliveryColumns(false)}
        row={deliveryRow(false)}
      />
    </>
  );
}

/** The columns of a list of deliveries, with the subscription of each when they are of several. */
export function deliveryColumns(showSubscription: boolean): string[] {
  return [
    "Delivery",
    ...(showSubscription ? ["Subscription"] : []),
    "Status",
    "Attempts",
    "Last answer",
    "Created",
    "Next attempt",
  ];
}

export function deliveryRow(showSubscription: boolean) {
  return (d: Delivery) => <DeliveryRow key={d.id} d={d} showSubscription={showSubscription} />;
}

/** One delivery; its attempts and request open beneath it on demand. */
function DeliveryRow({ d, showSubscription }: { d: Delivery; showSubscription: boolean }) {
  const [open, setOpen] = useState(false);
  const details = `details-${d.id}`;
  return (
    <>
      <tr data-status={d.status}>
        <td>
          <button
            type="button"
            class="link"
            aria-expanded={open}
            aria-controls={details}
            aria-label={`${open ? "Hide" : "Show"} the attempts of ${d.id}`}
            onClick={() => setOpen((o) => !o)}
          >
            {open ? "▾" : "▸"}
          </button>{" "}
          <Link to={path`/deliveries/${d.id}`}>{d.id}</Link>
        </td>
        {showSubscription && (
          <td>
            <Link to={path`/apps/${d.app_id}/subscriptions/${d.subscription_id}`}>{d.subscription_id}</Link>
          </td>
        )}
        <td>
          <Badge status={d.status} />
        </td>
        <td>{d.attempts}</td>
        <td>
          {d.attempts > 0 ? <HttpStatus code={d.last_status_code} error={d.last_error} /> : null}{" "}
          {d.last_error && <span class="muted small">{d.last_error}</span>}
        </td>
        <td>
          <Time at={d.created_at} />
        </td>
        <td>
          <Time at={d.next_attempt_at} />
        </td>
      </tr>
      {open && (
        <tr class="details" id={details}>
          <td colSpan={deliveryColumns(showSubscription).length}>
            <DeliveryDetails id={d.id} />
          </td>
        </tr>
      )}
    </>
  );
}

function DeliveryDetails({ id }: { id: string }) {
  const delivery = useDelivery(id);
  return (
    <Show loaded={delivery}>
      {(d) => (
        <div class="expanded">
          <Attempts d={d} />
          <RequestShown d={d} />
          <Action label="Retry now" run={() => post(path`/deliveries/${id}/retry`)} done={delivery.reload} />
        </div>
      )}
    </Show>
  );
}
