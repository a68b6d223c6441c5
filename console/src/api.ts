// The console's only way to the server: the native API under /api/v1, with the signed-in token as
// `Authorization: Bearer` and, for the operator acting in one account, `Hookd-Account`.

import { parseJson, type Json } from "./json";

export type Me =
  | { kind: "admin" }
  | { kind: "key"; account_id: string; account_name: string; key_id: string; policy: string[] }
  | PortalMe;

/** A portal session: an end customer of the account, in one app, maybe limited to some event types. */
export interface PortalMe {
  kind: "portal";
  session_id: string;
  account_id: string;
  account_name: string;
  app_id: string;
  app_name: string | null;
  capability: "manage" | "read-only";
  /** The event types (and `prefix.*` wildcards) the session is limited to; null: every type. */
  event_types: string[] | null;
  expires_at: string;
  policy: string[];
  theme: PortalTheme;
}

/** How the account dresses its portal: the product's name, logo and main colour (`#rrggbb`). */
export interface PortalTheme {
  product_name: string | null;
  logo_url: string | null;
  primary_color: string | null;
}

export interface Paged<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Account {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: string;
}

export type SchemaValidation = "off" | "warn" | "enforce";

export interface App {
  id: string;
  kind: string;
  name: string | null;
  max_subscriptions: number;
  schema_validation: SchemaValidation;
  catalog_only: boolean;
  retention_days: number | null;
  created_at: string;
  updated_at: string;
}

export interface SchemaVersion {
  version: number;
  schema: unknown;
  examples: unknown[];
  created_at: string;
}

export interface EventType {
  name: string;
  description: string | null;
  group: string | null;
  deprecated: boolean;
  archived: boolean;
  versions: SchemaVersion[];
  created_at: string;
  updated_at: string;
}

/** One way a payload fails its schema: a JSON pointer into the payload, and why. */
export interface Violation {
  path: string;
  message: string;
}

export type SubscriptionStatus = "enabled" | "disabled" | "locked";

/** Derived by the server: `disabled` and `locked` from the status; otherwise `failing` while its latest
 * attempt failed (since `failing_since`), else `healthy`. */
export type Health = "healthy" | "failing" | "disabled" | "locked";

/** How many subscriptions of one app of one account are in each health (`GET /subscription-health`). */
export interface HealthCount {
  account_id: string;
  app_id: string;
  healthy: number;
  failing: number;
  disabled: number;
  locked: number;
}

/** One failure kind of the closed set the server classifies attempt errors into (`GET /failure-kinds`). */
export interface FailureKind {
  code: string;
  title: string;
  /** What the account owner can try. */
  advice: string;
  /** What the operator can do besides, when it differs (e.g. allowing private targets). */
  operator_advice: string | null;
}

/** The subscription's retrying and dead deliveries that failed the same way (`GET …/failures`). */
export interface FailureGroup {
  failure: string | null;
  status_code: number | null;
  error: string | null;
  retrying: number;
  dead: number;
  latest_at: string;
  /** One delivery of the group, the latest. */
  delivery_id: string;
}

/** `POST …/replay`: with `dry_run`, `matching` is how many would be queued and nothing changes. */
export interface Replayed {
  requeued: number;
  matching: number;
}

export interface Subscription {
  id: string;
  app_id: string;
  url: string;
  status: SubscriptionStatus;
  event_types: string[];
  channel_id: string | null;
  users: string[];
  format: string;
  headers: Record<string, string>;
  description: string | null;
  rate_limit: number | null;
  ordering: string;
  timeout_ms: number | null;
  /** The retry policy in force: a profile's name (`standard`, `live`, `meeting`) or delays in seconds. */
  retry: string | number[];
  /** Several events per request (array formats); null: one per request. */
  batch: { max_events: number; max_wait_ms: number } | null;
  filter: Record<string, unknown> | null;
  health: Health;
  /** When its current run of failed attempts began; null when the latest attempt succeeded. */
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

export interface SubscriptionWithSecret extends Subscription {
  secret: string;
}

export interface Event {
  id: string;
  app_id: string;
  type: string;
  payload: unknown;
  channel_id: string | null;
  user_id: string | null;
  schema_version?: number | null;
  schema_violations?: Violation[];
  erased_at?: string | null;
  created_at: string;
  /** In event lists and searches: how many of its deliveries are in each status. */
  deliveries?: Record<DeliveryStatus, number>;
}

export type DeliveryStatus = "pending" | "delivering" | "succeeded" | "retrying" | "dead" | "cancelled";

export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  subscription_id: string;
  app_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  /** The failure kind (`FailureKind.code`) of the last attempt; null if it succeeded or none was made. */
  last_failure: string | null;
  created_at: string;
  updated_at: string;
}

/** The publish answer: the event with the deliveries it made (not their counts, as in lists). */
export interface PublishedEvent extends Omit<Event, "deliveries"> {
  deliveries: Delivery[];
}

export interface Attempt {
  id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  succeeded: boolean;
  /** A `FailureKind.code`; null when the attempt succeeded. */
  failure: string | null;
}

export interface RequestPreview {
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  body: string;
  body_truncated: boolean;
}

export interface DeliveryDetail extends Delivery {
  attempt_log: Attempt[];
  request: RequestPreview | null;
}

export interface AttemptEntry extends Attempt {
  delivery_id: string;
  event_id: string;
  event_type: string;
  subscription_id: string;
  app_id: string;
  delivery_status: DeliveryStatus;
}

export interface Bucket {
  start: string;
  succeeded: number;
  failed: number;
  published?: number;
}

export interface SubscriptionStats {
  since: string;
  bucket_seconds: number;
  buckets: Bucket[];
  succeeded: number;
  failed: number;
  success_rate: number | null;
}

export interface Stats {
  scope: "server" | "account";
  account_id: string | null;
  bucket_seconds: number;
  buckets: Required<Bucket>[];
  queue: { depth: number; by_status: Record<string, number> };
}

/** An error answer of the API, with its code and message as the server wrote them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly violations?: Violation[],
  ) {
    super(message);
  }
}

const TOKEN = "hookd.console.token";
/** Dispatched on `window` when the server no longer accepts the session's token. */
export const SIGNED_OUT = "hookd:signed-out";
const ACTING = "hookd.console.account";

/**
 * The portal: the same files served at `/portal/{session}/` for an account's end customer, who arrives
 * with a portal token in the address's fragment. (Read where a browser runs this; the filter's tests
 * build other modules for Node.)
 */
export const PORTAL = typeof location !== "undefined" && location.pathname.startsWith("/portal/");

/** The portal's token. In memory only: inside a third-party iframe whose cookies are blocked, touching
 * sessionStorage or localStorage throws, and the token must not outlive the page anyway. */
let portalToken: string | null = null;
/** The portal session, once `/me` described it. */
let portalMe: PortalMe | null = null;

/**
 * The console's session lives in sessionStorage: it ends with the tab and is never shared with other tabs.
 * The portal's lives in this module only (`PORTAL`), and never touches the browser's storage.
 */
export const session = {
  token: (): string | null => (PORTAL ? portalToken : sessionStorage.getItem(TOKEN)),
  acting: (): string | null => (PORTAL ? null : sessionStorage.getItem(ACTING)),
  signIn(token: string) {
    if (PORTAL) {
      portalToken = token;
      return;
    }
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.removeItem(ACTING);
  },
  actAs(account: string | null) {
    if (PORTAL) return;
    if (account) sessionStorage.setItem(ACTING, account);
    else sessionStorage.removeItem(ACTING);
  },
  signOut() {
    if (PORTAL) {
      portalToken = null;
      return;
    }
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ACTING);
  },
};

/** The portal session's description, once loaded (null in the console). */
export const portal = {
  me: (): PortalMe | null => portalMe,
  set(me: PortalMe) {
    portalMe = me;
  },
};

/** Whether the pages offer changes: always in the console (the server still decides), and in the portal
 * only to a `manage` session; a `read-only` one sees no control that writes. */
export function canWrite(): boolean {
  return !PORTAL || portalMe?.capability === "manage";
}

/** `/a/${x}/b` with every interpolated value escaped as one path segment. */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

/** A query string of the defined values, with its leading `?` (or nothing). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** JSON text sent as it is inside a request body, so that a filter keeps its numbers exactly as typed. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A request body as JSON text, each `RawJson` in it written as its own text. */
function serialize(body: unknown): string {
  if (body instanceof RawJson) return body.text;
  if (Array.isArray(body)) return `[${body.map(serialize).join(",")}]`;
  if (body !== null && typeof body === "object") {
    const entries = Object.entries(body).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(",")}}`;
  }
  return JSON.stringify(body) ?? "null";
}

type Options = { token?: string; acting?: string | null };

export async function api<T>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  body?: unknown,
  options: Options = {},
): Promise<T> {
  return (await request(method, url, body, options)).json as T;
}

/** A GET whose answer is also read with its numbers exact (`json.ts`), for values shown to be edited. */
export async function getExact<T>(url: string): Promise<{ data: T; exact: Json }> {
  const { json, text } = await request("GET", url, undefined, {});
  return { data: json as T, exact: parseJson(text) };
}

async function request(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  body: unknown,
  options: Options,
): Promise<{ json: unknown; text: string }> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = options.token ?? session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  const acting = options.acting === undefined ? session.acting() : options.acting;
  if (acting) headers["Hookd-Account"] = acting;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/api/v1${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : serialize(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "unreachable", `hookd did not answer: ${(e as Error).message}`);
  }
  const text = await response.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        "bad_response",
        `hookd answered ${response.status} with a body that is not JSON`,
      );
    }
  }
  if (response.status === 401 && options.token === undefined && token) {
    // The token was revoked (or the admin token changed): back to sign-in.
    session.signOut();
    dispatchEvent(new CustomEvent(SIGNED_OUT));
  }
  if (!response.ok) {
    const e = (json as { error?: { code?: string; message?: string; field?: string; violations?: Violation[] } } | null)
      ?.error;
    throw new ApiError(
      response.status,
      e?.code ?? "error",
      e?.message ?? `HTTP ${response.status}`,
      e?.field ?? undefined,
      e?.violations ?? undefined,
    );
  }
  return { json, text };
}

export const get = <T>(url: string) => api<T>("GET", url);
export const post = <T>(url: string, body: unknown = {}) => api<T>("POST", url, body);
export const patch = <T>(url: string, body: unknown) => api<T>("PATCH", url, body);
export const del = <T>(url: string) => api<T>("DELETE", url);
