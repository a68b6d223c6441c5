import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get, path, query, type AttemptEntry, type Paged } from "../api";
import { asApiError, Badge, ErrorBox, HttpStatus, Link, Time, useInterval } from "../ui";

const KEEP = 200;
/** Attempts are committed in small groups, so one can appear a moment after a later id: each poll reads
 * again from this far behind the newest attempt seen, and skips what it has already shown. */
const OVERLAP_MS = 5000;
const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** The id just below every attempt id minted `ms` before `id` (ids are `att_` + a ULID). */
export function rewind(id: string, ms: number): string {
  const ulid = id.slice(4);
  let time = 0;
  for (const c of ulid.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(c);
  time = Math.max(0, time - ms);
  let encoded = "";
  for (let i = 0; i < 10; i++) {
    encoded = CROCKFORD[time % 32] + encoded;
    time = Math.floor(time / 32);
  }
  return `att_${encoded}${"0".repeat(16)}`;
}

/** Attempts as they are made, newest on top: polls `/attempts` for what came after the last ones seen. */
export function LivePage() {
  const [rows, setRows] = useState<AttemptEntry[]>([]);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState<ApiError>();
  const newest = useRef<string | null>(null);
  const busy = useRef(false);
  const poll = async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      let after = newest.current && rewind(newest.current, OVERLAP_MS);
      const found: AttemptEntry[] = [];
      // Catch up page by page (bounded), so a burst is not skipped.
      for (let pages = 0; pages < 5; pages++) {
        const page = await get<Paged<AttemptEntry>>(`/attempts${query({ after, limit: 100 })}`);
        found.push(...page.data);
        if (!page.next_cursor) break;
        after = page.next_cursor;
      }
      if (found.length) {
        setRows((old) => {
          const shown = new Set(old.map((a) => a.id));
          const fresh = found.filter((a) => !shown.has(a.id));
          return [...fresh, ...old].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, KEEP);
        });
        const last = found.reduce((m, a) => (a.id > m ? a.id : m), newest.current ?? "");
        newest.current = last;
      }
      setError(undefined);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      busy.current = false;
    }
  };
  useEffect(() => {
    void poll();
  }, []);
  useInterval(() => !paused && void poll(), 1000);
  return (
    <section>
      <div class="heading-row">
        <h1>Live</h1>
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      <p class="muted" aria-live="polite">
        {paused ? "Paused." : "Following attempts as they happen (every second)."} {rows.length} shown.
      </p>
      <ErrorBox error={error} />
      <div class="scroll">
        <table class="live">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Subscription</th>
              <th scope="col">Event type</th>
              <th scope="col">Answer</th>
              <th scope="col">Latency</th>
              <th scope="col">Delivery</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.id}>
                <td>
                  <Time at={a.started_at} />
                </td>
                <td>
                  <Link to={path`/apps/${a.app_id}/subscriptions/${a.subscription_id}`}>
                    {a.app_id}/{a.subscription_id}
                  </Link>
                </td>
                <td>{a.event_type}</td>
                <td>
                  <HttpStatus code={a.status_code} error={a.error} />{" "}
                  {a.error && <span class="muted small">{a.error}</span>}
                </td>
                <td>{a.duration_ms} ms</td>
                <td>
                  <Link to={path`/deliveries/${a.delivery_id}`}>#{a.attempt}</Link> <Badge status={a.delivery_status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
