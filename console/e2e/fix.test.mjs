// End-to-end test of fixing a failing subscription in the console (issue 23), in headless Chromium against
// a real hookd and a real receiver on loopback, once on a desktop screen and once on a phone:
//
//   CONSOLE_E2E_BIN=target/debug/hookd [CONSOLE_E2E_SCREENSHOTS=docs/screenshots] \
//   node --test --test-concurrency=1 console/e2e/fix.test.mjs
//
// An app has two subscriptions to the receiver and one to a port where nothing listens. Signed in with an
// access key, the person finds the app marked failing in the app list, opens the failing subscription,
// reads why it fails (the failure kind's plain title, how many deliveries), follows one to its delivery
// and event, fixes the URL in the edit form (a bad one refused beside the input first), retries all
// failing deliveries after a confirmation that names their number (the number the API has), and sees
// them delivered and the subscription healthy; then deletes another subscription, cancelling once.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
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
  pageErrors,
  received,
  receiverUrl,
  shot,
  signIn,
  start,
  STEP,
  stop,
} from "./harness.mjs";

before(() => start());
after(() => stop());

/** A loopback port where nothing listens: connecting to it is refused. */
async function deadPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Waits until `check` answers true, at most `ms`. */
async function until(what, check, ms = STEP) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every delivery of a subscription, through the API (all pages). */
async function deliveriesOf(app, sub, token) {
  const all = [];
  let cursor = null;
  do {
    const page = await api(
      "GET",
      `/api/v1/apps/${app}/subscriptions/${sub}/deliveries?limit=250${cursor ? `&cursor=${cursor}` : ""}`,
      undefined,
      token,
    );
    all.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

/** The checks every page visited must pass; on a phone, also that nothing scrolls sideways. */
async function checkPage(page, phone) {
  await assertLabelled(page);
  await assertContrast(page);
  await assertAccessible(page);
  if (phone) await assertNoSidewaysScroll(page);
}

async function scenario({ width, height, suffix }) {
  const phone = width < 640;
  const app = `fix${suffix || "-wide"}`;
  const account = await api("POST", "/api/v1/accounts", { name: `Fix ${app}` });
  const { token } = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] });
  await api("POST", "/api/v1/apps", { id: app, name: "Shop" }, token);
  const subs = `/api/v1/apps/${app}/subscriptions`;
  const orders = await api(
    "POST",
    subs,
    { url: receiverUrl, event_types: ["order.paid"], description: "Orders" },
    token,
  );
  const audit = await api("POST", subs, { url: receiverUrl, description: "Audit log" }, token);
  const port = await deadPort();
  const failing = await api("POST", subs, { url: `http://127.0.0.1:${port}/hook` }, token);
  const failingName = `127.0.0.1:${port}/hook`;
  for (let i = 0; i < 10; i++) {
    for (const type of ["order.paid", "order.refunded"]) {
      await api("POST", `/api/v1/apps/${app}/events`, { type, payload: { order: i, type } }, token);
    }
  }
  // The receiver's subscriptions are delivered; the failing one's 20 deliveries failed twice (the standard
  // schedule's first retry comes after 5 s, the next after 5 min), so that their number holds still.
  await until("the healthy subscriptions' deliveries succeeded", async () => {
    const done = [...(await deliveriesOf(app, orders.id, token)), ...(await deliveriesOf(app, audit.id, token))];
    return done.length === 30 && done.every((d) => d.status === "succeeded");
  });
  await until(
    "the failing subscription's deliveries were tried twice",
    async () => {
      const ds = await deliveriesOf(app, failing.id, token);
      return ds.length === 20 && ds.every((d) => d.status === "retrying" && d.attempts >= 2);
    },
    3 * STEP,
  );
  const kinds = (await api("GET", "/api/v1/failure-kinds", undefined, token)).data;
  const refused = kinds.find((k) => k.code === "connection_refused");
  assert.ok(refused, `connection_refused is a failure kind: ${JSON.stringify(kinds)}`);

  const page = await newPage({ width, height });
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await signIn(page, token);

  // The app list marks the app as failing.
  await page.getByRole("heading", { name: "Apps" }).waitFor();
  const appRow = page.locator("table tbody tr", { has: page.getByRole("link", { name: app, exact: true }) });
  await appRow.getByText(/1 failing/).waitFor();
  await checkPage(page, phone);
  await appRow.getByRole("link", { name: app, exact: true }).click();

  // The app page shows which subscription fails.
  await page.getByRole("heading", { name: new RegExp(`^App ${app}`) }).waitFor();
  const subRow = page.locator("table tbody tr", { has: page.getByRole("link", { name: failingName }) });
  await subRow.locator(".badge", { hasText: "failing" }).waitFor();
  await checkPage(page, phone);
  await subRow.getByRole("link", { name: failingName }).click();

  // Its page says it is failing, and why: the failure kind in plain words, with how many deliveries.
  await page
    .getByRole("heading", { name: `Subscription “${failingName}”` })
    .first()
    .waitFor();
  await page.locator("h1 .badge", { hasText: "failing" }).waitFor();
  await page.getByText(/Failing since/).waitFor();
  const group = page.locator("li.fix-group", { hasText: refused.title });
  await group.waitFor();
  await group.getByText(/20 retrying, 0 dead/).waitFor();
  await group.getByText(refused.advice).waitFor();
  await page.locator("table.deliveries tbody tr", { hasText: refused.title }).first().waitFor();
  await checkPage(page, phone);
  await shot(page, `fix-failing${suffix}`);

  // The latest such delivery, and its event with its deliveries named by their subscriptions.
  await group.getByRole("link", { name: "See the latest delivery" }).click();
  await page.getByRole("heading", { name: /^Delivery / }).waitFor();
  await page.locator("table.attempts tbody tr", { hasText: refused.title }).first().waitFor();
  await page.getByRole("definition").getByText(refused.title).waitFor();
  await checkPage(page, phone);
  await page
    .getByRole("definition")
    .getByRole("link", { name: /^order\./ })
    .click();
  await page.getByRole("heading", { name: /^Event / }).waitFor();
  const eventRows = page.locator("table.deliveries tbody tr");
  await eventRows.filter({ has: page.getByRole("link", { name: failingName }) }).waitFor();
  await eventRows.filter({ has: page.getByRole("link", { name: "Audit log" }) }).waitFor();
  await checkPage(page, phone);
  await eventRows.getByRole("link", { name: failingName }).click();
  await page.getByRole("heading", { name: `Subscription “${failingName}”` }).waitFor();

  if (!phone) {
    // Disabling asks first; a disabled subscription's deliveries say they are paused, not when they run.
    await page.getByRole("button", { name: "Disable", exact: true }).click();
    await page
      .getByRole("dialog", { name: `Disable “${failingName}”?` })
      .getByRole("button", { name: "Disable", exact: true })
      .click();
    await page.locator("h1 .badge", { hasText: "disabled" }).waitFor();
    await page.getByText("paused while the subscription is disabled").first().waitFor();
    await page.getByRole("button", { name: "Enable", exact: true }).click();
    await page.locator("h1 .badge", { hasText: "failing" }).waitFor();

    // The signing secret, revealed and copied.
    await page.getByRole("button", { name: "Reveal", exact: true }).click();
    const secret = await page.locator(".fix-secret code.secret").textContent();
    assert.match(secret, /^whsec_/);
    await page.getByRole("button", { name: "Copy the signing secret" }).click();
    await page.getByText("Copied").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.getByRole("button", { name: "Hide", exact: true }).click();
  }

  // The URL is fixed in the edit form; a URL the server refuses is shown beside its input first.
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  const url = page.getByLabel("Receiver URL");
  if (!phone) {
    await url.fill("ftp://127.0.0.1/hook");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.locator(".fix-field", { has: url }).locator(".field-error").waitFor();
    assert.equal(await url.getAttribute("aria-invalid"), "true");
  }
  await checkPage(page, phone);
  await url.fill(receiverUrl);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved: url.").waitFor();
  await page.locator("dd.url", { hasText: receiverUrl }).waitFor();
  assert.equal((await api("GET", `${subs}/${failing.id}`, undefined, token)).url, receiverUrl);

  // Retry all failing: the dialog names how many, the number the API has as retrying or dead.
  const heard = received.length;
  await page.getByRole("button", { name: "Retry all failing now" }).click();
  const dialog = page.getByRole("dialog", { name: /^Retry \d+ deliver/ });
  await dialog.waitFor();
  const asked = Number((await dialog.getByRole("heading").textContent()).match(/\d+/)[0]);
  const waiting = (await deliveriesOf(app, failing.id, token)).filter((d) => ["retrying", "dead"].includes(d.status));
  assert.equal(asked, waiting.length, "the count confirmed is the number of retrying and dead deliveries");
  assert.equal(asked, 20);
  await checkPage(page, phone);
  await dialog.getByRole("button", { name: `Retry ${asked}` }).click();
  await page.getByText(`Queued ${asked} deliveries again.`).waitFor();
  await until("the receiver got every retried delivery", () => received.length >= heard + asked);
  await until("the API has every delivery succeeded", async () =>
    (await deliveriesOf(app, failing.id, token)).every((d) => d.status === "succeeded"),
  );
  await page.waitForFunction(
    (n) => document.querySelectorAll('table.deliveries tbody tr[data-status="succeeded"]').length === n,
    asked,
  );
  await page.locator("h1 .badge", { hasText: "healthy" }).waitFor();
  await page.getByText("No delivery is retrying or dead.").waitFor();
  await checkPage(page, phone);
  await shot(page, `fix-retried${suffix}`);

  // Another subscription is deleted, after a confirmation that is cancelled once.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: app }).click();
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("heading", { name: "Subscription “Audit log”" }).waitFor();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  const confirm = page.getByRole("dialog", { name: "Delete the subscription “Audit log”?" });
  await confirm.waitFor();
  await checkPage(page, phone);
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "hidden" });
  await page.getByRole("heading", { name: "Subscription “Audit log”" }).waitFor();
  assert.equal((await call("GET", `${subs}/${audit.id}`, undefined, token)).status, 200, "cancelled: still there");
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("heading", { name: new RegExp(`^App ${app}`) }).waitFor();
  await page.getByRole("link", { name: "Orders" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Audit log" }).count(), 0, "gone from the app page");
  assert.equal((await call("GET", `${subs}/${audit.id}`, undefined, token)).status, 404, "gone from the API");
  await checkPage(page, phone);
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
}

test("fix a failing subscription on a desktop screen", () => scenario({ width: 1280, height: 860, suffix: "" }));

test("fix a failing subscription on a phone", () => scenario({ width: 390, height: 844, suffix: "-phone" }));

test("the pages used nothing but their own files and the documented native API", async () => {
  await assertDocumentedRequests(50);
});
