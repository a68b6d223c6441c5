import { useEffect, useState } from "preact/hooks";
import { get, query, session, type Account, type Paged, type Stats } from "../api";
import { go, LineChart, PagedTable, Show, Time, useInterval, useLoad, usePager } from "../ui";

/** The operator's list of accounts; opening one makes the console act in it (`Hookd-Account`). */
export function AccountsPage({ actAs, hint }: { actAs: (account: string | null) => void; hint?: string }) {
  const pager = usePager("accounts");
  const accounts = useLoad(
    () => get<Paged<Account>>(`/accounts${query({ limit: 50, cursor: pager.cursor })}`),
    [pager.cursor],
  );
  return (
    <section>
      <h1>Accounts</h1>
      {hint && <p>{hint}</p>}
      <PagedTable
        loaded={accounts}
        pager={pager}
        label="Accounts"
        empty="No accounts yet."
        columns={["Account", "Name", "Parent", "Created", <span class="sr-only">Open</span>]}
        row={(a) => (
          <tr key={a.id}>
            <td>
              <code>{a.id}</code>
            </td>
            <td>{a.name}</td>
            <td>{a.parent_id ?? <span class="muted">—</span>}</td>
            <td>
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
export function OverviewPage() {
  const [minutes, setMinutes] = useState(60);
  const stats = useLoad(() => get<Stats>(`/stats${query({ minutes })}`), [minutes]);
  const [samples, setSamples] = useState<Sample[]>([]);
  useInterval(() => stats.reload(), 5000);
  const s = stats.data;
  useEffect(() => {
    if (s) setSamples((old) => [...old, { at: Date.now(), depth: s.queue.depth }].slice(-360));
  }, [s]);
  const acting = session.acting();
  return (
    <section>
      <div class="heading-row">
        <h1>{s?.scope === "server" ? "All accounts" : `Account ${acting ?? s?.account_id ?? ""}`}</h1>
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
              <div class="tiles">
                <Tile label="Queue depth" value={String(st.queue.depth)} />
                {Object.entries(st.queue.by_status).map(([k, v]) => (
                  <Tile key={k} label={k} value={String(v)} />
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

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div class="tile">
      <div class="tile-value">{value}</div>
      <div class="tile-label">{label}</div>
    </div>
  );
}
