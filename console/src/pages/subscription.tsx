import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import {
  ApiError,
  canWrite,
  get,
  getExact,
  path,
  PORTAL,
  post,
  query,
  type Delivery,
  type DeliveryStatus,
  type FailureGroup,
  type Paged,
  type PublishedEvent,
  type Replayed,
  type Subscription,
  type SubscriptionStats,
  type SubscriptionWithSecret,
} from "../api";
import {
  Action,
  asApiError,
  Badge,
  Crumbs,
  ErrorBox,
  HealthBadge,
  href,
  Id,
  Link,
  PagedTable,
  percent,
  Show,
  Sparkline,
  subscriptionName,
  SUBSCRIPTION,
  Time,
  useForm,
  useInterval,
  useLoad,
  usePager,
  useRun,
  useTitle,
} from "../ui";
import { ConfirmDialog } from "../widgets";
import {
  ConfirmedAction,
  CopyButton,
  deliveries as deliveriesText,
  FailuresShown,
  HealthLine,
  LastAnswer,
  NextAttempt,
} from "../failures";
import { Attempts, RequestShown, useDelivery } from "./delivery";
import { DeleteSubscription, EditSubscription } from "./subscription-edit";
import { FilterSection } from "./subscription-filter";
import { at, printJson } from "../json";

const STATUSES: DeliveryStatus[] = ["pending", "delivering", "succeeded", "retrying", "dead", "cancelled"];

export function SubscriptionPage({ app, sub }: { app: string; sub: string }) {
  const subscription = useLoad(() => getExact<Subscription>(path`/apps/${app}/subscriptions/${sub}`), [app, sub]);
  const stats = useLoad(
    () => get<SubscriptionStats>(path`/apps/${app}/subscriptions/${sub}/stats` + query({ hours: 24 })),
    [app, sub],
  );
  const failures = useLoad(
    () => get<{ data: FailureGroup[] }>(path`/apps/${app}/subscriptions/${sub}/failures`),
    [app, sub],
  );
  // Its health and failures follow the deliveries, which go on while the page is open.
  useInterval(() => {
    subscription.reload();
    failures.reload();
  }, 3000);
  useInterval(stats.reload, 10_000);
  const [notice, setNotice] = useState<ComponentChildren>();
  const [editing, setEditing] = useState(false);
  const [deliveriesKey, setDeliveriesKey] = useState(0);
  const changed = (message: ComponentChildren) => {
    setNotice(message);
    subscription.reload();
    failures.reload();
    stats.reload();
    setDeliveriesKey((k) => k + 1);
  };
  const s = subscription.data?.data;
  useTitle(s && `${SUBSCRIPTION} “${subscriptionName(s)}” · ${app} · hookd`);
  const base = path`/apps/${app}/subscriptions/${sub}`;
  const writes = canWrite();
  return (
    <section class="fix-page">
      <Crumbs app={app}>
        <span aria-current="page">{s ? subscriptionName(s) : sub}</span>
      </Crumbs>
      <Show loaded={subscription}>
        {({ data: s, exact }) => (
          <>
            <h1>
              {SUBSCRIPTION} “{subscriptionName(s)}” <HealthBadge sub={s} />
            </h1>
            <p class="fix-id muted">
              <Id id={s.id} /> <CopyButton text={s.id} label={`Copy the ${SUBSCRIPTION.toLowerCase()}'s id`} />
            </p>
            <HealthLine s={s} />
            <dl class="facts">
              <dt>{PORTAL ? "URL" : "Receiver"}</dt>
              <dd class="url">{s.url}</dd>
              <dt>Status</dt>
              <dd>
                <Badge status={s.status} />
              </dd>
              <dt>Format</dt>
              <dd>{s.format}</dd>
              <dt>Event types</dt>
              <dd>{s.event_types.length ? s.event_types.join(", ") : "all"}</dd>
              {s.channel_id && (
                <>
                  <dt>Channel</dt>
                  <dd>{s.channel_id}</dd>
                </>
              )}
              {s.users.length > 0 && (
                <>
                  <dt>Users</dt>
                  <dd>{s.users.join(", ")}</dd>
                </>
              )}
              <dt>Payload filter</dt>
              <dd>{s.filter ? <code>{printJson(at(exact, "filter") ?? null, 0)}</code> : "none: every payload"}</dd>
              <dt>Rate limit</dt>
              <dd>{s.rate_limit ? `${s.rate_limit} per second` : "none"}</dd>
              <dt>Timeout</dt>
              <dd>{s.timeout_ms ? `${s.timeout_ms} ms` : "the server's"}</dd>
              <dt>Retries</dt>
              <dd>{Array.isArray(s.retry) ? `after ${s.retry.join(", ")} s` : s.retry}</dd>
              <dt>Ordering</dt>
              <dd>{s.ordering}</dd>
              {s.batch && (
                <>
                  <dt>Batches</dt>
                  <dd>
                    up to {s.batch.max_events} events, waiting at most {s.batch.max_wait_ms} ms
                  </dd>
                </>
              )}
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
            {writes && (
              <div class="actions" role="group" aria-label={`${SUBSCRIPTION} actions`}>
                <button type="button" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
                  Edit
                </button>
                {s.status === "enabled" ? (
                  <ConfirmedAction
                    label="Disable"
                    ask={() => ({
                      title: `Disable “${subscriptionName(s)}”?`,
                      confirm: "Disable",
                      body: (
                        <p>
                          New events are not delivered to it, and its pending and retrying deliveries wait until it is
                          enabled again.
                        </p>
                      ),
                    })}
                    run={async () => {
                      await post(`${base}/disable`);
                      return "Disabled: new events are not delivered; pending deliveries wait.";
                    }}
                    report={changed}
                  />
                ) : (
                  <Action
                    label="Enable"
                    kind="primary"
                    run={() => post(`${base}/enable`)}
                    done={() => changed("Enabled: held deliveries resume.")}
                  />
                )}
                <ConfirmedAction
                  label="Rotate secret"
                  ask={() => ({
                    title: "Rotate the signing secret?",
                    confirm: "Rotate",
                    body: (
                      <p>
                        A new secret signs every callback from now on. The previous one keeps signing beside it for the
                        grace period: update the receiver's verification within it.
                      </p>
                    ),
                  })}
                  run={async () => {
                    const { secret } = await post<SubscriptionWithSecret>(`${base}/rotate-secret`, {});
                    return (
                      <>
                        New signing secret (shown once): <code class="secret">{secret}</code>{" "}
                        <CopyButton text={secret} label="Copy the new signing secret" /> — the previous one keeps
                        signing during the grace period.
                      </>
                    );
                  }}
                  report={changed}
                />
                <Action
                  label="Send test event"
                  run={() => post<PublishedEvent>(`${base}/test`)}
                  done={(r) => changed(testSent(r as PublishedEvent))}
                />
                <DeleteSubscription s={s} />
              </div>
            )}
            {notice && (
              <div class="notice" role="status">
                {notice}
              </div>
            )}
            {editing && writes && (
              <EditSubscription
                s={s}
                saved={(message) => {
                  setEditing(false);
                  changed(message);
                }}
                cancel={() => setEditing(false)}
              />
            )}
            <Secret app={app} sub={sub} />
            {PORTAL && (
              <p class="muted small">
                Every request carries a signature made with this secret, in its <code>webhook-signature</code> header:{" "}
                <Link to="/verify">how to verify it</Link>.
              </p>
            )}
            <section aria-labelledby="failures-heading">
              <div class="heading-row">
                <h2 id="failures-heading">Why deliveries fail</h2>
                {writes && (failures.data?.data.length ?? 0) > 0 && <RetryAll s={s} done={changed} />}
              </div>
              <FailuresShown loaded={failures} />
              {writes && <Replay app={app} sub={sub} done={changed} />}
            </section>
            {/* The filter's editor speaks of FILTERS.md and payload paths: the operator's and the account's
                tool, not the end customer's (who sees the filter set for them among the facts above). */}
            {!PORTAL && <FilterSection app={app} sub={sub} filter={at(exact, "filter")} saved={changed} />}
          </>
        )}
      </Show>
      {s && <Deliveries key={deliveriesKey} s={s} />}
    </section>
  );
}

/** What a test event's sending says. */
function testSent(e: PublishedEvent): string {
  return `Test event ${e.id} queued.`;
}

/** The signing secret, shown on request; a key without the right to read it is told so in a sentence. */
function Secret({ app, sub }: { app: string; sub: string }) {
  const [shown, setShown] = useState<{ secret: string } | ApiError>();
  const form = useForm();
  if (shown === undefined)
    return (
      <form
        class="fix-secret"
        onSubmit={form.submit(async () => {
          try {
            setShown(await get<{ secret: string }>(path`/apps/${app}/subscriptions/${sub}/secret`));
          } catch (e) {
            const error = asApiError(e);
            if (error.status !== 403) throw error;
            setShown(error);
          }
        })}
      >
        <span class="muted">Signing secret: hidden.</span>{" "}
        <button type="submit" disabled={form.busy}>
          Reveal
        </button>
        <ErrorBox error={form.error} />
      </form>
    );
  return (
    <p class="fix-secret">
      {shown instanceof ApiError ? (
        <span class="warn-text">
          This access key may not read the signing secret (the server answered: {shown.message}). Ask someone whose key
          has the right, or rotate the secret to get a new one.
        </span>
      ) : (
        <>
          Signing secret: <code class="secret">{shown.secret}</code>{" "}
          <CopyButton text={shown.secret} label="Copy the signing secret" />
        </>
      )}{" "}
      <button type="button" onClick={() => setShown(undefined)}>
        Hide
      </button>
    </p>
  );
}

/** Queues again every retrying or dead delivery, once the person saw how many and confirmed. */
function RetryAll({ s, done }: { s: Subscription; done: (message: ComponentChildren) => void }) {
  const url = path`/apps/${s.app_id}/subscriptions/${s.id}/replay`;
  return (
    <ConfirmedAction
      label="Retry all failing now"
      kind="primary"
      ask={async () => {
        const { matching } = await post<Replayed>(url, { dry_run: true });
        if (matching === 0) return "Nothing to retry: no delivery is retrying or dead.";
        return {
          title: `Retry ${deliveriesText(matching)} now?`,
          confirm: `Retry ${matching}`,
          body: (
            <p>
              Every retrying or dead delivery of “{subscriptionName(s)}” — <strong>{matching}</strong> in all — is
              queued again, due now, at the subscription's rate limit.
              {s.status !== "enabled" && ` The subscription is ${s.status}: they wait until it is enabled.`}
            </p>
          ),
        };
      }}
      run={async () => {
        const r = await post<Replayed>(url, {});
        return `Queued ${deliveriesText(r.requeued)} again.`;
      }}
      report={done}
    />
  );
}

/** Replays the failures since a time, once the person saw how many and confirmed. */
function Replay({ app, sub, done }: { app: string; sub: string; done: (message: string) => void }) {
  const [since, setSince] = useState(() => localInput(new Date(Date.now() - 3600_000)));
  const [asking, setAsking] = useState<{ since: string; matching: number }>();
  const form = useForm();
  const replay = useRun();
  const url = path`/apps/${app}/subscriptions/${sub}/replay`;
  return (
    <form
      class="inline fix-replay"
      onSubmit={form.submit(async () => {
        const at = new Date(since);
        if (Number.isNaN(at.getTime())) throw new Error("choose a time to replay from");
        const { matching } = await post<Replayed>(url, { since: at.toISOString(), dry_run: true });
        if (matching === 0) done("Nothing to replay: no delivery created since then is dead or retrying.");
        else setAsking({ since: at.toISOString(), matching });
      })}
    >
      <label>
        Replay failures since
        <input type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={form.busy || replay.busy}>
        Replay
      </button>
      <ErrorBox error={form.error ?? replay.error} />
      {asking && (
        <ConfirmDialog
          open
          title={`Replay ${deliveriesText(asking.matching)}?`}
          confirm={`Replay ${asking.matching}`}
          onCancel={() => setAsking(undefined)}
          onConfirm={() => {
            setAsking(undefined);
            void replay.run(async () => {
              const r = await post<Replayed>(url, { since: asking.since });
              done(`Replay queued ${deliveriesText(r.requeued)} that were dead or retrying again.`);
            });
          }}
        >
          <p>
            <strong>{asking.matching}</strong> dead or retrying deliveries created since <Time at={asking.since} /> are
            queued again, due now, at the subscription's rate limit.
          </p>
        </ConfirmDialog>
      )}
    </form>
  );
}

function localInput(d: Date): string {
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function Deliveries({ s }: { s: Subscription }) {
  const [status, setStatus] = useState<string>("");
  const pager = usePager(`${s.id}:${status}`);
  const deliveries = useLoad(
    () =>
      get<Paged<Delivery>>(
        path`/apps/${s.app_id}/subscriptions/${s.id}/deliveries` + query({ limit: 25, cursor: pager.cursor, status }),
      ),
    [s.app_id, s.id, status, pager.cursor],
  );
  // The first page follows new deliveries; later pages stay put while they are read.
  useInterval(() => pager.page === 1 && deliveries.reload(), 2000);
  const of: DeliveriesOf = { subscription: s };
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
        class="deliveries fix-deliveries"
        cards
        label="Deliveries"
        empty={`No deliveries${status ? ` that are ${status}` : ""}.`}
        columns={deliveryColumns(of)}
        row={deliveryRow(of)}
      />
    </>
  );
}

/** Whose deliveries a list shows: one subscription's, or several (their names and statuses by id, once
 * loaded). */
export type DeliveriesOf = { subscription: Subscription } | { subscriptions: Map<string, Subscription> | undefined };

function subscriptionOf(of: DeliveriesOf, d: Delivery): Subscription | undefined {
  return "subscription" in of ? of.subscription : of.subscriptions?.get(d.subscription_id);
}

/** The columns of a list of deliveries, with the subscription of each when they are of several. */
export function deliveryColumns(of: DeliveriesOf): string[] {
  return [
    "Delivery",
    ...("subscriptions" in of ? [SUBSCRIPTION] : []),
    "Event type",
    "Status",
    "Attempts",
    "Last answer",
    "Created",
    "Next attempt",
  ];
}

export function deliveryRow(of: DeliveriesOf) {
  return (d: Delivery) => <DeliveryRow key={d.id} d={d} of={of} />;
}

/** One delivery; its attempts and request open beneath it on demand. */
function DeliveryRow({ d, of }: { d: Delivery; of: DeliveriesOf }) {
  const [open, setOpen] = useState(false);
  const details = `details-${d.id}`;
  const s = subscriptionOf(of, d);
  const columns = deliveryColumns(of);
  return (
    <>
      <tr data-status={d.status}>
        <td data-label="Delivery">
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
          <Link to={href.delivery(d.id)}>{d.id}</Link>
        </td>
        {"subscriptions" in of && (
          <td data-label={SUBSCRIPTION}>
            <Link to={href.subscription(d.app_id, d.subscription_id)}>
              {s ? subscriptionName(s) : d.subscription_id}
            </Link>
          </td>
        )}
        <td data-label="Event type">{d.event_type}</td>
        <td data-label="Status">
          <Badge status={d.status} />
        </td>
        <td data-label="Attempts">{d.attempts}</td>
        <td data-label="Last answer">
          <LastAnswer
            code={d.last_status_code}
            error={d.last_error}
            failure={d.last_failure}
            attempted={d.attempts > 0}
          />
        </td>
        <td data-label="Created">
          <Time at={d.created_at} />
        </td>
        <td data-label="Next attempt">
          <NextAttempt d={d} status={s?.status} />
        </td>
      </tr>
      {open && (
        <tr class="details" id={details}>
          <td colSpan={columns.length}>
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
          {canWrite() && (
            <Action label="Retry now" run={() => post(path`/deliveries/${id}/retry`)} done={delivery.reload} />
          )}
        </div>
      )}
    </Show>
  );
}
