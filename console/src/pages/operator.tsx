import { useEffect, useState } from "preact/hooks";
import { api, get, query, type Account, type Health, type HealthCount, type Paged, type Stats } from "../api";
import { ErrorBox, go, Id, LineChart, PagedTable, Show, Time, useInterval, useLoad, usePager, useTitle } from "../ui";
import { healthRank, HealthSummary, loadHealth, sumHealth } from "./apps";

const HEALTHS: Health[] = ["failing", "locked", "disabled", "healthy"];

/** The operator's list of accounts, failing first; opening one makes the console act in it (`Hookd-Account`). */
export function AccountsPage({
  actAs,
  hint,
  health: only,
}: {
  actAs: (account: string | null) => void;
  hint?: string;
  health?: string;
}) {
  useTitle("Accounts · hookd");
  const pager = usePager("accounts");
  const accounts = useLoad(
    () => get<Paged<Account>>(`/accounts${query({ limit: 50, cursor: pager.cursor })}`),
    [pager.cursor],
  );
  // Without `Hookd-Account`, the admin token is answered every account's rows.
  const health = useLoad(
    () => api<{ data: HealthCount[] }>("GET", "/subscription-health", undefined, { acting: null }),
    [],
  );
  const byAccount = sumHealth(health.data?.data ?? [], (r) => r.account_id);
  const filter = HEALTHS.find((h) => h === only);
  const sorted = accounts.data && {
    ...accounts.data,
    data: accounts.data.data
      .filter((a) => !filter || (byAccount.get(a.id)?.[filter] ?? 0) > 0)
      .map((a, i) => [a, i] as const)
      .sort(([a, i], [b, j]) => healthRank(byAccount.get(a.id)) - healthRank(byAccount.get(b.id)) || i - j)
      .map(([a]) => a),
  };
  return (
    <section>
      <h1>Accounts</h1>
      {hint && <p>{hint}</p>}
      {filter && (
        <p class="filtered">
          Only the accounts with a {filter} subscription. <a href="#/accounts">Show every account</a>
        </p>
      )}
      <ErrorBox error={health.error} />
      <PagedTable
        loaded={{ ...accounts, data: sorted }}
        pager={pager}
        label="Accounts"
        cards
        class="accounts"
        empty={filter ? `No account has a ${filter} subscription.` : "No accounts yet."}
        columns={["Account", "Subscriptions", "Parent", "Created", <span class="sr-only">Open</span>]}
        row={(a) => (
          <tr key={a.id}>
            <th scope="row">
              {a.name}
              <div>
                <Id id={a.id} />
              </div>
            </th>
            <td data-label="Subscriptions">
              {health.data ? <HealthSummary counts={byAccount.get(a.id)} /> : <span class="muted">…</span>}
            </td>
            <td data-label="Parent">{a.parent_id ? <Id id={a.parent_id} /> : <span class="muted">—</span>}</td>
            <td data-label="Created">
              <Time at={a.created_at} />
            </td>
            <td>
              <button
                type="button"
                aria-label={`Open account ${a.name}`}
                onClick={() => {
                  actAs(a.id);
                  go("/apps");
                }}
              >
                Open
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

interface Sample {
  at: number;
  depth: number;
}

/**
 * Throughput, error rate and queue depth. Throughput and error rate come per minute from `/stats`; queue
 * depth is the current count, sampled every few seconds while the page is open.
 */
/** `account`: the name of the account the charts are of (none for the whole server). */
export function OverviewPage({ account }: { account?: string }) {
  const [minutes, setMinutes] = useState(60);
  const stats = useLoad(() => get<Stats>(`/stats${query({ minutes })}`), [minutes]);
  const health = useLoad(loadHealth, []);
  const [samples, setSamples] = useState<Sample[]>([]);
  useInterval(() => (stats.reload(), health.reload()), 5000);
  const s = stats.data;
  useEffect(() => {
    if (s) setSamples((old) => [...old, { at: Date.now(), depth: s.queue.depth }].slice(-360));
  }, [s]);
  const server = s?.scope === "server";
  useTitle(s && (server ? "Overview of all accounts · hookd" : `Charts of ${account ?? s.account_id} · hookd`));
  // The lists the counts link to: the accounts (whole server) or the apps (one account) with that health.
  const list = (h: Health) => `#/${server ? "accounts" : "apps"}?health=${h}`;
  const subs = sumHealth(health.data?.data ?? [], () => "all").get("all");
  return (
    <section>
      <div class="heading-row">
        <h1>{server ? "All accounts" : `Account ${account ?? s?.account_id ?? ""}`}</h1>
        <label>
          Window{" "}
          <select value={minutes} onChange={(e) => setMinutes(Number(e.currentTarget.value))}>
            <option value={15}>15 minutes</option>
            <option value={60}>1 hour</option>
            <option value={360}>6 hours</option>
            <option value={1440}>24 hours</option>
          </select>
        </label>
      </div>
      <Show loaded={stats}>
        {(st) => {
          const labels = st.buckets.map((b) => b.start.slice(11, 16));
          const perMinute = (n: number) => (n * 60) / st.bucket_seconds;
          const errorRate = st.buckets.map((b) => {
            const total = b.succeeded + b.failed;
            return total ? (100 * b.failed) / total : 0;
          });
          return (
            <>
              <ErrorBox error={health.error} />
              <h2 class="sr-only">Now</h2>
              <div class="tiles">
                {health.data &&
                  (["failing", "locked", "disabled"] as const).map((h) => (
                    <Tile
                      key={h}
                      label={`${h} subscriptions`}
                      value={subs?.[h] ?? 0}
                      to={list(h)}
                      tone={h === "disabled" ? undefined : "bad"}
                    />
                  ))}
                <Tile label="unfinished deliveries" value={st.queue.depth} to="#/live" />
                {Object.entries(st.queue.by_status).map(([k, v]) => (
                  // A retrying delivery's latest attempt failed: its subscription is among the failing ones.
                  <Tile
                    key={k}
                    label={`${k} deliveries`}
                    value={v}
                    to={k === "retrying" ? list("failing") : undefined}
                  />
                ))}
              </div>
              <div class="charts">
                <LineChart
                  title="Throughput (per minute)"
                  labels={labels}
                  series={[
                    { name: "published", tone: "accent", values: st.buckets.map((b) => perMinute(b.published)) },
                    { name: "succeeded", tone: "ok", values: st.buckets.map((b) => perMinute(b.succeeded)) },
                    { name: "failed", tone: "bad", values: st.buckets.map((b) => perMinute(b.failed)) },
                  ]}
                />
                <LineChart
                  title="Error rate (failed attempts)"
                  labels={labels}
                  unit=" %"
                  max={100}
                  series={[{ name: "failed", tone: "bad", values: errorRate }]}
                />
                <LineChart
                  title="Queue depth (sampled while this page is open)"
                  labels={samples.map((p) => new Date(p.at).toISOString().slice(11, 19))}
                  series={[{ name: "unfinished deliveries", tone: "wait", values: samples.map((p) => p.depth) }]}
                />
              </div>
            </>
          );
        }}
      </Show>
    </section>
  );
}

/** A count; a link to the list of what it counts, when there is one. */
function Tile({ label, value, to, tone }: { label: string; value: number; to?: string; tone?: "bad" }) {
  const content = (
    <>
      <span class={`tile-value ${value > 0 && tone ? "bad-text" : ""}`}>{value}</span>{" "}
      <span class="tile-label">{label}</span>
    </>
  );
  return to ? (
    <a class="tile" href={to}>
      {content}
    </a>
  ) : (
    <div class="tile">{content}</div>
  );
}
