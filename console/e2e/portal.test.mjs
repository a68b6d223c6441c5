// End-to-end test of the portal (issue 24): the console's pages for an account's end customer, opened from
// a portal session's URL and embedded in the account's own product, in headless Chromium against a real
// hookd and a real receiver on loopback (run with the other files of this directory; see console.test.mjs):
//
//   CONSOLE_E2E_BIN=target/debug/hookd [CONSOLE_E2E_SCREENSHOTS=docs/screenshots] \
//   node --test --test-concurrency=1 console/e2e/portal.test.mjs
//
// The account allows one origin to frame its portal (`http://localhost:<port>`, a small server of this test
// standing for the account's product: `localhost` and hookd's `127.0.0.1` are different sites, so the
// portal is a third-party iframe there) and themes it. In a browser profile that blocks third-party
// cookies (proved inside the iframe: no cookie can be set, no storage access, sessionStorage throws), the
// customer adds an endpoint with event types chosen from the catalog, sends an example and sees it
// delivered, then sees a failure with the receiver's answer and retries it. Another origin may not frame
// the portal. Every portal page passes axe-core, labels, contrast and (at 390 px) no sideways scrolling; a
// read-only session has no control that writes; a revoked one says the link has expired.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import {
  api,
  assertAccessible,
  assertContrast,
  assertDocumentedRequests,
  assertLabelled,
  assertNoSidewaysScroll,
  base,
  call,
  newPage,
  newProfilePage,
  pageErrors,
  received,
  receiverUrl,
  setFailing,
  shot,
  start,
  STEP,
  stop,
} from "./harness.mjs";

const PRODUCT = "Acme Cloud";
/** A light colour: the text on it must be black to reach 4.5:1. */
const COLOR = "#f6c343";
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><circle cx="32" cy="32" r="28" fill="#1b1f24"/><path d="M18 40 32 16l14 24z" fill="#f6c343"/></svg>`;
const WRITES = [
  "Add endpoint",
  "Edit",
  "Disable",
  "Enable",
  "Rotate secret",
  "Send test event",
  "Delete",
  "Retry all failing now",
  "Replay",
  "Retry now",
  "Send example",
];

let token, allowed, refused, embedders;
/** What the first test made, for the pages of the others. */
let endpoint, failedDelivery, eventId, secret;

/** A stand-in for the account's product: a page framing the portal (`/embed?src=…`) and its logo. */
async function product() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/logo.svg") {
      res.writeHead(200, { "content-type": "image/svg+xml" });
      res.end(LOGO);
    } else if (url.pathname === "/embed") {
      const src = (url.searchParams.get("src") ?? "").replace(/&/g, "&amp;").replace(/"/g, "&quot;");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${PRODUCT} · Settings</title></head>
<body style="margin:0;font-family:sans-serif"><main><h1 style="font-size:18px;margin:8px">Settings</h1>
<iframe title="Webhooks" src="${src}" style="display:block;width:100%;height:1400px;border:0"></iframe>
</main></body></html>`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, origin: `http://localhost:${server.address().port}` };
}

before(async () => {
  await start();
  [allowed, refused] = await Promise.all([product(), product()]);
  embedders = [allowed.origin, refused.origin];
});
after(async () => {
  await stop();
  for (const p of [allowed, refused]) await new Promise((r) => (p ? p.server.close(r) : r()));
});

/** Waits until `check` returns something truthy, at most `ms`; returns it. */
async function until(what, check, ms = STEP) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A portal session of the app; its URL on this hookd (the path and fragment the server gave). */
async function session(body) {
  const s = await api("POST", "/api/v1/apps/shop/portal-sessions", { ttl_seconds: 3600, ...body }, token);
  assert.match(s.token, /^hkp_/);
  const url = new URL(s.url);
  assert.equal(url.pathname, `/portal/${s.id}/`, `the session's URL: ${s.url}`);
  assert.equal(url.hash, `#token=${s.token}`, `the token is in the fragment: ${s.url}`);
  return { ...s, url: `${base}${url.pathname}${url.hash}` };
}

/** The checks every portal page must pass, on a page or inside the frame that embeds the portal. */
async function check(target, phone) {
  await assertLabelled(target);
  await assertContrast(target);
  await assertAccessible(target);
  if (phone) await assertNoSidewaysScroll(target);
}

/** The portal's frame in an embedding page, once it is there. */
async function portalFrame(page) {
  return until("the portal's frame", () => page.frames().find((f) => f.url().includes("/portal/")));
}

/** A screenshot of the page embedding the portal, both scrolled to their top. The portal's frame is of
 * another site (its own renderer process), which paints only what is in view: the part just scrolled back
 * into view is given a moment to be painted before the whole page is captured. */
async function frameShot(page, frame, name) {
  await frame.evaluate(() => scrollTo(0, 0));
  await page.evaluate(() => scrollTo(0, 0));
  await page.waitForTimeout(500);
  await shot(page, name);
}

/** Whether a request the receiver got carries a Standard Webhooks signature made with `secret`. */
function signedWith(secret, { headers, body }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const content = `${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`;
  const expected = `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
  return (headers["webhook-signature"] ?? "").split(" ").includes(expected);
}

test("the account's data: a catalog of three types, portal settings with a theme", async () => {
  const account = await api("POST", "/api/v1/accounts", { name: "Portal Platform" });
  ({ token } = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] }));
  await api("POST", "/api/v1/apps", { id: "shop", name: "Customer 42" }, token);
  const schema = (required) => ({
    type: "object",
    required,
    properties: { id: { type: "string", description: "The order's id" }, total: { type: "number", minimum: 0 } },
  });
  for (const t of [
    {
      name: "order.created",
      group: "order",
      description: "An order was placed",
      schema: schema(["id", "total"]),
      examples: [{ id: "o-1", total: 120.5 }],
    },
    {
      name: "order.refunded",
      group: "order",
      description: "An order was refunded",
      schema: schema(["id"]),
      examples: [{ id: "o-2" }],
    },
    // Outside the sessions' `order.*`: never offered in the portal.
    {
      name: "customer.created",
      group: "customer",
      description: "A customer signed up",
      schema: schema(["id"]),
      examples: [{ id: "c-1" }],
    },
  ]) {
    await api("POST", "/api/v1/apps/shop/event-types", t, token);
  }
  const settings = {
    allowed_origins: [allowed.origin],
    product_name: PRODUCT,
    logo_url: `${allowed.origin}/logo.svg`,
    primary_color: COLOR,
  };
  assert.deepEqual(await api("PUT", "/api/v1/portal-settings", settings, token), settings);
});

test("third-party cookies: the probe sees them when the browser allows them", async () => {
  // The control for the next test's proof: in a profile that allows third-party cookies, the same probe
  // inside the same cross-site iframe does set a cookie and may read the storage.
  const s = await session({ capability: "read-only", event_types: ["order.*"] });
  const page = await newProfilePage({ thirdPartyCookies: "allow" });
  await page.goto(`${allowed.origin}/embed?src=${encodeURIComponent(s.url)}`);
  const frame = await portalFrame(page);
  await frame.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
  assert.deepEqual(await probe(frame), { cookie: "probe=1", storageAccess: true, sessionStorage: "usable" });
  await page.context().close();
});

/** What a cross-site frame may keep: a cookie set by script, storage access, sessionStorage. */
function probe(frame) {
  return frame.evaluate(async () => {
    document.cookie = "probe=1; SameSite=None; Secure; Path=/";
    let storage;
    try {
      sessionStorage.length;
      storage = "usable";
    } catch (e) {
      storage = e.name;
    }
    const cookie = document.cookie;
    document.cookie = "probe=; Max-Age=0; SameSite=None; Secure; Path=/";
    return { cookie, storageAccess: await document.hasStorageAccess(), sessionStorage: storage };
  });
}

test("embedded with third-party cookies blocked: add an endpoint, send an example, fail, retry", async () => {
  const s = await session({ capability: "manage", event_types: ["order.*"], description: "Customer 42" });
  const page = await newProfilePage({ thirdPartyCookies: "block" });
  await page.goto(`${allowed.origin}/embed?src=${encodeURIComponent(s.url)}`);
  const frame = await portalFrame(page);
  const portal = page.frameLocator('iframe[title="Webhooks"]');
  await portal.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();

  // Third-party cookies are blocked in this frame, and the portal works all the same (it keeps its token
  // in memory: sessionStorage would throw here).
  assert.deepEqual(await probe(frame), { cookie: "", storageAccess: false, sessionStorage: "SecurityError" });

  // The token left the address at once; the theme is the account's.
  assert.ok(frame.url().endsWith(`/portal/${s.id}/#/`), `the token is gone from the address: ${frame.url()}`);
  assert.equal(await frame.evaluate(() => document.title), `Endpoints · ${PRODUCT}`);
  const header = portal.locator("header");
  await header.getByText(PRODUCT).waitFor();
  const look = await frame.evaluate(() => {
    const h = getComputedStyle(document.querySelector("header"));
    const logo = document.querySelector("header img.logo");
    return { background: h.backgroundColor, color: h.color, logo: logo?.complete && logo.naturalWidth > 0 };
  });
  assert.deepEqual(look, { background: "rgb(246, 195, 67)", color: "rgb(0, 0, 0)", logo: true });
  // Nothing but the portal's own pages: no sign-out, no apps, no operator, no account.
  assert.deepEqual(await portal.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts(), [
    "Endpoints",
    "Event types",
    "Activity",
    "Verify signatures",
  ]);
  assert.equal(await portal.getByRole("button", { name: "Sign out" }).count(), 0);
  assert.equal(await portal.getByText("Portal Platform").count(), 0, "the account is not named");
  await check(frame);

  // A new endpoint: the URL, and its types chosen from the catalog (only those the session may see).
  await portal.getByRole("button", { name: "Add endpoint" }).click();
  const form = portal.getByRole("form", { name: "New endpoint" });
  await form.getByRole("checkbox", { name: /^order\.created/ }).waitFor();
  assert.equal(await form.getByRole("checkbox", { name: /^customer\./ }).count(), 0, "types outside the session");
  assert.equal(await form.getByRole("checkbox").count(), 2);
  await form.getByLabel("Endpoint URL").fill(receiverUrl);
  await form.getByLabel("Description").fill("Acme orders");
  await form.getByRole("checkbox", { name: /^order\.created/ }).check();
  await check(frame);
  await form.getByRole("button", { name: "Add endpoint" }).click();
  const created = portal.getByRole("status").filter({ hasText: "Endpoint Acme orders added." });
  await created.waitFor();
  secret = await created.locator("code.secret").textContent();
  assert.match(secret, /^whsec_/);
  const subs = (await api("GET", "/api/v1/apps/shop/subscriptions", undefined, token)).data;
  endpoint = subs.find((x) => x.description === "Acme orders");
  assert.deepEqual(endpoint?.event_types, ["order.created"], "the endpoint subscribes to the type chosen");
  await frameShot(page, frame, "portal-embedded");

  // An example of a catalog type, sent to it: received, signed with the endpoint's secret, and delivered.
  await portal.getByRole("link", { name: "Event types" }).click();
  await portal.getByRole("heading", { name: "Event types", level: 1 }).waitFor();
  const type = portal.getByRole("article", { name: "order.created" });
  await type.getByText("An order was placed").waitFor();
  await type.getByRole("list", { name: "Schema outline" }).getByText("total").waitFor();
  assert.equal(await portal.getByRole("article", { name: "customer.created" }).count(), 0);
  await check(frame);
  await frameShot(page, frame, "portal-event-types");
  const heard = received.length;
  await type.getByRole("button", { name: "Send example" }).click();
  await portal.getByText(/^Example sent as event evt_/).waitFor();
  const got = await until("the receiver got the example", () =>
    received.slice(heard).find((r) => !r.failing && JSON.parse(r.body).id === "o-1"),
  );
  assert.ok(signedWith(secret, got), `signed with the secret the portal showed: ${JSON.stringify(got.headers)}`);

  await portal.getByRole("link", { name: "Endpoints" }).first().click();
  await portal.getByRole("link", { name: "Acme orders" }).click();
  await portal.getByRole("heading", { name: "Endpoint “Acme orders”" }).waitFor();
  const rows = portal.locator("table.deliveries tbody tr");
  await rows.filter({ hasText: "succeeded" }).first().waitFor();
  assert.match(await frame.evaluate(() => document.title), new RegExp(`^Endpoint “Acme orders” · shop · ${PRODUCT}$`));
  // The secret, revealed on the endpoint's page, is the one it signs with.
  await portal.getByRole("button", { name: "Reveal", exact: true }).click();
  assert.equal(await portal.locator(".fix-secret code.secret").textContent(), secret);
  await portal.getByRole("button", { name: "Hide", exact: true }).click();
  await check(frame);
  await frameShot(page, frame, "portal-endpoint");

  // A test event: its type, hookd.test, is outside the session's types, yet its delivery through this
  // endpoint is listed with the others.
  const tested = received.length;
  await portal.getByRole("button", { name: "Send test event" }).click();
  await portal.getByText(/^Test event evt_\w+ queued\./).waitFor();
  await rows.filter({ hasText: "hookd.test" }).first().waitFor();
  const test = await until("the receiver got the test event", () =>
    received.slice(tested).find((r) => JSON.parse(r.body).test === true),
  );
  assert.ok(signedWith(secret, test), "the test event is signed with the same secret");

  // The receiver fails: the next example is seen failing, with what the receiver answered.
  setFailing(true);
  await portal.getByRole("link", { name: "Event types" }).click();
  await portal.getByRole("article", { name: "order.created" }).getByRole("button", { name: "Send example" }).click();
  const sent = portal.getByRole("status").filter({ hasText: /^Example sent as event evt_/ });
  await sent.waitFor();
  eventId = await sent.getByRole("link").textContent();
  await portal.getByRole("link", { name: "Endpoints" }).first().click();
  await portal.getByRole("link", { name: "Acme orders" }).click();
  const failed = rows.filter({ hasText: "503" }).first();
  await failed.waitFor();
  await failed.getByRole("link", { name: /^dlv_/ }).click();
  await portal.getByRole("heading", { name: /^Delivery / }).waitFor();
  failedDelivery = (await frame.evaluate(() => location.hash)).replace("#/deliveries/", "");
  const attempts = portal.locator("table.attempts tbody tr");
  await attempts.filter({ hasText: "503" }).first().waitFor();
  await portal.getByText("receiver is down: simulated outage for the console test").first().waitFor();
  await check(frame);
  await frameShot(page, frame, "portal-delivery-failed");

  // The receiver is back: retried in the portal, delivered.
  setFailing(false);
  const before = await attempts.count();
  await portal.getByRole("button", { name: "Retry now" }).click();
  await portal.locator("h1 .badge", { hasText: "succeeded" }).waitFor();
  await attempts.filter({ hasText: "200" }).first().waitFor();
  assert.ok((await attempts.count()) > before, "the retry made a new attempt");
  const delivery = await api("GET", `/api/v1/deliveries/${failedDelivery}`, undefined, token);
  assert.equal(delivery.status, "succeeded");
  await check(frame);

  // Its event: the payload, no erasure (the account's, not the customer's).
  await portal.getByRole("definition").getByRole("link", { name: "order.created" }).click();
  await portal.getByRole("heading", { name: `Event ${eventId}` }).waitFor();
  assert.equal(await portal.getByRole("button", { name: "Erase payload" }).count(), 0);
  await check(frame);

  // How to verify the signatures, with the Standard Webhooks libraries.
  await portal.getByRole("link", { name: "Verify signatures" }).click();
  await portal.getByRole("heading", { name: "Verify signatures", level: 1 }).waitFor();
  for (const text of [
    "pip install standardwebhooks",
    "npm install standardwebhooks",
    "go get github.com/standard-webhooks/standard-webhooks/libraries/go",
    "gem install standardwebhooks",
    "composer require standard-webhooks/standard-webhooks",
  ]) {
    await portal.getByText(text, { exact: true }).waitFor();
  }
  await portal
    .getByRole("region", { name: "Verify in Python" })
    .getByText(/wh\.verify\(/)
    .waitFor();
  await check(frame);

  // The portal kept nothing in the browser: no cookie of its own (none could be set here anyway).
  assert.equal(await frame.evaluate(() => document.cookie), "");
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("an origin the account did not allow may not frame the portal", async () => {
  const s = await session({ capability: "manage", event_types: ["order.*"] });
  // The page says so itself: its CSP names the allowed origin only, and no X-Frame-Options.
  const head = await fetch(s.url.replace(/#.*/, ""));
  assert.equal(head.status, 200);
  const csp = head.headers.get("content-security-policy") ?? "";
  assert.deepEqual(/frame-ancestors ([^;]*)/.exec(csp)?.[1].trim().split(/\s+/), [allowed.origin], csp);
  assert.equal(head.headers.get("x-frame-options"), null);

  const page = await newPage();
  const said = [];
  page.on("console", (m) => said.push(m.text()));
  await page.goto(`${refused.origin}/embed?src=${encodeURIComponent(s.url)}`);
  // Chromium refuses the frame: it shows its own error page in it, and says why in the console ("Framing
  // '…' violates the following Content Security Policy directive: "frame-ancestors …"").
  const frame = await until("the frame refused", () => {
    const frame = page.frames().find((f) => f !== page.mainFrame());
    return frame?.url().startsWith("chrome-error://") && said.some((t) => t.includes("frame-ancestors")) && frame;
  });
  assert.ok(
    said.some((t) => t.includes(`frame-ancestors ${allowed.origin}`) && t.includes(`'${base}/'`)),
    `the console names hookd and the directive: ${said.join(" | ")}`,
  );
  // And it stays so: the portal's page never appears in the frame.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await frame.locator("#root").count(), 0, "the portal's page is not in the frame");
  assert.ok(frame.url().startsWith("chrome-error://"), frame.url());
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

for (const [name, size] of [
  ["desktop", DESKTOP],
  ["phone", PHONE],
]) {
  const phone = size === PHONE;
  test(`every portal page at ${size.width} px (${name})`, async () => {
    const s = await session({ capability: "manage", event_types: ["order.*"] });
    const page = await newPage(size);
    // Any use of the browser's storage by the page is recorded here (the portal must make none).
    await page.context().addInitScript(() => {
      for (const m of ["getItem", "setItem", "removeItem", "clear", "key"]) {
        const original = Storage.prototype[m];
        Storage.prototype[m] = function (...args) {
          (window.__storageUsed ??= []).push(m);
          return original.apply(this, args);
        };
      }
    });
    await page.goto(s.url);
    const visit = async (hash, ready) => {
      await page.evaluate((h) => (location.hash = h), hash);
      await ready.first().waitFor();
    };
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    assert.equal(new URL(page.url()).hash, "#/", "the token is gone from the address");
    await page.getByRole("link", { name: "Acme orders" }).waitFor();
    await check(page, phone);
    if (phone) await shot(page, "portal-phone");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByRole("form", { name: "New endpoint" }).getByRole("checkbox").first().waitFor();
    await check(page, phone);

    await visit(`#/endpoints/${endpoint.id}`, page.locator("table.deliveries tbody tr"));
    await page.getByRole("heading", { name: "Endpoint “Acme orders”" }).waitFor();
    await check(page, phone);
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await page
      .getByRole("form", { name: "Edit the endpoint" })
      .getByRole("checkbox", { name: /^order\.created/ })
      .waitFor();
    assert.ok(
      await page.getByRole("checkbox", { name: /^order\.created/ }).isChecked(),
      "the edit form has the endpoint's types checked",
    );
    await check(page, phone);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: `Show the attempts of ${failedDelivery}` }).click();
    await page.locator("tr.details table.attempts tbody tr").first().waitFor();
    await check(page, phone);

    await visit(`#/deliveries/${failedDelivery}`, page.locator("table.attempts tbody tr", { hasText: "503" }));
    await check(page, phone);
    await visit(`#/events/${eventId}`, page.locator("table.deliveries tbody tr"));
    await check(page, phone);
    await visit("#/event-types", page.getByRole("article", { name: "order.created" }));
    await check(page, phone);
    await visit("#/activity", page.locator("table.events tbody tr"));
    await check(page, phone);
    await visit("#/verify", page.getByRole("heading", { name: "Verify signatures", level: 1 }));
    await check(page, phone);
    if (!phone) await shot(page, "portal-verify");
    // The console's pages are no pages here.
    for (const hash of ["#/apps", "#/apps/shop", "#/live", "#/overview", "#/accounts"]) {
      await visit(hash, page.getByRole("heading", { name: "There is no such page" }));
    }
    await check(page, phone);
    // No link leads out of the portal's own routes.
    const links = await page.locator("a[href^='#']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.deepEqual(
      links.filter(
        (h) =>
          !/^#(\/|\/endpoints(\/.*)?|\/deliveries\/.+|\/events\/.+|\/event-types|\/activity|\/verify|main|verify-.+)$/.test(
            h,
          ),
      ),
      [],
    );

    // A reload has no token any more: the page says the link was used, and where to open it again.
    await page.reload();
    await page.getByRole("heading", { name: "This portal link has been used or has expired" }).waitFor();
    await page.getByText(/Open the portal again from/).waitFor();
    await check(page, phone);
    if (!phone) await shot(page, "portal-expired");
    assert.deepEqual(
      await page.evaluate(() => [window.__storageUsed ?? [], document.cookie]),
      [[], ""],
      "the portal used neither the browser's storage nor cookies",
    );

    // Embedded at this width too: the frame's pages fit it.
    const embedded = await newPage(size);
    await embedded.goto(`${allowed.origin}/embed?src=${encodeURIComponent(s.url)}`);
    const frame = await portalFrame(embedded);
    const inside = embedded.frameLocator('iframe[title="Webhooks"]');
    await inside.getByRole("link", { name: "Acme orders" }).waitFor();
    await check(frame, phone);
    await inside.getByRole("link", { name: "Acme orders" }).click();
    await inside.locator("table.deliveries tbody tr").first().waitFor();
    await check(frame, phone);
    await embedded.context().close();
    await page.context().close();
    assert.deepEqual(pageErrors, [], "errors thrown in the page");
  });
}

test("a read-only session shows no control that writes", async () => {
  const s = await session({ capability: "read-only" });
  const page = await newPage();
  await page.goto(s.url);
  await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
  await page.getByText("Read-only view.").waitFor();
  await page.getByRole("link", { name: "Acme orders" }).waitFor();
  const writes = async (where) => {
    const buttons = await page.getByRole("button").evaluateAll((bs) => bs.map((b) => b.textContent.trim()));
    assert.deepEqual(
      buttons.filter((b) => WRITES.includes(b)),
      [],
      `no control that writes on ${where}`,
    );
    assert.equal(
      await page.locator("main form:not(.fix-secret):not(.search)").count(),
      0,
      `no form that writes on ${where}`,
    );
  };
  await writes("the endpoints");
  await check(page);
  await page.getByRole("link", { name: "Acme orders" }).click();
  await page.getByRole("heading", { name: "Endpoint “Acme orders”" }).waitFor();
  await page.locator("table.deliveries tbody tr").first().waitFor();
  await page.getByRole("button", { name: `Show the attempts of ${failedDelivery}` }).click();
  await page.locator("tr.details table.attempts tbody tr").first().waitFor();
  await writes("an endpoint");
  // Its secret may be read: the customer needs it to verify.
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  assert.equal(await page.locator(".fix-secret code.secret").textContent(), secret);
  await check(page);
  await shot(page, "portal-read-only");
  await page.evaluate((id) => (location.hash = `#/deliveries/${id}`), failedDelivery);
  await page.locator("table.attempts tbody tr").first().waitFor();
  await writes("a delivery");
  await page.evaluate(() => (location.hash = "#/event-types"));
  await page.getByRole("article", { name: "order.created" }).waitFor();
  await writes("the event types");
  // The server agrees: a write with this token is refused.
  const refusal = await call("POST", `/api/v1/apps/shop/subscriptions/${endpoint.id}/disable`, "{}", s.token);
  assert.equal(refusal.status, 403, JSON.stringify(refusal.json));
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("a revoked session: the open page and the link opened again say the link has expired", async () => {
  const s = await session({ capability: "manage", event_types: ["order.*"] });
  const page = await newPage();
  await page.goto(s.url);
  await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
  await api("DELETE", `/api/v1/apps/shop/portal-sessions/${s.id}`, undefined, token);
  // The next request is answered 401: the page says so instead of an error. (Going to another page makes
  // one; a request the page was still making may have been answered 401 already.)
  await page.evaluate(() => (location.hash = "#/event-types"));
  await page.getByRole("heading", { name: "This portal link has been used or has expired" }).waitFor();
  await page.getByText(`Open the portal again from ${PRODUCT}.`).waitFor();
  assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0, "no page of the portal is left");
  await check(page);
  assert.equal((await call("GET", "/api/v1/me", undefined, s.token)).status, 401);
  // Opened again, the link loads the page (docs/API.md: a revoked or expired session still gets the portal,
  // which says so itself), whose first request, /me, is answered 401: the same message.
  await page.goto("about:blank");
  const again = await page.goto(s.url);
  assert.equal(again.status(), 200);
  await page.getByRole("heading", { name: "This portal link has been used or has expired" }).waitFor();
  assert.equal(new URL(page.url()).hash, "#/", "the token left the address");
  await check(page);
  // A session that never was gets the server's own short page, 404.
  const unknown = await page.goto(`${base}/portal/ps_00000000000000000000000000/`);
  assert.equal(unknown.status(), 404);
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("the portal's pages used nothing but their own files and the documented native API", async () => {
  await assertDocumentedRequests(50, { origins: embedders });
});
