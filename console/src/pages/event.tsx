import { useState } from "preact/hooks";
import {
  del,
  getExact,
  path,
  PORTAL,
  query,
  get,
  type Delivery,
  type Event,
  type Paged,
  type Subscription,
} from "../api";
import { at } from "../json";
import { Crumbs, ErrorBox, href, Link, PagedTable, Show, Time, useLoad, usePager, useRun, useTitle } from "../ui";
import { ConfirmDialog, JsonView } from "../widgets";
import { EventState, ViolationList } from "./search";
import { deliveryColumns, deliveryRow, type DeliveriesOf } from "./subscription";

/** One event with its deliveries across the app's subscriptions. */
export function EventPage({ app, event }: { app: string; event: string }) {
  const loaded = useLoad(() => getExact<Event>(path`/apps/${app}/events/${event}`), [app, event]);
  const pager = usePager(event);
  const deliveries = useLoad(
    () =>
      get<Paged<Delivery>>(path`/apps/${app}/events/${event}/deliveries` + query({ limit: 50, cursor: pager.cursor })),
    [app, event, pager.cursor],
  );
  // The deliveries name their subscriptions; an app has at most a few hundred (a page of the largest size).
  const subscriptions = useLoad(
    () => get<Paged<Subscription>>(path`/apps/${app}/subscriptions` + query({ limit: 250 })),
    [app],
  );
  const of: DeliveriesOf = {
    subscriptions: subscriptions.data && new Map(subscriptions.data.data.map((s) => [s.id, s])),
  };
  useTitle(loaded.data && `Event ${loaded.data.data.type} · ${app} · hookd`);
  return (
    <section>
      <Crumbs app={app}>
        <span aria-current="page">{event}</span>
      </Crumbs>
      <Show loaded={loaded}>
        {({ data: e, exact }) => (
          <>
            <h1>
              Event <code>{e.id}</code> <EventState event={e} unchecked={false} />
            </h1>
            <dl class="facts">
              <dt>Type</dt>
              <dd>{e.type}</dd>
              <dt>Published</dt>
              <dd>
                <Time at={e.created_at} />
              </dd>
              {e.channel_id && (
                <>
                  <dt>Channel</dt>
                  <dd>{e.channel_id}</dd>
                </>
              )}
              {e.user_id && (
                <>
                  <dt>User</dt>
                  <dd>{e.user_id}</dd>
                </>
              )}
              {e.erased_at && (
                <>
                  <dt>Payload erased</dt>
                  <dd>
                    <Time at={e.erased_at} />
                  </dd>
                </>
              )}
              {e.schema_version != null && (
                <>
                  <dt>Schema</dt>
                  <dd>
                    checked against version {e.schema_version} of{" "}
                    <Link to={href.catalog(app)}>
                      <code>{e.type}</code>
                    </Link>
                  </dd>
                </>
              )}
            </dl>
            {(e.schema_violations ?? []).length > 0 && (
              <>
                <h2>Schema violations</h2>
                <ViolationList violations={e.schema_violations ?? []} />
              </>
            )}
            <div class="heading-row">
              <h2>Payload</h2>
              {/* Erasure is the account's (a portal session may not erase). */}
              {!e.erased_at && !PORTAL && <Erase app={app} event={e.id} done={loaded.reload} />}
            </div>
            {e.erased_at ? (
              <p class="erased" role="status">
                <span class="badge muted">erased</span> The payload was erased <Time at={e.erased_at} />. The event and
                its deliveries stay as records; a delivery still due is not sent.
              </p>
            ) : e.payload === null ? (
              <p class="muted">No payload (retention dropped it, or it was null).</p>
            ) : (
              <JsonView value={at(exact, "payload") ?? null} label="Payload" />
            )}
          </>
        )}
      </Show>
      {loaded.data && (
        <>
          <h2>Deliveries</h2>
          <PagedTable
            loaded={deliveries}
            pager={pager}
            class="deliveries fix-deliveries"
            cards
            label="Deliveries"
            empty="The event matched no subscription."
            columns={deliveryColumns(of)}
            row={deliveryRow(of)}
          />
        </>
      )}
    </section>
  );
}

/** Erases the event's payload, once confirmed in a dialog. */
function Erase({ app, event, done }: { app: string; event: string; done: () => void }) {
  const [asking, setAsking] = useState(false);
  const action = useRun();
  return (
    <span class="action">
      <button type="button" class="danger" disabled={action.busy} onClick={() => setAsking(true)}>
        Erase payload
      </button>
      <ErrorBox error={action.error} />
      <ConfirmDialog
        open={asking}
        title="Erase this payload?"
        confirm="Erase"
        onCancel={() => setAsking(false)}
        onConfirm={() => {
          setAsking(false);
          void action.run(async () => {
            await del<Event>(path`/apps/${app}/events/${event}/payload`);
            done();
          });
        }}
      >
        <p>
          The payload of <code>{event}</code> is deleted for good, with the response excerpts of its attempts and its
          schema violations. The event and its deliveries stay as records; a delivery still due is not sent.
        </p>
      </ConfirmDialog>
    </span>
  );
}
