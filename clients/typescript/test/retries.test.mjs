// Retries of 429 (a real hookd with HOOKD_ACCOUNT_RATE_LIMIT=1) and 503 (a tiny local server), honouring
// Retry-After; no retry of other statuses; errors once the retries are used up.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { Hookd, RateLimitedError, ServerError, UnavailableError } from "hookd";
import { ADMIN_TOKEN, startHookd, tenant } from "./harness.mjs";

/** A fetch that records the status of every answer. */
function recordingFetch(statuses) {
  return async (input, init) => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
}

describe("429 from a rate-limited hookd", () => {
  let hookd, token;
  before(async () => {
    hookd = await startHookd({ HOOKD_ACCOUNT_RATE_LIMIT: "1" });
    const admin = new Hookd({ baseUrl: hookd.base, token: ADMIN_TOKEN });
    ({ token } = await tenant(admin, "limited"));
  });
  after(async () => hookd?.stop());

  test("waits Retry-After and succeeds", async () => {
    const statuses = [];
    const client = new Hookd({ baseUrl: hookd.base, token, maxRetries: 3, fetch: recordingFetch(statuses) });
    const started = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await client.me()).kind, "key");
    assert.ok(statuses.includes(429), `a real 429 was answered (${statuses})`);
    assert.deepEqual(statuses.slice(-1), [200]);
    assert.ok(Date.now() - started >= 900, "the client waited for Retry-After");
  });

  test("with maxRetries 0 raises RateLimitedError carrying the request id", async () => {
    const client = new Hookd({ baseUrl: hookd.base, token, maxRetries: 0 });
    let error;
    for (let i = 0; i < 5 && !error; i++) error = await client.apps.list().then(() => undefined, (e) => e);
    assert.ok(error instanceof RateLimitedError, String(error));
    assert.equal(error.status, 429);
    assert.equal(error.code, "rate_limited");
    assert.ok(error.requestId);
    assert.ok(error.retryAfterMs >= 1000);
  });
});

describe("503 and other statuses from a local server", () => {
  let server, base;
  const seen = [];
  let script = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() });
        const next = script.shift() ?? { status: 200, body: { kind: "admin" } };
        res.writeHead(next.status, { "content-type": "application/json", "x-request-id": "req-local-1", ...(next.headers ?? {}) });
        res.end(JSON.stringify(next.body ?? {}));
      });
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(async () => new Promise((r) => server.close(r)));

  const unavailable = (headers) => ({
    status: 503,
    headers,
    body: { error: { code: "storage_unavailable", message: "storage is unavailable", request_id: "req-503" } },
  });

  test("a 503 with Retry-After in seconds is retried after the wait, the POST body intact", async () => {
    seen.length = 0;
    script = [unavailable({ "retry-after": "1" }), { status: 201, body: { id: "evt_1", deliveries: [] } }];
    const client = new Hookd({ baseUrl: base, token: "t" });
    const started = Date.now();
    const published = await client.events.publish("shop", { type: "a.b", payload: { n: 1 } });
    assert.ok(Date.now() - started >= 950);
    assert.equal(published.event.id, "evt_1");
    assert.equal(seen.length, 2);
    assert.equal(seen[0].body, seen[1].body);
    assert.deepEqual(JSON.parse(seen[1].body), { type: "a.b", payload: { n: 1 } });
  });

  test("a 503 with an HTTP-date Retry-After, and without one (the default wait)", async () => {
    seen.length = 0;
    const soon = new Date(Date.now() + 1500).toUTCString();
    script = [unavailable({ "retry-after": soon }), unavailable({})];
    const client = new Hookd({ baseUrl: base, token: "t", defaultRetryAfterMs: 50 });
    assert.equal((await client.me()).kind, "admin");
    assert.equal(seen.length, 3);
  });

  test("used-up retries raise UnavailableError with the envelope", async () => {
    seen.length = 0;
    script = [unavailable({ "retry-after": "0" }), unavailable({ "retry-after": "0" })];
    const client = new Hookd({ baseUrl: base, token: "t", maxRetries: 1 });
    const error = await client.me().catch((e) => e);
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.code, "storage_unavailable");
    assert.equal(error.requestId, "req-503");
    assert.equal(seen.length, 2);
  });

  test("a 500 is not retried; the request id comes from X-Request-Id when the body is no envelope", async () => {
    seen.length = 0;
    script = [{ status: 500, body: "oops" }];
    const client = new Hookd({ baseUrl: base, token: "t" });
    const error = await client.me().catch((e) => e);
    assert.ok(error instanceof ServerError);
    assert.equal(error.code, "http_500");
    assert.equal(error.requestId, "req-local-1");
    assert.equal(seen.length, 1);
  });
});
