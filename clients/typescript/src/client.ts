/**
 * The hand-written layer over the generated types: a {@link Hookd} client holding the base URL, token and
 * account, with one group of typed methods per resource, pages as async iterators, error answers as typed
 * errors and 429/503 retried after `Retry-After`. Requests go through openapi-fetch, typed by the
 * generated `paths` of hookd's OpenAPI document.
 */
import { randomUUID } from "node:crypto";
import createClient, { type Client } from "openapi-fetch";
import { HookdConnectionError, envelopeDetail, errorFor, parseRetryAfter } from "./errors.js";
import type {
  AccessKey,
  Account,
  App,
  AttemptEntry,
  CreateAccount,
  CreateApp,
  CreateEventType,
  CreateKey,
  CreateSubscription,
  CreatedKey,
  Delivery,
  DeliveryDetail,
  Event,
  EventTypeDefinition,
  ListedEvent,
  Me,
  PublishEvent,
  PublishedEvent,
  Replay,
  Replayed,
  RotateSecret,
  Subscription,
  SubscriptionSecrets,
  SubscriptionStats,
  SubscriptionWithSecret,
  UpdateApp,
  UpdateEventType,
  UpdateSubscription,
  operations,
  paths,
} from "./generated/openapi.js";

export interface HookdOptions {
  /** Where hookd listens, e.g. `http://127.0.0.1:8080` (no `/api/v1`). */
  baseUrl: string;
  /** The admin token, or an access key's `token` (`<key_id>:<secret>`). */
  token: string;
  /** Sent as `Hookd-Account`: the account to act in (a child of the key's, or any for the admin token). */
  account?: string | undefined;
  /** Per attempt, reading the answer included; default 30 000 ms. */
  timeoutMs?: number;
  /** How many times a 429 or 503 is retried before it is raised; default 3. */
  maxRetries?: number;
  /** The wait when a 429/503 has no readable `Retry-After`; default 1 000 ms. */
  defaultRetryAfterMs?: number;
  /** The longest wait honoured; a longer `Retry-After` waits this long. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof globalThis.fetch;
}

/** One page of a list: `data`, and `next_cursor` (null on the last page). */
export interface Page<T> {
  data: T[];
  next_cursor?: string | null;
}

/** Paging of every list: `limit` (1–250, default 50) and `cursor` (the previous page's `next_cursor`). */
export interface PageParams {
  limit?: number;
  cursor?: string;
}

type Query<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;

/** Event search: the API's filters, and `payload` conditions sent as `payload.<dotted.path>=<value>` (at most five). */
export type EventQuery = Query<"list_events"> & { payload?: Record<string, string | number | boolean> };

/** What a publish returns: the event, the `Idempotency-Key` it was sent with (generated when none was
 * given, so the caller can repeat the publish), and whether hookd answered with the first result again. */
export interface Published {
  event: PublishedEvent;
  idempotencyKey: string;
  replayed: boolean;
}

type Answer = { data?: unknown; error?: unknown; response: Response };

/** The answer's data, or the typed error of a non-2xx answer. */
async function ok<R extends Answer>(pending: Promise<R>): Promise<NonNullable<R["data"]>> {
  const { data, error, response } = await pending;
  if (!response.ok) {
    throw errorFor({ status: response.status, detail: envelopeDetail(error), headers: response.headers, body: error });
  }
  return data as NonNullable<R["data"]>;
}

/** Yields every item of every page, following `next_cursor` until it is null. */
async function* pages<T>(first: string | undefined, page: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor = first;
  for (;;) {
    const current = await page(cursor);
    yield* current.data;
    if (!current.next_cursor) return;
    cursor = current.next_cursor;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A fetch that retries 429 and 503 after `Retry-After`, bounds each attempt by the timeout, and turns a
 * failure to get any answer into {@link HookdConnectionError}. */
function retryingFetch(options: Required<Pick<HookdOptions, "timeoutMs" | "maxRetries" | "defaultRetryAfterMs" | "maxRetryAfterMs">> & { fetch: typeof globalThis.fetch }) {
  return async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        // A clone per attempt: a request body can be read only once.
        response = await options.fetch(request.clone(), { signal: AbortSignal.timeout(options.timeoutMs) });
      } catch (cause) {
        const timedOut = cause instanceof Error && cause.name === "TimeoutError";
        const why = timedOut ? `no answer within ${options.timeoutMs} ms` : String((cause as Error)?.cause ?? cause);
        throw new HookdConnectionError(`${request.method} ${request.url}: ${why}`, { cause, timedOut });
      }
      // Only 429 and 503 are retried, POSTs included: hookd refuses a rate-limited request at once, before
      // it reads the body, and a 503 storage_unavailable means nothing was stored (docs/API.md), so a
      // retried request cannot act twice. Every other status is the caller's to handle.
      if ((response.status !== 429 && response.status !== 503) || attempt >= options.maxRetries) return response;
      const asked = parseRetryAfter(response.headers.get("retry-after")) ?? options.defaultRetryAfterMs;
      await response.body?.cancel();
      await sleep(Math.min(asked, options.maxRetryAfterMs));
    }
  };
}

/** A client of hookd's native API. */
export class Hookd {
  /** The openapi-fetch client underneath, for routes the groups below do not cover. */
  readonly raw: Client<paths>;
  readonly options: Readonly<HookdOptions>;

  readonly accounts: Accounts;
  readonly keys: Keys;
  readonly apps: Apps;
  readonly eventTypes: EventTypes;
  readonly subscriptions: Subscriptions;
  readonly events: Events;
  readonly deliveries: Deliveries;
  readonly attempts: Attempts;

  constructor(options: HookdOptions) {
    this.options = { ...options };
    const headers: Record<string, string> = { Authorization: `Bearer ${options.token}` };
    if (options.account) headers["Hookd-Account"] = options.account;
    this.raw = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      headers,
      fetch: retryingFetch({
        timeoutMs: options.timeoutMs ?? 30_000,
        maxRetries: options.maxRetries ?? 3,
        defaultRetryAfterMs: options.defaultRetryAfterMs ?? 1_000,
        maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
        fetch: options.fetch ?? globalThis.fetch,
      }),
    });
    this.accounts = new Accounts(this.raw);
    this.keys = new Keys(this.raw);
    this.apps = new Apps(this.raw);
    this.eventTypes = new EventTypes(this.raw);
    this.subscriptions = new Subscriptions(this.raw);
    this.events = new Events(this.raw);
    this.deliveries = new Deliveries(this.raw);
    this.attempts = new Attempts(this.raw);
  }

  /** The same client acting in another account (`Hookd-Account`); `undefined` acts in the token's own. */
  withAccount(account: string | undefined): Hookd {
    return new Hookd({ ...this.options, account });
  }

  /** Who the caller is: the admin token, an access key (never its secret) or a portal session. */
  me(): Promise<Me> {
    return ok(this.raw.GET("/api/v1/me"));
  }
}

/** `/api/v1/accounts` (admin token only). */
export class Accounts {
  constructor(private readonly raw: Client<paths>) {}
  /** Creates an account with its reserved apps. */
  create(body: CreateAccount): Promise<Account> {
    return ok(this.raw.POST("/api/v1/accounts", { body }));
  }
  list(params: PageParams = {}): Promise<Page<Account>> {
    return ok(this.raw.GET("/api/v1/accounts", { params: { query: params } }));
  }
  /** Every account, page after page. */
  iter(params: PageParams = {}): AsyncGenerator<Account> {
    return pages(params.cursor, (cursor) => this.list({ ...params, cursor }));
  }
  get(account: string): Promise<Account> {
    return ok(this.raw.GET("/api/v1/accounts/{account}", { params: { path: { account } } }));
  }
}

/** `/api/v1/accounts/{account}/keys`: access keys (admin token only). */
export class Keys {
  constructor(private readonly raw: Client<paths>) {}
  /** Creates a key; its `secret` (and `token`, ready for `Authorization: Bearer`) is shown only here. */
  create(account: string, body: CreateKey): Promise<CreatedKey> {
    return ok(this.raw.POST("/api/v1/accounts/{account}/keys", { params: { path: { account } }, body }));
  }
  list(account: string, params: PageParams = {}): Promise<Page<AccessKey>> {
    return ok(this.raw.GET("/api/v1/accounts/{account}/keys", { params: { path: { account }, query: params } }));
  }
  iter(account: string, params: PageParams = {}): AsyncGenerator<AccessKey> {
    return pages(params.cursor, (cursor) => this.list(account, { ...params, cursor }));
  }
  async delete(account: string, key: string): Promise<void> {
    await ok(this.raw.DELETE("/api/v1/accounts/{account}/keys/{key}", { params: { path: { account, key } } }));
  }
}

/** `/api/v1/apps`. */
export class Apps {
  constructor(private readonly raw: Client<paths>) {}
  create(body: CreateApp): Promise<App> {
    return ok(this.raw.POST("/api/v1/apps", { body }));
  }
  list(params: PageParams = {}): Promise<Page<App>> {
    return ok(this.raw.GET("/api/v1/apps", { params: { query: params } }));
  }
  iter(params: PageParams = {}): AsyncGenerator<App> {
    return pages(params.cursor, (cursor) => this.list({ ...params, cursor }));
  }
  get(app: string): Promise<App> {
    return ok(this.raw.GET("/api/v1/apps/{app}", { params: { path: { app } } }));
  }
  update(app: string, body: UpdateApp): Promise<App> {
    return ok(this.raw.PATCH("/api/v1/apps/{app}", { params: { path: { app } }, body }));
  }
  async delete(app: string): Promise<void> {
    await ok(this.raw.DELETE("/api/v1/apps/{app}", { params: { path: { app } } }));
  }
}

/** `/api/v1/apps/{app}/event-types`: an app's catalog. */
export class EventTypes {
  constructor(private readonly raw: Client<paths>) {}
  create(app: string, body: CreateEventType): Promise<EventTypeDefinition> {
    return ok(this.raw.POST("/api/v1/apps/{app}/event-types", { params: { path: { app } }, body }));
  }
  list(app: string, params: Query<"list_event_types"> = {}): Promise<Page<EventTypeDefinition>> {
    return ok(this.raw.GET("/api/v1/apps/{app}/event-types", { params: { path: { app }, query: params } }));
  }
  iter(app: string, params: Query<"list_event_types"> = {}): AsyncGenerator<EventTypeDefinition> {
    return pages(params.cursor, (cursor) => this.list(app, { ...params, cursor }));
  }
  get(app: string, name: string): Promise<EventTypeDefinition> {
    return ok(this.raw.GET("/api/v1/apps/{app}/event-types/{name}", { params: { path: { app, name } } }));
  }
  /** A new `schema` adds the next version; `examples` alone replaces the newest version's. */
  update(app: string, name: string, body: UpdateEventType): Promise<EventTypeDefinition> {
    return ok(this.raw.PATCH("/api/v1/apps/{app}/event-types/{name}", { params: { path: { app, name } }, body }));
  }
}

/** `/api/v1/apps/{app}/subscriptions`. */
export class Subscriptions {
  constructor(private readonly raw: Client<paths>) {}
  /** Creates a subscription; the answer carries its signing `secret` (shown only here and on rotation). */
  create(app: string, body: CreateSubscription): Promise<SubscriptionWithSecret> {
    return ok(this.raw.POST("/api/v1/apps/{app}/subscriptions", { params: { path: { app } }, body }));
  }
  list(app: string, params: PageParams = {}): Promise<Page<Subscription>> {
    return ok(this.raw.GET("/api/v1/apps/{app}/subscriptions", { params: { path: { app }, query: params } }));
  }
  iter(app: string, params: PageParams = {}): AsyncGenerator<Subscription> {
    return pages(params.cursor, (cursor) => this.list(app, { ...params, cursor }));
  }
  get(app: string, sub: string): Promise<Subscription> {
    return ok(this.raw.GET("/api/v1/apps/{app}/subscriptions/{sub}", { params: { path: { app, sub } } }));
  }
  /** Changes only the fields given; `null` clears a nullable one. */
  update(app: string, sub: string, body: UpdateSubscription): Promise<Subscription> {
    return ok(this.raw.PATCH("/api/v1/apps/{app}/subscriptions/{sub}", { params: { path: { app, sub } }, body }));
  }
  async delete(app: string, sub: string): Promise<void> {
    await ok(this.raw.DELETE("/api/v1/apps/{app}/subscriptions/{sub}", { params: { path: { app, sub } } }));
  }
  enable(app: string, sub: string): Promise<Subscription> {
    return ok(this.raw.POST("/api/v1/apps/{app}/subscriptions/{sub}/enable", { params: { path: { app, sub } } }));
  }
  disable(app: string, sub: string): Promise<Subscription> {
    return ok(this.raw.POST("/api/v1/apps/{app}/subscriptions/{sub}/disable", { params: { path: { app, sub } } }));
  }
  /** A new signing secret (generated unless given); the old one keeps signing for a while beside it. */
  rotateSecret(app: string, sub: string, body: RotateSecret = {}): Promise<SubscriptionWithSecret> {
    return ok(this.raw.POST("/api/v1/apps/{app}/subscriptions/{sub}/rotate-secret", { params: { path: { app, sub } }, body }));
  }
  /** The signing secret, vendor secrets, header values and queue URL, unmasked. */
  secret(app: string, sub: string): Promise<SubscriptionSecrets> {
    return ok(this.raw.GET("/api/v1/apps/{app}/subscriptions/{sub}/secret", { params: { path: { app, sub } } }));
  }
  /** Sends a synthetic `hookd.test` event to this subscription alone. */
  test(app: string, sub: string): Promise<PublishedEvent> {
    return ok(this.raw.POST("/api/v1/apps/{app}/subscriptions/{sub}/test", { params: { path: { app, sub } } }));
  }
  /** Queues again every dead or retrying delivery (created `since`, when given); `dry_run` only counts. */
  replay(app: string, sub: string, body: Replay = {}): Promise<Replayed> {
    return ok(this.raw.POST("/api/v1/apps/{app}/subscriptions/{sub}/replay", { params: { path: { app, sub } }, body }));
  }
  /** Attempts per hour over the last `hours` (1–168, default 24). */
  stats(app: string, sub: string, params: Query<"get_subscription_stats"> = {}): Promise<SubscriptionStats> {
    return ok(this.raw.GET("/api/v1/apps/{app}/subscriptions/{sub}/stats", { params: { path: { app, sub }, query: params } }));
  }
}

/** `/api/v1/apps/{app}/events`. */
export class Events {
  constructor(private readonly raw: Client<paths>) {}
  /**
   * Publishes an event. `Idempotency-Key` is `options.idempotencyKey`, or a random UUID when none is given;
   * either way it is returned, so the same publish can be repeated safely: hookd then answers the first
   * result again (`replayed: true`).
   */
  async publish(app: string, body: PublishEvent, options: { idempotencyKey?: string } = {}): Promise<Published> {
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const { data, error, response } = await this.raw.POST("/api/v1/apps/{app}/events", {
      params: { path: { app }, header: { "Idempotency-Key": idempotencyKey } },
      body,
    });
    const event = await ok(Promise.resolve({ data, error, response }));
    return { event, idempotencyKey, replayed: response.headers.get("idempotent-replayed") === "true" };
  }
  /** One page, newest first, with the search's conditions. */
  list(app: string, params: EventQuery = {}): Promise<Page<ListedEvent>> {
    const { payload, ...rest } = params;
    const query: Record<string, unknown> = { ...rest };
    for (const [path, value] of Object.entries(payload ?? {})) query[`payload.${path}`] = String(value);
    return ok(this.raw.GET("/api/v1/apps/{app}/events", { params: { path: { app }, query: query as Query<"list_events"> } }));
  }
  iter(app: string, params: EventQuery = {}): AsyncGenerator<ListedEvent> {
    return pages(params.cursor, (cursor) => this.list(app, { ...params, cursor }));
  }
  get(app: string, event: string): Promise<Event> {
    return ok(this.raw.GET("/api/v1/apps/{app}/events/{event}", { params: { path: { app, event } } }));
  }
  /** The event's deliveries, one per subscription it matched (one page). */
  deliveries(app: string, event: string, params: PageParams = {}): Promise<Page<Delivery>> {
    return ok(this.raw.GET("/api/v1/apps/{app}/events/{event}/deliveries", { params: { path: { app, event }, query: params } }));
  }
}

/** Deliveries: a subscription's, one by id, and a manual retry. */
export class Deliveries {
  constructor(private readonly raw: Client<paths>) {}
  /** A subscription's deliveries, newest first, optionally of one `status`. */
  list(app: string, sub: string, params: Query<"list_subscription_deliveries"> = {}): Promise<Page<Delivery>> {
    return ok(this.raw.GET("/api/v1/apps/{app}/subscriptions/{sub}/deliveries", { params: { path: { app, sub }, query: params } }));
  }
  iter(app: string, sub: string, params: Query<"list_subscription_deliveries"> = {}): AsyncGenerator<Delivery> {
    return pages(params.cursor, (cursor) => this.list(app, sub, { ...params, cursor }));
  }
  /** A delivery with its attempt log (and its `request` preview, given the read actions). */
  get(delivery: string): Promise<DeliveryDetail> {
    return ok(this.raw.GET("/api/v1/deliveries/{delivery}", { params: { path: { delivery } } }));
  }
  /** Queues the delivery again, due now (one more attempt). */
  retry(delivery: string): Promise<Delivery> {
    return ok(this.raw.POST("/api/v1/deliveries/{delivery}/retry", { params: { path: { delivery } } }));
  }
}

/** `/api/v1/attempts`: the account's attempts in the order they finished. */
export class Attempts {
  constructor(private readonly raw: Client<paths>) {}
  /** With `after`, the next `limit` attempts after that id; without, the newest `limit`; ascending either way. */
  list(params: Query<"list_attempts"> = {}): Promise<Page<AttemptEntry>> {
    return ok(this.raw.GET("/api/v1/attempts", { params: { query: params } }));
  }
  /** Attempts from `after` on (without it: from the newest page on), following `next_cursor` until a page is not full. */
  iter(params: Query<"list_attempts"> = {}): AsyncGenerator<AttemptEntry> {
    return pages(params.after ?? undefined, (after) => this.list({ ...params, ...(after ? { after } : {}) }));
  }
}
