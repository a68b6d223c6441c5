import { useState } from "preact/hooks";
import { get, path, post, type DeliveryDetail } from "../api";
import { Action, Badge, HttpStatus, Link, Show, Time, useInterval, useLoad } from "../ui";

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
  const [notice, setNotice] = useState<string>();
  return (
    <section>
      <Show loaded={delivery}>
        {(d) => (
          <>
            <nav class="crumbs" aria-label="Breadcrumb">
              <Link to="/apps">Apps</Link> / <Link to={path`/apps/${d.app_id}`}>{d.app_id}</Link> /{" "}
              <Link to={path`/apps/${d.app_id}/subscriptions/${d.subscription_id}`}>{d.subscription_id}</Link> /{" "}
              <span aria-current="page">{d.id}</span>
            </nav>
            <h1>
              Delivery <code>{d.id}</code> <Badge status={d.status} />
            </h1>
            <dl class="facts">
              <dt>Event</dt>
              <dd>
                <Link to={path`/apps/${d.app_id}/events/${d.event_id}`}>{d.event_id}</Link>
              </dd>
              <dt>Attempts</dt>
              <dd>{d.attempts}</dd>
              <dt>Created</dt>
              <dd>
                <Time at={d.created_at} />
              </dd>
              <dt>Next attempt</dt>
              <dd>
                <Time at={d.next_attempt_at} />
              </dd>
            </dl>
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
  return (
    <>
      {d.attempt_log.length === 0 ? (
        <p class="muted">No attempt yet.</p>
      ) : (
        <div class="scroll">
          <table class="attempts">
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
                  <td>{a.attempt}</td>
                  <td>
                    <Time at={a.started_at} />
                  </td>
                  <td>
                    <HttpStatus code={a.status_code} error={a.error} />
                  </td>
                  <td>{a.duration_ms} ms</td>
                  <td>
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
