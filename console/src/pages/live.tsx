import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get, path, query, type AttemptEntry, type Paged, type Subscription } from "../api";
import { asApiError, Badge, ErrorBox, HttpStatus, Link, subscriptionName, Time, useInterval, useTitle } from "../ui";

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

type Outcome = "" | "succeeded" | "failed";

/** The names of the subscriptions of the apps seen so far, by `app/sub` (each app's list read once). */
function useSubscriptionNames(apps: string[]): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  const asked = useRef(new Set<string>());
  useEffect(() => {
    for (const app of apps) {
      if (asked.current.has(app)) continue;
      asked.current.add(app);
      get<Paged<Subscription>>(path`/apps/${app}/subscriptions` + query({ limit: 250 })).then(
        (page) =>
          setNames((old) => {
            const next = new Map(old);
            for (const s of page.data) next.set(`${app}/${s.id}`, subscriptionName(s));
            return next;
          }),
        () => undefined, // without names, the ids are shown
      );
    }
  }, [apps.join(" ")]);
  return names;
}

/** Attempts as they are made, newest on top: polls `/attempts` for what came after the last ones seen. */
export function LivePage() {
  useTitle("Live · hookd");
  const [rows, setRows] = useState<AttemptEntry[]>([]);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [subscription, setSubscription] = useState("");
  const [outcome, setOutcome] = useState<Outcome>("");
  // What the live region says: only the answer to what the person did (pause, resume, filter).
  const [said, setSaid] = useState("");
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
  const apps = [...new Set(rows.map((a) => a.app_id))].sort();
  const names = useSubscriptionNames(apps);
  const name = (a: { app_id: string; subscription_id: string }) =>
    names.get(`${a.app_id}/${a.subscription_id}`) ?? a.subscription_id;
  const subscriptions = [...new Map(rows.map((a) => [`${a.app_id}/${a.subscription_id}`, a])).entries()].sort(
    ([a], [b]) => (a < b ? -1 : 1),
  );
  const shown = rows.filter(
    (a) =>
      (!subscription || `${a.app_id}/${a.subscription_id}` === subscription) &&
      (!outcome || (outcome === "succeeded") === a.succeeded),
  );
  const count = (n: number) => `${n} attempt${n === 1 ? "" : "s"}`;
  // The filter's result is announced once, when the person changes it (not as rows keep coming).
  const filterBy = (sub: string, out: Outcome) => {
    setSubscription(sub);
    setOutcome(out);
    const n = rows.filter(
      (a) => (!sub || `${a.app_id}/${a.subscription_id}` === sub) && (!out || (out === "succeeded") === a.succeeded),
    ).length;
    setSaid(sub || out ? `Filtered: ${count(n)} shown so far.` : `Filter cleared: ${count(rows.length)} shown.`);
  };
  return (
    <section>
      <div class="heading-row">
        <h1>Live</h1>
        <button
          type="button"
          onClick={() => {
            setSaid(paused ? "Resumed: following attempts again." : "Paused: the list stays as it is.");
            setPaused((p) => !p);
          }}
          aria-pressed={paused}
        >
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      <p class="muted">
        {paused ? "Paused." : "Following attempts as they happen (every second)."} {count(shown.length)} shown
        {shown.length < rows.length && ` of ${rows.length}`}.
      </p>
      <p class="sr-only" aria-live="polite">
        {said}
      </p>
      <form class="inline live-filter" aria-label="Filter attempts" onSubmit={(e) => e.preventDefault()}>
        <label>
          Subscription
          <select value={subscription} onChange={(e) => filterBy(e.currentTarget.value, outcome)}>
            <option value="">all</option>
            {subscription && !subscriptions.some(([k]) => k === subscription) && (
              <option value={subscription}>{subscription}</option>
            )}
            {subscriptions.map(([k, a]) => (
              <option key={k} value={k}>
                {name(a)} ({a.app_id})
              </option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select value={outcome} onChange={(e) => filterBy(subscription, e.currentTarget.value as Outcome)}>
            <option value="">all</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </label>
      </form>
      <ErrorBox error={error} />
      <div class="scroll">
        <table class="live cards">
          <caption class="sr-only">Attempts, newest first</caption>
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
            {shown.map((a) => (
              <tr key={a.id} data-outcome={a.succeeded ? "succeeded" : "failed"}>
                <td data-label="When">
                  <Time at={a.started_at} />
                </td>
                <td data-label="Subscription">
                  <Link to={path`/apps/${a.app_id}/subscriptions/${a.subscription_id}`}>{name(a)}</Link>{" "}
                  <span class="muted small">({a.app_id})</span>
                </td>
                <td data-label="Event type">{a.event_type}</td>
                <td data-label="Answer">
                  <HttpStatus code={a.status_code} error={a.error} />{" "}
                  {a.error && <span class="muted small">{a.error}</span>}
                </td>
                <td data-label="Latency">{a.duration_ms} ms</td>
                <td data-label="Delivery">
                  <Link
                    to={path`/deliveries/${a.delivery_id}`}
                    label={`#${a.attempt}: attempt ${a.attempt} of ${a.delivery_id}`}
                  >
                    #{a.attempt}
                  </Link>{" "}
                  <Badge status={a.delivery_status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
