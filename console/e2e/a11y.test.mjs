// Every page of the console, at a desktop's width and at a phone's, checked by axe-core (no serious or
// critical violation), for a label on every control, for the contrast of every text, and (on the phone)
// for not scrolling sideways. Run with the other files of this directory (see console.test.mjs).
//
// The data is made through the API first, as a person would have it: an app with a healthy and a failing
// subscription, events delivered and dead deliveries, a catalog type; then the pages are visited, signed
// in with the account's key and as the operator.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  ADMIN,
  api,
  assertAccessible,
  assertContrast,
  assertDocumentedRequests,
  assertLabelled,
  assertNoSidewaysScroll,
  base,
  newPage,
  pageErrors,
  receiverUrl,
  shot,
  signIn,
  start,
  stop,
} from "./harness.mjs";

before(() => start());
after(() => stop());

const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let account, token, healthy, failing, event, dead;

/** Waits until `check` returns something truthy (polling the API), at most 30 s. */
async function until(what, check) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `waited 30 s for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("the data: a healthy and a failing subscription, events, dead deliveries, a catalog type", async () => {
  account = await api("POST", "/api/v1/accounts", { name: "Accessible Shop" });
  ({ token } = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] }));
  await api("POST", "/api/v1/apps", { id: "shop", name: "The shop" }, token);
  await api(
    "POST",
    "/api/v1/apps/shop/event-types",
    {
      name: "order.paid",
      group: "order",
      description: "An order was paid",
      schema: { type: "object", required: ["order"], properties: { order: { type: "integer" } } },
      examples: [{ order: 1 }],
    },
    token,
  );
  healthy = await api("POST", "/api/v1/apps/shop/subscriptions", { url: receiverUrl, description: "Orders" }, token);
  // Nothing listens on port 1: every attempt is refused; one retry, then the delivery is dead.
  failing = await api(
    "POST",
    "/api/v1/apps/shop/subscriptions",
    { url: "http://127.0.0.1:1/billing", retry: [1] },
    token,
  );
  for (let order = 1; order <= 3; order++) {
    event = await api("POST", "/api/v1/apps/shop/events", { type: "order.paid", payload: { order } }, token);
  }
  const deliveries = (s) => api("GET", `/api/v1/apps/shop/subscriptions/${s.id}/deliveries`, undefined, token);
  dead = await until("a dead delivery", async () => (await deliveries(failing)).data.find((d) => d.status === "dead"));
  await until("the healthy deliveries", async () =>
    (await deliveries(healthy)).data.every((d) => d.status === "succeeded"),
  );
  const sub = await api("GET", `/api/v1/apps/shop/subscriptions/${failing.id}`, undefined, token);
  assert.equal(sub.health, "failing");
  assert.ok(sub.failing_since, "a failing subscription says since when");
  const health = await api("GET", "/api/v1/subscription-health", undefined, token);
  assert.deepEqual(
    health.data.filter((r) => r.app_id === "shop").map((r) => [r.healthy, r.failing]),
    [[1, 1]],
  );
});

/** The checks of every page; at a phone's width also that it does not scroll sideways. */
async function check(page, size) {
  await assertAccessible(page);
  await assertLabelled(page);
  await assertContrast(page);
  if (size === PHONE) await assertNoSidewaysScroll(page);
}

/** Goes to a console page and waits for what shows it is there. */
async function visit(page, hash, ready) {
  await page.goto(`${base}/console/#${hash}`);
  await ready(page).first().waitFor();
}

for (const [name, size] of [
  ["desktop", DESKTOP],
  ["phone", PHONE],
]) {
  test(`every page of an account at ${size.width} px (${name})`, async () => {
    const page = await newPage(size);
    await page.goto(`${base}/console/`);
    await page.getByLabel("Access key or admin token").waitFor();
    assert.equal(await page.title(), "Sign in · hookd");
    await check(page, size);
    await signIn(page, token);

    // Apps: the shop with its health, failing first; the header names the account.
    await visit(page, "/apps", (p) => p.getByText("1 failing of 2"));
    await page.locator("header").getByText("Accessible Shop").waitFor();
    assert.equal(await page.title(), "Apps · hookd");
    await page.locator("table.cards tbody tr", { hasText: "ops" }).getByText("system").waitFor();
    await check(page, size);
    await shot(page, size === PHONE ? "apps-health-phone" : "apps-health");

    // The app: failing first, each by its name; its forms open from buttons; the settings.
    await visit(page, "/apps/shop", (p) => p.locator("table.subscriptions tbody tr"));
    await page.getByRole("link", { name: "Orders" }).waitFor();
    const rows = page.locator("table.subscriptions tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.first().getAttribute("data-health"), "failing", "the failing subscription first");
    await rows.first().getByRole("link", { name: "127.0.0.1:1/billing" }).waitFor();
    await rows.first().getByText(failing.id).waitFor();
    await page.locator("table.events tbody tr", { hasText: "1 dead" }).first().waitFor();
    assert.match(await page.title(), /^App “The shop” \(shop\) · hookd$/);
    await check(page, size);
    await page.getByRole("button", { name: "New subscription" }).click();
    await page.getByLabel("Receiver URL").waitFor();
    await page.getByRole("button", { name: "Publish an event" }).click();
    await page.getByLabel("Payload (JSON)").waitFor();
    assert.equal(await page.getByLabel("Receiver URL").count(), 0, "one form open at a time");
    await page.getByText("Settings", { exact: true }).click();
    await page.getByRole("form", { name: "Settings" }).getByLabel("Schema validation").waitFor();
    await check(page, size);

    // A system app says what it is for, and is not offered publishing.
    await visit(page, "/apps/ops", (p) => p.getByText(/hookd's own operational events \(delivery\.dead/));
    await page.getByRole("button", { name: "New subscription" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Publish an event" }).count(), 0, "no publishing into ops");
    await visit(page, "/apps/shop", (p) => p.getByRole("form", { name: "Search events" }));

    // The search of events, with a result.
    const search = page.getByRole("form", { name: "Search events" });
    await search.getByLabel("Type", { exact: true }).fill("order.paid");
    await search.getByRole("button", { name: "Search" }).click();
    await page.getByRole("table", { name: "Events found" }).waitFor();
    await check(page, size);

    // The catalog.
    await visit(page, "/apps/shop/catalog", (p) => p.getByRole("article", { name: "order.paid" }));
    await check(page, size);

    // The failing subscription, a dead delivery, an event.
    await visit(page, `/apps/shop/subscriptions/${failing.id}`, (p) => p.locator("table.deliveries tbody tr"));
    await check(page, size);
    await visit(page, `/deliveries/${dead.id}`, (p) => p.locator("table.attempts tbody tr"));
    await check(page, size);
    await visit(page, `/apps/shop/events/${event.id}`, (p) => p.locator("table.deliveries tbody tr"));
    await check(page, size);

    // Live, filtered by subscription and by outcome.
    await visit(page, "/live", (p) => p.locator("table.live tbody tr"));
    await page.getByLabel("Outcome").selectOption("failed");
    await page.getByText(/^Filtered: \d+ attempts? shown so far\.$/).waitFor({ state: "attached" });
    assert.equal(await page.locator('table.live tbody tr[data-outcome="succeeded"]').count(), 0);
    await page.getByLabel("Outcome").selectOption("");
    await page.getByLabel("Subscription").selectOption({ label: "Orders (shop)" });
    await page.locator('table.live tbody tr[data-outcome="succeeded"]').first().waitFor();
    assert.equal(await page.locator("table.live tbody tr", { hasText: "billing" }).count(), 0);
    await check(page, size);

    // The account's charts; their counts link to what they count.
    await visit(page, "/overview", (p) => p.getByRole("link", { name: /1\s*failing subscriptions/ }));
    await check(page, size);
    await page.getByRole("link", { name: /1\s*failing subscriptions/ }).click();
    await page.getByText("Only the apps with a failing subscription.").waitFor();
    await page.getByRole("link", { name: "shop", exact: true }).waitFor();

    // What does not exist is one message, with a way back.
    for (const [hash, title] of [
      ["/apps/nowhere", "There is no app “nowhere”"],
      ["/apps/nowhere/subscriptions/sub_x", "There is no app “nowhere”"],
      ["/apps/shop/subscriptions/sub_00000000000000000000000000", "There is no such subscription"],
      ["/deliveries/del_00000000000000000000000000", "There is no such delivery"],
      ["/apps/shop/events/evt_00000000000000000000000000", "There is no such event"],
      ["/no/such/page", "There is no such page"],
    ]) {
      // A whole load of the page, so that "network idle" means every request of it was answered: nothing
      // else is still to appear beneath the message.
      await page.goto("about:blank");
      await page.goto(`${base}/console/#${hash}`, { waitUntil: "networkidle" });
      await page.getByRole("heading", { name: title }).first().waitFor();
      assert.equal(await page.getByRole("heading", { level: 1 }).count(), 1, `one message on ${hash}`);
      assert.equal(await page.locator("main form, main table").count(), 0, `nothing beneath it on ${hash}`);
      await page.getByRole("link", { name: /^(Back to the apps|Go to the start)$/ }).waitFor();
    }
    await check(page, size);
    await page.context().close();
    assert.deepEqual(pageErrors, [], "errors thrown in the page");
  });

  test(`the operator's pages at ${size.width} px (${name})`, async () => {
    const page = await newPage(size);
    await signIn(page, ADMIN);
    await page.getByRole("heading", { name: "All accounts" }).waitFor();
    await page.getByRole("link", { name: /failing subscriptions/ }).waitFor();
    await check(page, size);
    await visit(page, "/accounts", (p) => p.locator("table.accounts tbody tr", { hasText: "Accessible Shop" }));
    const shop = page.locator("table.accounts tbody tr", { hasText: "Accessible Shop" });
    await shop.getByText("1 failing of 2").waitFor();
    assert.match(await page.locator("table.accounts tbody tr").first().textContent(), /failing/, "failing first");
    await check(page, size);
    if (size === DESKTOP) await shot(page, "operator-accounts");
    // Acting in the account: the header names it.
    await shop.getByRole("button", { name: "Open account Accessible Shop" }).click();
    await page.locator("header").getByText("Accessible Shop").waitFor();
    await page.getByText("1 failing of 2").waitFor();
    await check(page, size);
    await page.context().close();
    assert.deepEqual(pageErrors, [], "errors thrown in the page");
  });
}

test("these pages use nothing but the documented native API", async () => {
  await assertDocumentedRequests(50);
});
