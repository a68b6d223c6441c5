// Every method of the client against a live hookd: accounts, keys, apps, event types, subscriptions,
// events (idempotency), deliveries, attempts, me; paging; each error class from a real answer.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ConflictError,
  ForbiddenError,
  Hookd,
  HookdConnectionError,
  HookdError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "hookd";
import { ADMIN_TOKEN, freePort, startHookd, startReceiver, tenant, until } from "./harness.mjs";

let hookd, admin, client, account, receiver, failing;

before(async () => {
  hookd = await startHookd();
  admin = new Hookd({ baseUrl: hookd.base, token: ADMIN_TOKEN, timeoutMs: 10_000 });
  const t = await tenant(admin, "client-tests");
  account = t.account;
  client = new Hookd({ baseUrl: hookd.base, token: t.token, timeoutMs: 10_000 });
  receiver = await startReceiver();
  failing = await startReceiver({ answer: () => ({ status: 500, body: "no" }) });
});

after(async () => {
  await receiver?.close();
  await failing?.close();
  await hookd?.stop();
});

async function collect(iterator) {
  const all = [];
  for await (const item of iterator) all.push(item);
  return all;
}

describe("me", () => {
  test("the admin token and a key", async () => {
    assert.equal((await admin.me()).kind, "admin");
    const me = await client.me();
    assert.equal(me.kind, "key");
    assert.equal(me.account_id, account.id);
  });
});

describe("accounts and keys", () => {
  test("create, get, list, iter across pages", async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await admin.accounts.create({ name: `paging-${i}` }));
    assert.deepEqual(await admin.accounts.get(made[0].id), made[0]);
    const page = await admin.accounts.list({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.ok(page.next_cursor);
    const all = await collect(admin.accounts.iter({ limit: 2 }));
    const ids = new Set(all.map((a) => a.id));
    for (const a of [...made, account]) assert.ok(ids.has(a.id), `iter yields ${a.id}`);
    assert.equal(ids.size, all.length, "no account twice");
  });

  test("keys: create, list, iter, delete", async () => {
    const created = await admin.keys.create(account.id, { policy: ["hookd:apps.read"] });
    assert.ok(created.token.startsWith(`${created.key_id}:`));
    for (let i = 0; i < 3; i++) await admin.keys.create(account.id, { policy: ["hookd:events.read"] });
    const page = await admin.keys.list(account.id, { limit: 2 });
    assert.equal(page.data.length, 2);
    const keys = await collect(admin.keys.iter(account.id, { limit: 2 }));
    assert.ok(keys.length >= 5 && keys.some((k) => k.key_id === created.key_id));
    const keyClient = new Hookd({ baseUrl: hookd.base, token: created.token });
    assert.equal((await keyClient.me()).key_id, created.key_id);
    await admin.keys.delete(account.id, created.key_id);
    await assert.rejects(keyClient.me(), UnauthorizedError);
    assert.ok(!(await collect(admin.keys.iter(account.id))).some((k) => k.key_id === created.key_id));
  });
});

describe("apps and event types", () => {
  test("apps: create, get, list, iter, update, delete", async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await client.apps.create({ id: `app-${i}`, name: `App ${i}` })).id);
    assert.equal((await client.apps.get("app-3")).name, "App 3");
    const page = await client.apps.list({ limit: 3 });
    assert.equal(page.data.length, 3);
    assert.ok(page.next_cursor);
    const all = (await collect(client.apps.iter({ limit: 3 }))).map((a) => a.id);
    for (const id of ids) assert.ok(all.includes(id));
    assert.equal(new Set(all).size, all.length);
    const updated = await client.apps.update("app-3", { name: "Renamed", retention_days: 7 });
    assert.equal(updated.name, "Renamed");
    await client.apps.delete("app-6");
    await assert.rejects(client.apps.get("app-6"), NotFoundError);
  });

  test("the admin acts in an account with withAccount (Hookd-Account)", async () => {
    const apps = await admin.withAccount(account.id).apps.list();
    assert.ok(apps.data.some((a) => a.id === "app-0"));
  });

  test("event types: create, get, list, iter, update", async () => {
    await client.apps.create({ id: "catalog" });
    const schema = { type: "object", required: ["id"] };
    for (const name of ["order.created", "order.paid", "order.shipped"]) {
      await client.eventTypes.create("catalog", { name, schema, examples: [{ id: "o-1" }] });
    }
    const got = await client.eventTypes.get("catalog", "order.paid");
    assert.equal(got.name, "order.paid");
    const page = await client.eventTypes.list("catalog", { limit: 2 });
    assert.equal(page.data.length, 2);
    assert.ok(page.next_cursor);
    const names = (await collect(client.eventTypes.iter("catalog", { limit: 2 }))).map((t) => t.name);
    assert.deepEqual(names, ["order.created", "order.paid", "order.shipped"]);
    const updated = await client.eventTypes.update("catalog", "order.paid", { description: "Paid", deprecated: true });
    assert.equal(updated.description, "Paid");
    assert.equal(updated.deprecated, true);
  });
});

describe("subscriptions, events, deliveries, attempts", () => {
  let sub;

  test("subscriptions: create, get, list, iter, update, disable, enable, rotate, secret, test, stats", async () => {
    await client.apps.create({ id: "shop" });
    sub = await client.subscriptions.create("shop", { url: receiver.url, event_types: ["order.*"] });
    assert.ok(sub.secret.startsWith("whsec_"));
    assert.equal((await client.subscriptions.get("shop", sub.id)).url, receiver.url);
    const extra = [];
    for (let i = 0; i < 3; i++) extra.push(await client.subscriptions.create("shop", { url: receiver.url, event_types: ["none.*"] }));
    const page = await client.subscriptions.list("shop", { limit: 2 });
    assert.equal(page.data.length, 2);
    const all = (await collect(client.subscriptions.iter("shop", { limit: 2 }))).map((s) => s.id);
    assert.equal(all.length, 4);
    const updated = await client.subscriptions.update("shop", sub.id, { description: "orders", headers: { "x-tenant": "t1" } });
    assert.equal(updated.description, "orders");
    assert.equal((await client.subscriptions.disable("shop", sub.id)).status, "disabled");
    assert.equal((await client.subscriptions.enable("shop", sub.id)).status, "enabled");
    const rotated = await client.subscriptions.rotateSecret("shop", sub.id);
    assert.ok(rotated.secret.startsWith("whsec_") && rotated.secret !== sub.secret);
    const secrets = await client.subscriptions.secret("shop", sub.id);
    assert.equal(secrets.secret, rotated.secret);
    assert.equal(secrets.headers["x-tenant"], "t1");
    const before = receiver.requests.length;
    const testEvent = await client.subscriptions.test("shop", sub.id);
    assert.equal(testEvent.type, "hookd.test");
    await receiver.waitFor(before + 1);
    const stats = await client.subscriptions.stats("shop", sub.id, { hours: 2 });
    assert.equal(stats.bucket_seconds, 3600);
    for (const s of extra) await client.subscriptions.delete("shop", s.id);
    await assert.rejects(client.subscriptions.get("shop", extra[0].id), NotFoundError);
  });

  test("events: publish with a generated idempotency key, repeat it, list, iter, search, get, deliveries", async () => {
    const first = await client.events.publish("shop", { type: "order.created", payload: { id: "o-1", total: 10 } });
    assert.match(first.idempotencyKey, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(first.replayed, false);
    assert.equal(first.event.deliveries.length, 1);
    const again = await client.events.publish("shop", { type: "order.created", payload: { id: "o-1", total: 10 } }, { idempotencyKey: first.idempotencyKey });
    assert.equal(again.replayed, true);
    assert.equal(again.event.id, first.event.id);
    const reused = await client.events
      .publish("shop", { type: "order.created", payload: { id: "o-2" } }, { idempotencyKey: first.idempotencyKey })
      .catch((e) => e);
    assert.ok(reused instanceof ConflictError);
    assert.equal(reused.code, "idempotency_key_reused");
    const own = await client.events.publish("shop", { type: "order.paid", payload: { id: "o-1" } }, { idempotencyKey: "my-key-1" });
    assert.equal(own.idempotencyKey, "my-key-1");
    for (let i = 2; i < 7; i++) await client.events.publish("shop", { type: "order.created", payload: { id: `o-${i}`, total: i } });

    const page = await client.events.list("shop", { limit: 3 });
    assert.equal(page.data.length, 3);
    assert.ok(page.next_cursor);
    const all = await collect(client.events.iter("shop", { limit: 3 }));
    assert.ok(all.length >= 7);
    assert.equal(new Set(all.map((e) => e.id)).size, all.length);
    const paid = await client.events.list("shop", { type: "order.paid" });
    assert.deepEqual(paid.data.map((e) => e.id), [own.event.id]);
    const byPayload = await client.events.list("shop", { payload: { total: 4 } });
    assert.equal(byPayload.data.length, 1);
    assert.deepEqual(byPayload.data[0].payload, { id: "o-4", total: 4 });
    const got = await client.events.get("shop", first.event.id);
    assert.equal(got.id, first.event.id);
    const deliveries = await client.events.deliveries("shop", first.event.id);
    assert.equal(deliveries.data[0].subscription_id, sub.id);
  });

  test("deliveries: list, iter, get, retry; attempts: list, iter", async () => {
    await until(async () => (await client.deliveries.list("shop", sub.id, { status: "succeeded" })).data.length >= 7, 15_000, "deliveries to succeed");
    const page = await client.deliveries.list("shop", sub.id, { limit: 2 });
    assert.equal(page.data.length, 2);
    const all = await collect(client.deliveries.iter("shop", sub.id, { limit: 2 }));
    assert.ok(all.length >= 8);
    const detail = await client.deliveries.get(all[0].id);
    assert.equal(detail.id, all[0].id);
    assert.ok(detail.attempt_log.length >= 1);

    const bad = await client.subscriptions.create("shop", { url: failing.url, event_types: ["fail.*"], retry: [600] });
    const published = await client.events.publish("shop", { type: "fail.now", payload: {} });
    const [delivery] = published.event.deliveries;
    await until(async () => (await client.deliveries.get(delivery.id)).attempts >= 1, 15_000, "the first failed attempt");
    const retried = await client.deliveries.retry(delivery.id);
    assert.equal(retried.id, delivery.id);
    await until(async () => (await client.deliveries.get(delivery.id)).attempts >= 2, 15_000, "the retried attempt");
    const replay = await client.subscriptions.replay("shop", bad.id, { dry_run: true });
    assert.equal(replay.requeued, 0);
    assert.equal(replay.matching, 1);
    const replayed = await client.subscriptions.replay("shop", bad.id);
    assert.equal(replayed.requeued, 1);

    const attempts = await client.attempts.list({ limit: 2 });
    assert.equal(attempts.data.length, 2);
    const newest = await client.attempts.list({ limit: 250 });
    assert.ok(newest.data.length >= 9);
    const following = await collect(client.attempts.iter({ after: newest.data[0].id, limit: 2 }));
    assert.deepEqual(following.map((a) => a.id).slice(0, newest.data.length - 1), newest.data.slice(1).map((a) => a.id));
    const ofShop = await client.attempts.list({ app: "shop", limit: 250 });
    assert.ok(ofShop.data.every((a) => a.app_id === "shop"));
  });
});

describe("errors", () => {
  const check = (error, Class, status, code) => {
    assert.ok(error instanceof Class, `${error} is a ${Class.name}`);
    assert.ok(error instanceof HookdError);
    assert.equal(error.status, status);
    if (code) assert.equal(error.code, code);
    assert.ok(error.requestId, "carries the request id");
    assert.ok(error.message.length > 0);
  };

  test("404 not found", async () => {
    check(await client.apps.get("no-such-app").catch((e) => e), NotFoundError, 404, "app_not_found");
  });

  test("422 with the field", async () => {
    const error = await client.subscriptions.create("shop", { url: "not a url" }).catch((e) => e);
    check(error, ValidationError, 422);
    assert.equal(error.field, "url");
  });

  test("401 with a wrong token", async () => {
    const stranger = new Hookd({ baseUrl: hookd.base, token: "nope:nope" });
    check(await stranger.apps.list().catch((e) => e), UnauthorizedError, 401, "unauthorized");
  });

  test("403 with a key lacking the action", async () => {
    const key = await admin.keys.create(account.id, { policy: ["hookd:apps.read"] });
    const reader = new Hookd({ baseUrl: hookd.base, token: key.token });
    await reader.apps.list();
    const error = await reader.apps.create({ id: "forbidden-app" }).catch((e) => e);
    check(error, ForbiddenError, 403, "forbidden");
    assert.match(error.message, /hookd:apps\.write/);
  });

  test("409 conflict", async () => {
    check(await client.apps.create({ id: "shop" }).catch((e) => e), ConflictError, 409);
  });

  test("no answer is a HookdConnectionError", async () => {
    const port = await freePort();
    const nowhere = new Hookd({ baseUrl: `http://127.0.0.1:${port}`, token: "t", timeoutMs: 2_000 });
    const error = await nowhere.me().catch((e) => e);
    assert.ok(error instanceof HookdConnectionError, String(error));
    assert.ok(!(error instanceof HookdError));
  });
});
