// End-to-end test of the console in headless Chromium against a real hookd process and a real receiver
// on loopback. Run by scripts/check-console (once on SQLite, once on PostgreSQL):
//
//   CONSOLE_E2E_BIN=target/debug/hookd [CONSOLE_E2E_DATABASE_URL=postgres://…/db] \
//   [CONSOLE_E2E_SCREENSHOTS=docs/screenshots] node --test console/e2e/
//
// It signs in with an access key, creates an app and a subscription, publishes an event and sees it
// delivered, makes the receiver fail and sees the failure with its response excerpt, presses retry and
// sees the success; then it looks at the live view and, signed in as the operator, at the charts and the
// accounts. Every request the page makes must be a console file or a documented native API operation.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = resolve(ROOT, process.env.CONSOLE_E2E_BIN ?? "target/debug/hookd");
const CHROMIUM = process.env.CONSOLE_E2E_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.CONSOLE_E2E_SCREENSHOTS ? resolve(ROOT, process.env.CONSOLE_E2E_SCREENSHOTS) : null;
const ADMIN = "console-e2e-admin-token-0123456789";
const STEP = 15_000; // the longest any one expectation waits

let hookd, receiver, browser, base, dir, receiverUrl;
let failing = false;
const received = [];
const requests = []; // every request the page made: [method, url, authorized]
const pageErrors = []; // uncaught errors in the page

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function api(method, path, body, token = ADMIN, account) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (account) headers["hookd-account"] = account;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return json;
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  assert.ok(existsSync(BIN), `hookd binary ${BIN} is missing: build it first (cargo build -p hookd)`);
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's chromium package`);

  receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ failing, body: Buffer.concat(chunks).toString() });
      if (failing) {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("receiver is down: simulated outage for the console test");
      } else {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok, thanks");
      }
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

  dir = mkdtempSync(join(tmpdir(), "hookd-console-e2e-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  hookd = spawn(BIN, ["serve"], {
    env: {
      // hookd refuses HOOKD_ variables it does not know, so only these are passed.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HOOKD_"))),
      HOOKD_LISTEN: `127.0.0.1:${port}`,
      HOOKD_DATA_DIR: dir,
      HOOKD_DATABASE_URL: process.env.CONSOLE_E2E_DATABASE_URL || `sqlite://${join(dir, "hookd.db")}`,
      HOOKD_ADMIN_TOKEN: ADMIN,
      HOOKD_ALLOWED_TARGETS: "127.0.0.0/8",
      HOOKD_DELIVERY__POLL_INTERVAL_MS: "100",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.equal(hookd.exitCode, null, "hookd exited before it was ready");
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    assert.ok(Date.now() < deadline, "hookd was not ready within 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (hookd && hookd.exitCode === null) {
    hookd.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(() => (hookd.kill("SIGKILL"), r()), 10_000);
      hookd.on("exit", () => (clearTimeout(t), r()));
    });
  }
  await new Promise((r) => (receiver ? receiver.close(r) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, colorScheme: "light" });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP);
  page.on("request", (r) => requests.push([r.method(), r.url(), "authorization" in r.headers()]));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return page;
}

async function signIn(page, token) {
  await page.goto(`${base}/console/`);
  // By keyboard: the field is labelled and the form submits on Enter.
  await page.getByLabel("Access key or admin token").fill(token);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Every form control on the page has an accessible name. */
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, [], "form controls without a label");
}

/** Every piece of text has a contrast of at least 4.5:1 against its background (WCAG AA). */
async function assertContrast(page) {
  const poor = await page.evaluate(() => {
    const rgb = (c) => c.match(/[\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (e) => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length < 4 || c[3] > 0) return c;
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const e of document.querySelectorAll("body *")) {
      if (e.closest("svg, :disabled, .sr-only, .skip")) continue;
      if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) out.push(`${ratio.toFixed(2)}: ${e.outerHTML.slice(0, 80)}`);
    }
    return out;
  });
  assert.deepEqual(poor, [], "text with too little contrast");
}

test("account view: subscribe, deliver, fail, see the excerpt, retry, succeed", async () => {
  const account = await api("POST", "/api/v1/accounts", { name: "Console Test Shop" });
  const key = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] });

  const page = await newPage();
  await page.goto(`${base}/console/`);
  await shot(page, "sign-in");
  await page.getByLabel("Access key or admin token").fill("no-such-key:secret");
  await page.keyboard.press("Enter");
  await page.getByRole("alert").getByText("hookd does not know this token.").waitFor();
  await signIn(page, key.token);
  await page.getByRole("heading", { name: "Apps" }).waitFor();

  // An app and a subscription, through the console's forms.
  await page.getByLabel("Id").fill("shop");
  await page.getByLabel("Name").fill("The shop");
  await page.getByRole("button", { name: "Create app" }).click();
  await page.getByRole("link", { name: "shop", exact: true }).click();
  await page.getByRole("heading", { name: "App shop" }).waitFor();
  await page.getByLabel("Receiver URL").fill(receiverUrl);
  await page.getByLabel("Event types").fill("order.paid");
  await page.getByLabel("Description").fill("Order webhooks");
  await page.getByRole("button", { name: "Create subscription" }).click();
  await page.getByText(/signing secret, shown once/).waitFor();
  await page.getByText(/whsec_/).waitFor();
  await assertLabelled(page);

  // Publish; the delivery is seen to succeed.
  await page.getByLabel("Event type", { exact: true }).fill("order.paid");
  await page.getByLabel("Payload (JSON)").fill('{"order": 1001, "amount": "12.50"}');
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText(/to 1 subscription\./).waitFor();
  await page.getByRole("link", { name: "Order webhooks" }).click();
  await page.getByRole("heading", { name: /Subscription “Order webhooks”/ }).waitFor();
  const rows = page.locator("table.deliveries tbody tr");
  await rows.filter({ hasText: "succeeded" }).first().waitFor();
  await assert.doesNotReject(rows.filter({ hasText: "200" }).first().waitFor());
  assert.ok(
    received.some((r) => r.body === '{"order":1001,"amount":"12.50"}'),
    `the receiver got the payload: ${JSON.stringify(received)}`,
  );

  // The receiver fails: the next delivery is seen retrying, with the receiver's answer.
  failing = true;
  await page.getByRole("link", { name: "shop", exact: true }).click();
  await page.getByLabel("Event type", { exact: true }).fill("order.paid");
  await page.getByLabel("Payload (JSON)").fill('{"order": 1002}');
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText(/to 1 subscription\./).waitFor();
  const eventLink = page.getByRole("status").getByRole("link");
  const eventId = await eventLink.textContent();
  await eventLink.click();
  await page.getByRole("heading", { name: `Event ${eventId}` }).waitFor();
  await page.locator("table.deliveries tbody tr").first().waitFor();
  await shot(page, "event");
  await page.locator("table.deliveries tbody tr a").first().click();
  await page.getByRole("heading", { name: /^Delivery / }).waitFor();
  const attempts = page.locator("table.attempts tbody tr");
  await attempts.filter({ hasText: "503" }).first().waitFor();
  await page.getByText("receiver is down: simulated outage for the console test").first().waitFor();
  await page.locator("h1 .badge", { hasText: /retrying|dead/ }).waitFor();
  // The request is shown with its secrets masked.
  await page.getByRole("rowheader", { name: "webhook-signature" }).waitFor();
  const signature = await page.getByRole("row", { name: /webhook-signature/ }).textContent();
  assert.ok(!signature.includes("v1,") || signature.includes("••••"), `the signature is masked: ${signature}`);
  await page.getByLabel("Request body").getByText('"order": 1002').waitFor();
  await shot(page, "delivery-failed");

  // The receiver is back; retry now succeeds.
  failing = false;
  const before = await attempts.count();
  // By keyboard: the action is a real button that takes focus and Enter.
  await page.getByRole("button", { name: "Retry now" }).focus();
  await page.keyboard.press("Enter");
  await page.locator("h1 .badge", { hasText: "succeeded" }).waitFor();
  await attempts.filter({ hasText: "200" }).first().waitFor();
  assert.ok((await attempts.count()) > before, "the retry made a new attempt");
  await assertContrast(page);
  await shot(page, "delivery-retried");

  // The subscription page: stats, actions, the failure and the success.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link").nth(2).click();
  await page.getByRole("heading", { name: /Subscription “Order webhooks”/ }).waitFor();
  await page.getByText(/succeeded, \d+ failed attempts/).waitFor();
  await page.getByRole("button", { name: "Send test event" }).click();
  await page.getByText(/Test event .* queued\./).waitFor();
  await page.getByRole("button", { name: "Disable" }).focus();
  await page.keyboard.press("Space");
  await page.locator("h1 .badge", { hasText: "disabled" }).waitFor();
  await page.getByRole("button", { name: "Enable" }).click();
  await page.locator("h1 .badge", { hasText: "enabled" }).waitFor();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByText(/New signing secret \(shown once\): whsec_/).waitFor();
  await page.getByRole("button", { name: "Replay" }).click();
  await page.getByText(/Replay queued \d+/).waitFor();
  // A delivery's attempts and request open in place.
  const retried = page
    .locator("table.deliveries > tbody > tr", { hasText: "503" })
    .or(
      page.locator("table.deliveries > tbody > tr").filter({ has: page.getByRole("cell", { name: "2", exact: true }) }),
    );
  await retried
    .first()
    .getByRole("button", { name: /^Show the attempts of/ })
    .click();
  const details = page.locator("tr.details");
  await details.locator("table.attempts tbody tr", { hasText: "503" }).waitFor();
  await details.locator("table.attempts tbody tr", { hasText: "200" }).waitFor();
  await details.getByText("receiver is down: simulated outage for the console test").waitFor();
  await details.getByRole("rowheader", { name: "webhook-signature" }).waitFor();
  await assertLabelled(page);
  await assertContrast(page);
  await shot(page, "subscription");

  // The app page with the subscription's success rate and sparkline.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "shop" }).click();
  await page.locator("svg.sparkline").first().waitFor();
  await page
    .getByRole("cell", { name: /\d+(\.\d)? %/ })
    .first()
    .waitFor();
  await shot(page, "app");

  // The live view follows attempts.
  await page.getByRole("link", { name: "Live", exact: true }).click();
  await page.locator("table.live tbody tr").filter({ hasText: "503" }).first().waitFor();
  await page.locator("table.live tbody tr").filter({ hasText: "200" }).first().waitFor();
  const seen = await page.locator("table.live tbody tr").count();
  await api("POST", "/api/v1/apps/shop/events", { type: "order.paid", payload: { order: 1003 } }, key.token);
  await page.waitForFunction((n) => document.querySelectorAll("table.live tbody tr").length > n, seen);
  await shot(page, "live");

  // Narrow screens: the same page stays usable.
  const phone = await newPage({ width: 390, height: 844 });
  await signIn(phone, key.token);
  await phone.goto(`${base}/console/#/apps/shop`);
  await phone.getByRole("heading", { name: "App shop" }).waitFor();
  await phone.locator("svg.sparkline").first().waitFor();
  await phone.getByRole("link", { name: /^evt_/ }).nth(3).waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page does not scroll sideways on a phone (${overflow} px)`);
  await shot(phone, "app-phone");
  await phone.context().close();
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("operator view: charts of all accounts, then one account's apps", async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  await page.getByRole("heading", { name: "All accounts" }).waitFor();
  await page.getByText("Throughput (per minute)").waitFor();
  await page.getByText("Error rate (failed attempts)").waitFor();
  await page.getByText("Queue depth (sampled while this page is open)").waitFor();
  await assertContrast(page);
  await shot(page, "operator-overview");
  await page.getByRole("link", { name: "Accounts" }).click();
  await page.getByRole("button", { name: "Open account Console Test Shop" }).click();
  await page.getByRole("link", { name: "shop", exact: true }).click();
  await page.getByRole("heading", { name: "App shop" }).waitFor();
  await page.locator("svg.sparkline").first().waitFor();
  await shot(page, "operator-accounts");
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("10 000 deliveries: the pages stay paged on the server", async () => {
  const account = await api("POST", "/api/v1/accounts", { name: "Busy" });
  const key = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] });
  await api("POST", "/api/v1/apps", { id: "busy" }, key.token);
  const sub = await api(
    "POST",
    "/api/v1/apps/busy/subscriptions",
    { url: receiverUrl, description: "Busy" },
    key.token,
  );
  const total = 10_000;
  let next = 0;
  const publisher = async () => {
    while (next < total) {
      const n = next++;
      await api("POST", "/api/v1/apps/busy/events", { type: "tick", payload: { n } }, key.token);
    }
  };
  await Promise.all(Array.from({ length: 16 }, publisher));
  // Let the deliveries go out (bounded).
  const deadline = Date.now() + 120_000;
  while ((await api("GET", "/api/v1/stats?minutes=5", undefined, key.token)).queue.depth > 0) {
    assert.ok(Date.now() < deadline, "10 000 deliveries were not done within 2 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }

  const page = await newPage();
  await signIn(page, key.token);
  await page.goto(`${base}/console/#/apps/busy/subscriptions/${sub.id}`);
  const rows = page.locator("table.deliveries tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 25, "one page of deliveries");
  const first = await rows.first().textContent();
  await page.getByRole("button", { name: "Next →" }).click();
  await page.getByText("Page 2").waitFor();
  await page.waitForFunction((f) => document.querySelector("table.deliveries tbody tr")?.textContent !== f, first);
  assert.equal(await rows.count(), 25, "the second page of deliveries");
  await page.getByRole("button", { name: "← Previous" }).click();
  await page.getByText("Page 1").waitFor();
  // Every attempt is counted, by the server.
  await page.getByText(/\(\d+ succeeded, \d+ failed attempts\)/).waitFor();
  const counted = await page.getByText(/\(\d+ succeeded, \d+ failed attempts\)/).textContent();
  const [ok, failed] = counted.match(/\d+/g).map(Number);
  assert.ok(ok + failed >= total, `the attempts of 10 000 deliveries are counted: ${counted}`);
  await page.getByRole("link", { name: "Live", exact: true }).click();
  await page.locator("table.live tbody tr").nth(99).waitFor();
  assert.ok((await page.locator("table.live tbody tr").count()) <= 200, "the live view keeps the newest 200");
  // A revoked key ends the session: the next call brings back the sign-in form.
  await api("DELETE", `/api/v1/accounts/${account.id}/keys/${key.key_id}`);
  await page.getByLabel("Access key or admin token").waitFor();
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("the console uses nothing but its own files and the documented native API", async () => {
  const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json();
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => [method.toUpperCase(), new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`)]),
  );
  assert.ok(requests.length > 50, `the tests above made requests (${requests.length})`);
  const stray = requests.filter(([method, url, authorized]) => {
    const u = new URL(url);
    if (u.origin !== base) return true;
    if (u.pathname.startsWith("/console/")) return method !== "GET";
    if (!u.pathname.startsWith("/api/v1/")) return true;
    const documented = operations.some(([m, re]) => m === method && re.test(u.pathname));
    return !documented || !authorized;
  });
  assert.deepEqual(stray, [], "requests that are not a console file or an authorized documented API call");
});
