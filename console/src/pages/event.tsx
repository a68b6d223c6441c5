import { get, path, query, type Delivery, type Event, type Paged } from "../api";
import { Link, PagedTable, Show, Time, useLoad, usePager } from "../ui";
import { deliveryColumns, deliveryRow } from "./subscription";

/** One event with its deliveries across the app's subscriptions. */
export function EventPage({ app, event }: { app: string; event: string }) {
  const loaded = useLoad(() => get<Event>(path`/apps/${app}/events/${event}`), [app, event]);
  const pager = usePager(event);
  const deliveries = useLoad(
    () =>
      get<Paged<Delivery>>(path`/apps/${app}/events/${event}/deliveries` + query({ limit: 50, cursor: pager.cursor })),
    [app, event, pager.cursor],
  );
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link to="/apps">Apps</Link> / <Link to={path`/apps/${app}`}>{app}</Link> /{" "}
        <span aria-current="page">{event}</span>
      </nav>
      <Show loaded={loaded}>
        {(e) => (
          <>
            <h1>
              Event <code>{e.id}</code>
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
            </dl>
            <h2>Payload</h2>
            <pre class="body">{JSON.stringify(e.payload, null, 2)}</pre>
          </>
        )}
      </Show>
      <h2>Deliveries</h2>
      <PagedTable
        loaded={deliveries}
        pager={pager}
        class="deliveries"
        label="Deliveries"
        empty="The event matched no subscription."
        columns={deliveryColumns(true)}
        row={deliveryRow(true)}
      />
    </section>
  );
}
