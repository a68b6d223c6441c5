import { useState } from "preact/hooks";
import { canWrite, get, path, post, type DeliveryDetail, type Subscription } from "../api";
import { failureTitle, LastAnswer, NextAttempt, useFailureKinds } from "../failures";
import {
  Action,
  Badge,
  Crumbs,
  href,
  HttpStatus,
  Link,
  Show,
  subscriptionName,
  SUBSCRIPTION,
  Time,
  useInterval,
  useLoad,
  useTitle,
} from "../ui";

const SETTLED = ["succeeded", "dead", "cancelled"];

/** A delivery with its attempt log, followed until it settles. */
export function useDelivery(id: string) {
  const delivery = useLoad(() => get<DeliveryDetail>(path`/deliveries/${id}`), [id]);
  useInterval(() => {
    if (delivery.data && !SETTLED.includes(delivery.data.status)) delivery.reload();
  }, 1000);
  return delivery;
}

export function DeliveryPage({ id }: { id: string }) {
  const delivery = useDelivery(id);
  const d = delivery.data;
  // Its subscription's name, and its status: a disabled or locked one holds the delivery back.
  const subscription = useLoad(
    async () => (d ? get<Subscription>(path`/apps/${d.app_id}/subscriptions/${d.subscription_id}`) : undefined),
    [d?.app_id, d?.subscription_id],
  );
  const s = subscription.data;
  const [notice, setNotice] = useState<string>();
  useTitle(d && `Delivery ${d.id} · ${d.app_id} · hookd`);
  return (
    <section class="fix-page">
      <Show loaded={delivery}>
        {(d) => (
          <>
            <Crumbs app={d.app_id}>
              <Link to={href.subscription(d.app_id, d.subscription_id)}>
                {s ? subscriptionName(s) : d.subscription_id}
              </Link>{" "}
              / <span aria-current="page">{d.id}</span>
            </Crumbs>
            <h1>
              Delivery <code>{d.id}</code> <Badge status={d.status} />
            </h1>
            <dl class="facts">
              <dt>Event</dt>
              <dd>
                <Link to={href.event(d.app_id, d.event_id)}>{d.event_type}</Link>{" "}
                <code class="muted small">{d.event_id}</code>
              </dd>
              <dt>{SUBSCRIPTION}</dt>
              <dd>
                <Link to={href.subscription(d.app_id, d.subscription_id)}>
                  {s ? subscriptionName(s) : d.subscription_id}
                </Link>
                {s && s.status !== "enabled" && (
                  <>
                    {" "}
                    <Badge status={s.status} />
                  </>
                )}
              </dd>
              <dt>Attempts</dt>
              <dd>{d.attempts}</dd>
              {d.attempts > 0 && (
                <>
                  <dt>Last answer</dt>
                  <dd>
                    <LastAnswer code={d.last_status_code} error={d.last_error} failure={d.last_failure} attempted />
                  </dd>
                </>
              )}
              <dt>Created</dt>
              <dd>
                <Time at={d.created_at} />
              </dd>
              <dt>Next attempt</dt>
              <dd>
                <NextAttempt d={d} status={s?.status} />
              </dd>
            </dl>
            {canWrite() && (
              <div class="actions">
                <Action
                  label="Retry now"
                  kind="primary"
                  run={() => post(path`/deliveries/${id}/retry`)}
                  done={() => {
                    setNotice("Retry queued; this page follows it.");
                    delivery.reload();
                  }}
                />
              </div>
            )}
            {notice && (
              <div class="notice" role="status">
                {notice}
              </div>
            )}
            <h2>Attempts</h2>
            <Attempts d={d} />
            <h2>Request</h2>
            <RequestShown d={d} />
          </>
        )}
      </Show>
    </section>
  );
}

/** Every attempt of a delivery, newest first: when, the answer, how long it took, what came back. */
export function Attempts({ d }: { d: DeliveryDetail }) {
  const known = useFailureKinds();
  return (
    <>
      {d.attempt_log.length === 0 ? (
        <p class="muted">No attempt yet.</p>
      ) : (
        <div class="scroll">
          <table class="attempts cards">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Started</th>
                <th scope="col">Answer</th>
                <th scope="col">Latency</th>
                <th scope="col">Response excerpt or error</th>
              </tr>
            </thead>
            <tbody>
              {[...d.attempt_log].reverse().map((a) => (
                <tr key={a.id}>
                  <td data-label="#">{a.attempt}</td>
                  <td data-label="Started">
                    <Time at={a.started_at} />
                  </td>
                  <td data-label="Answer">
                    <HttpStatus code={a.status_code} error={a.error} />
                    {a.failure && <div class="fix-kind">{failureTitle(a.failure, known)}</div>}
                  </td>
                  <td data-label="Latency">{a.duration_ms} ms</td>
                  <td data-label="Response or error">
                    {a.error && <div class="error-text">{a.error}</div>}
                    {a.response_excerpt && <pre class="excerpt">{a.response_excerpt}</pre>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The request the delivery sends, secrets and signatures masked by the server. */
export function RequestShown({ d }: { d: DeliveryDetail }) {
  return (
    <>
      {d.request ? (
        <>
          <p>
            <code>
              {d.request.method} {d.request.url}
            </code>
          </p>
          <p class="muted small">
            As hookd sends it with the subscription's current settings; secrets and signatures are masked.
          </p>
          <div class="scroll">
            <table class="headers">
              <caption class="sr-only">Request headers</caption>
              <tbody>
                {d.request.headers.map((h, i) => (
                  <tr key={i}>
                    <th scope="row">{h.name}</th>
                    <td>
                      <code>{h.value}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <pre class="body" aria-label="Request body">
            {pretty(d.request.body)}
            {d.request.body_truncated ? "\n… (cut)" : ""}
          </pre>
        </>
      ) : (
        <p class="muted">The request can no longer be shown (its event or subscription is gone).</p>
      )}
    </>
  );
}

export function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
