// Small building blocks shared by the pages: loading state, errors, status badges, times, cursor paging,
// charts drawn as SVG.

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, path, PORTAL, type Paged, type Subscription } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on `reload`), keeping the last answer while the next one loads. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error) => current && setState((s) => ({ data: s.data, error: asApiError(error), loading: false })),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Calls `tick` every `ms` while the page is visible. */
export function useInterval(tick: () => void, ms: number) {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === "visible") saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, "error", String((e as Error)?.message ?? e));
}

export function ErrorBox({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{error.status ? `${error.status} ${error.code}` : error.code}</strong>: {error.message}
      {error.violations && error.violations.length > 0 && (
        <ul>
          {error.violations.map((v, i) => (
            <li key={i}>
              <code>{v.path || "(payload)"}</code>: {v.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** What a `…_not_found` error code names, in words. */
const MISSING: Record<string, string> = {
  app_not_found: "app",
  subscription_not_found: PORTAL ? "endpoint" : "subscription",
  delivery_not_found: "delivery",
  event_not_found: "event",
  event_type_not_found: "event type",
  account_not_found: "account",
};

/**
 * The whole page when what it shows does not exist: one message saying what was not found, and a way
 * back. Nothing else is rendered beneath it.
 */
export function Missing({
  title,
  children,
  back = PORTAL ? "/" : "/apps",
  backLabel = PORTAL ? "Back to your endpoints" : "Back to the apps",
}: {
  title: string;
  children?: ComponentChildren;
  back?: string;
  backLabel?: string;
}) {
  useTitle(`Not found · hookd`);
  return (
    <div class="missing" role="alert">
      <h1>{title}</h1>
      <p>{children ?? "It may have been deleted, or the link is mistyped."}</p>
      <p>
        <a href={`#${back}`}>{backLabel}</a>
      </p>
    </div>
  );
}

/** The standard frame of something loaded: its error, a loading line the first time, then its content. A
 * 404 before anything loaded is the page's one message (`Missing`). */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const e = loaded.error;
  if (loaded.data === undefined && e?.status === 404) {
    const thing = MISSING[e.code];
    return thing ? <Missing title={`There is no such ${thing}`} /> : <ErrorBox error={e} />;
  }
  return (
    <>
      <ErrorBox error={loaded.error} />
      {loaded.data === undefined ? (
        loaded.loading ? (
          <p class="muted" aria-busy="true">
            Loading…
          </p>
        ) : null
      ) : (
        children(loaded.data)
      )}
    </>
  );
}

const TONE: Record<string, string> = {
  succeeded: "ok",
  enabled: "ok",
  pending: "wait",
  delivering: "wait",
  retrying: "warn",
  disabled: "muted",
  cancelled: "muted",
  dead: "bad",
  locked: "bad",
  healthy: "ok",
  failing: "bad",
  deprecated: "warn",
  archived: "muted",
};

export function Badge({ status }: { status: string }) {
  return <span class={`badge ${TONE[status] ?? "muted"}`}>{status}</span>;
}

export function HttpStatus({ code, error }: { code: number | null; error?: string | null }) {
  if (code === null) return <span class="badge bad">{error ? "error" : "—"}</span>;
  const tone = code >= 200 && code < 300 ? "ok" : code >= 500 || code === 0 ? "bad" : "warn";
  return <span class={`badge ${tone}`}>{code}</span>;
}

/** A time as "5 min ago"; its date and time (local, with the zone) show beside it on hover, keyboard focus
 * or a tap, and are read out by screen readers. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const date = new Date(at);
  const absolute = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
  return (
    <time class="when" dateTime={at} title={absolute} tabIndex={0}>
      {ago(date)}
      <span class="absolute"> ({absolute})</span>
    </time>
  );
}

export function ago(date: Date, now = Date.now()): string {
  const s = Math.round((now - date.getTime()) / 1000);
  if (s < -5) return `in ${-s < 90 ? `${-s} s` : `${Math.round(-s / 60)} min`}`;
  if (s < 5) return "just now";
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return date.toISOString().slice(0, 16).replace("T", " ");
}

/** The browser tab's title while a page is shown, e.g. `Subscription “Orders” · shop · hookd`. */
export function useTitle(title: string | undefined) {
  useEffect(() => {
    if (title) document.title = branded(title);
  }, [title, location.hash]);
}

/** The product the pages are of: hookd in the console; in the portal, the account's product. */
let brand = "hookd";

export function setBrand(name: string) {
  brand = name;
}

/** A title ending in `· hookd` ends in the product's name instead (the portal's). */
export function branded(title: string): string {
  return title.replace(/ · hookd$/, ` · ${brand}`);
}

/** What a subscription is called on the page: an endpoint, to the end customer of the portal. */
export const SUBSCRIPTION = PORTAL ? "Endpoint" : "Subscription";

/**
 * Where the pages of an app's things are. In the console they are under the app; the portal shows one app
 * and has no page of it (nor of the app list), so its pages are at the top and link only among
 * themselves.
 */
export const href = {
  app: (app: string) => (PORTAL ? "/" : path`/apps/${app}`),
  subscription: (app: string, sub: string) =>
    PORTAL ? path`/endpoints/${sub}` : path`/apps/${app}/subscriptions/${sub}`,
  event: (app: string, event: string) => (PORTAL ? path`/events/${event}` : path`/apps/${app}/events/${event}`),
  catalog: (app: string) => (PORTAL ? "/event-types" : path`/apps/${app}/catalog`),
  delivery: (id: string) => path`/deliveries/${id}`,
};

/** The breadcrumb of a page inside an app, `children` being the page itself: "Apps / app / …" in the
 * console, "Endpoints / …" in the portal. */
export function Crumbs({ app, children }: { app: string; children: ComponentChildren }) {
  return (
    <nav class="crumbs" aria-label="Breadcrumb">
      {PORTAL ? (
        <Link to="/">Endpoints</Link>
      ) : (
        <>
          <Link to="/apps">Apps</Link> / <Link to={path`/apps/${app}`}>{app}</Link>
        </>
      )}{" "}
      / {children}
    </nav>
  );
}

/** The route in the address's fragment (`#/apps/shop` → `/apps/shop`), followed as it changes. */
export function useHash(): string {
  const read = () => decodeURI(location.hash.replace(/^#/, "")) || "/";
  const [hash, setHash] = useState(read);
  useEffect(() => {
    const on = () => setHash(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

/** An id shown small beside a name, selected whole by one click or tap so that it can be copied. */
export function Id({ id }: { id: string }) {
  return <code class="id">{id}</code>;
}

/** A list typed as comma-separated words (event types, users): each trimmed, empty ones dropped. */
export function commaList(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A subscription's name: its description, else its URL's host and path. */
export function subscriptionName(s: Pick<Subscription, "description" | "url">): string {
  if (s.description) return s.description;
  try {
    const u = new URL(s.url);
    return u.host + (u.pathname === "/" ? "" : u.pathname);
  } catch {
    return s.url;
  }
}

/** A subscription's health as a badge with its word (not colour only) and, when failing, since when. */
export function HealthBadge({ sub }: { sub: Pick<Subscription, "health" | "failing_since"> }) {
  return (
    <span class="health">
      <Badge status={sub.health} />
      {sub.health === "failing" && sub.failing_since && (
        <span class="muted small">
          {" "}
          since <Time at={sub.failing_since} />
        </span>
      )}
    </span>
  );
}

export function Link({ to, children, label }: { to: string; children: ComponentChildren; label?: string }) {
  return (
    <a href={`#${to}`} aria-label={label}>
      {children}
    </a>
  );
}

/** Server-side paging by cursor: the cursors of the pages before this one make "Previous" work. */
export function usePager(resetKey: string) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  useEffect(() => setStack([null]), [resetKey]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    next: (c: string) => setStack((s) => [...s, c]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

export function Pager({ pager, next }: { pager: ReturnType<typeof usePager>; next: string | null | undefined }) {
  if (pager.page === 1 && !next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        ← Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" onClick={() => next && pager.next(next)} disabled={!next}>
        Next →
      </button>
    </nav>
  );
}

/** A button for an action: disabled while it runs; its error is shown beside it. */
export function Action({
  label,
  run,
  done,
  kind,
}: {
  label: string;
  run: () => Promise<unknown>;
  done?: (result: unknown) => void;
  kind?: "danger" | "primary";
}) {
  const action = useRun();
  const { busy, error } = action;
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        disabled={busy}
        aria-busy={busy}
        onClick={() => action.run(async () => done?.(await run()))}
      >
        {label}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

/** Bars of succeeded (and failed, stacked above) attempts per bucket. */
export function Sparkline({ buckets, label }: { buckets: { succeeded: number; failed: number }[]; label: string }) {
  const w = 120;
  const h = 28;
  const max = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
  const bw = w / Math.max(1, buckets.length);
  return (
    <svg class="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      {buckets.map((b, i) => {
        const ok = (b.succeeded / max) * h;
        const bad = (b.failed / max) * h;
        return (
          <g key={i}>
            <rect class="ok" x={i * bw + 0.5} y={h - ok} width={Math.max(1, bw - 1)} height={ok} />
            <rect class="bad" x={i * bw + 0.5} y={h - ok - bad} width={Math.max(1, bw - 1)} height={bad} />
          </g>
        );
      })}
    </svg>
  );
}

export interface Series {
  name: string;
  tone: "ok" | "bad" | "wait" | "accent";
  values: number[];
}

/** A line chart of one or more series over the same buckets, with its scale and a legend. */
export function LineChart({
  title,
  series,
  labels,
  unit,
  max: fixedMax,
}: {
  title: string;
  series: Series[];
  labels: string[];
  unit?: string;
  max?: number;
}) {
  // Drawn at the size it is shown (one unit a pixel), so that the axis text keeps its size on a phone.
  const [box, w] = useWidth(600);
  const h = 160;
  const pad = { l: 48, r: 8, t: 10, b: 22 };
  const all = series.flatMap((s) => s.values);
  const max = fixedMax ?? niceMax(Math.max(0, ...all));
  const n = Math.max(2, labels.length);
  const x = (i: number) => pad.l + (i * (w - pad.l - pad.r)) / (n - 1);
  const y = (v: number) => pad.t + (1 - v / max) * (h - pad.t - pad.b);
  const last = series.map((s) => `${s.name} ${fmt(s.values[s.values.length - 1] ?? 0)}${unit ?? ""}`).join(", ");
  return (
    <figure class="chart" ref={box}>
      <figcaption>
        {title} <span class="muted">(now: {last})</span>
      </figcaption>
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${title}; now ${last}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={pad.l} x2={w - pad.r} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={pad.l - 4} y={y(max * f) + 4} text-anchor="end">
              {fmt(max * f)}
              {unit ?? ""}
            </text>
          </g>
        ))}
        {labels.length > 0 && (
          <>
            <text class="axis" x={pad.l} y={h - 4}>
              {labels[0]}
            </text>
            <text class="axis" x={w - pad.r} y={h - 4} text-anchor="end">
              {labels[labels.length - 1]}
            </text>
          </>
        )}
        {series.map((s) => (
          <polyline
            key={s.name}
            class={`line ${s.tone}`}
            points={s.values.map((v, i) => `${x(i)},${y(Math.min(v, max))}`).join(" ")}
          />
        ))}
      </svg>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.name}>
            <span class={`swatch ${s.tone}`} aria-hidden="true" /> {s.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** A ref for an element and its content width, followed as it changes (`initial` until it is measured). */
function useWidth(initial: number): [{ current: HTMLElement | null }, number] {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const e = ref.current;
    if (!e) return;
    const measure = () => setWidth(Math.max(160, Math.floor(e.clientWidth - 20)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(e);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (v >= 10) return v.toFixed(0);
  return String(Number(v.toPrecision(2)));
}

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "—";
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`;
}

/** Navigates to a console page. */
export function go(to: string) {
  location.hash = to;
}

/**
 * A page of a server-side list as a table: its loading state and error, a line when it is empty, the
 * rows, and the pager when there are other pages.
 */
export function PagedTable<T>({
  loaded,
  pager,
  empty,
  columns,
  row,
  label,
  class: className,
  cards,
}: {
  loaded: Loaded<Paged<T>>;
  pager?: ReturnType<typeof usePager>;
  empty: string;
  columns: ComponentChildren[];
  row: (item: T) => ComponentChildren;
  label?: string;
  class?: string;
  /** On narrow screens each row becomes a card; its cells name themselves by their `data-label`. */
  cards?: boolean;
}) {
  const classes = [className, cards ? "cards" : undefined].filter(Boolean).join(" ") || undefined;
  return (
    <Show loaded={loaded}>
      {(page) =>
        page.data.length === 0 && (!pager || pager.page === 1) ? (
          <p class="muted">{empty}</p>
        ) : (
          <>
            <div class="scroll">
              <table class={classes}>
                {label && <caption class="sr-only">{label}</caption>}
                <thead>
                  <tr>
                    {columns.map((c, i) => (
                      <th key={i} scope="col">
                        {c}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>{page.data.map(row)}</tbody>
              </table>
            </div>
            {pager && <Pager pager={pager} next={page.next_cursor} />}
          </>
        )
      }
    </Show>
  );
}

/**
 * Something the user started: `run(work)` runs it; while it is in progress `busy` is true, and what it
 * throws (an API error, or an `Error` naming a bad field) becomes `error`.
 */
export function useRun() {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setError(undefined);
    setBusy(true);
    try {
      await work();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

/** A form's submission, as [`useRun`]; `submit(work)` is its `onSubmit`. */
export function useForm() {
  const { error, busy, run } = useRun();
  const submit = (work: () => Promise<void>) => (e: SubmitEvent) => {
    e.preventDefault();
    void run(work);
  };
  return { error, busy, submit };
}
