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
import {
  ADMIN,
  api,
  assertAccessible,
  assertContrast,
  assertDocumentedRequests,
  assertLabelled,
  base,
  newPage,
  pageErrors,
  received,
  receiverUrl,
  setFailing,
  shot,
  signIn,
  start,
  stop,
} from "./harness.mjs";

before(() => start());
after(() => stop());

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
  await page.getByRole("button", { name: "New subscription" }).click();
  await page.getByLabel("Receiver URL").fill(receiverUrl);
  await page.getByLabel("Event types").fill("order.paid");
  await page.getByLabel("Description").fill("Order webhooks");
  await page.getByRole("button", { name: "Create subscription" }).click();
  await page.getByText(/Its signing secret \(the subscription's page can reveal it/).waitFor();
  await page.getByText(/whsec_/).waitFor();
  await page.getByRole("button", { name: "Copy the signing secret" }).waitFor();
  await assertLabelled(page);

  // Publish; the delivery is seen to succeed.
  await page.getByRole("button", { name: "Publish an event" }).click();
  await page.getByLabel("Event type", { exact: true }).fill("order.paid");
  await page.getByLabel("Payload (JSON)").fill('{"order": 1001, "amount": "12.50"}');
  await page.getByRole("button", { name: "Publish", exact: true }).click();
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
  setFailing(true);
  await page.getByRole("link", { name: "shop", exact: true }).click();
  await page.getByRole("button", { name: "Publish an event" }).click();
  await page.getByLabel("Event type", { exact: true }).fill("order.paid");
  await page.getByLabel("Payload (JSON)").fill('{"order": 1002}');
  await page.getByRole("button", { name: "Publish", exact: true }).click();
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
  setFailing(false);
  const before = await attempts.count();
  // By keyboard: the action is a real button that takes focus and Enter.
  await page.getByRole("button", { name: "Retry now" }).focus();
  await page.keyboard.press("Enter");
  await page.locator("h1 .badge", { hasText: "succeeded" }).waitFor();
  await attempts.filter({ hasText: "200" }).first().waitFor();
  assert.ok((await attempts.count()) > before, "the retry made a new attempt");
  await assertContrast(page);
  await assertAccessible(page);
  await shot(page, "delivery-retried");

  // The subscription page: stats, actions, the failure and the success.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link").nth(2).click();
  await page.getByRole("heading", { name: /Subscription “Order webhooks”/ }).waitFor();
  await page.getByText(/succeeded, \d+ failed attempts/).waitFor();
  await page.getByRole("button", { name: "Send test event" }).click();
  await page.getByText(/Test event .* queued\./).waitFor();
  await page.getByRole("button", { name: "Disable" }).focus();
  await page.keyboard.press("Space");
  // Disabling and rotating ask first, in a dialog.
  await page.getByRole("dialog").getByRole("button", { name: "Disable" }).click();
  await page.locator("h1 .badge", { hasText: "disabled" }).waitFor();
  await page.getByRole("button", { name: "Enable" }).click();
  await page.locator("h1 .badge", { hasText: "healthy" }).waitFor();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Rotate" }).click();
  await page.getByText(/New signing secret \(shown once\): whsec_/).waitFor();
  // Every failure was retried: the replay finds nothing to send again (it counts before it asks).
  await page.getByRole("button", { name: "Replay", exact: true }).click();
  await page.getByText("Nothing to replay: no delivery created since then is dead or retrying.").waitFor();
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
  await assertAccessible(page);
  await shot(page, "operator-overview");
  await page.getByRole("link", { name: "Accounts" }).click();
  await page.getByRole("button", { name: "Open account Console Test Shop" }).click();
  await page.getByRole("link", { name: "shop", exact: true }).click();
  await page.getByRole("heading", { name: "App shop" }).waitFor();
  await page.locator("svg.sparkline").first().waitFor();
  await assertAccessible(page);
  await shot(page, "operator-account-app");
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
  await assertDocumentedRequests(50);
});
