// End-to-end test of the console's pages for events as a product, in headless Chromium against a real
// hookd (run with the other files of this directory; see console.test.mjs):
//
// the event-type catalog (a type with a schema and examples added through the page, refused first for a
// bad example, its schema outlined and shown as JSON, a new schema version, deprecate, archive, unarchive,
// send an example), an app's settings, a subscription's payload filter with its preview (match and no
// match on catalog examples and on a pasted payload, a bad filter refused by the server, a good one
// saved), the event search (type, prefix, channel, time, payload fields, paging, schema violations) and
// erasing a payload. Every request the page makes must be a documented API operation.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  api,
  assertAccessible,
  assertContrast,
  assertDocumentedRequests,
  assertLabelled,
  base,
  call,
  newPage,
  pageErrors,
  received,
  receiverUrl,
  shot,
  signIn,
  start,
  stop,
} from "./harness.mjs";

before(() => start());
after(() => stop());

let token, sub;

const SCHEMA = `{
  "type": "object",
  "required": ["id", "total"],
  "properties": {
    "id": {"type": "string", "description": "The order's id"},
    "total": {"type": "number", "minimum": 0},
    "currency": {"type": "string", "enum": ["EUR", "USD"]},
    "customer": {"type": "object", "properties": {"id": {"type": "string"}, "vip": {"type": "boolean"}}},
    "items": {"type": "array", "items": {"type": "object", "required": ["sku"],
      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}}
  }
}`;
const EXAMPLES = `[
  {"id": "o-1", "total": 120.5, "currency": "EUR", "customer": {"id": "c-1", "vip": true}, "items": [{"sku": "A-1", "qty": 2}]},
  {"id": "o-2", "total": 15, "currency": "USD", "items": []}
]`;

async function session() {
  const page = await newPage();
  await signIn(page, token);
  return page;
}

test("catalog: add a type with its schema and examples, see it, version, deprecate, archive, send", async () => {
  const account = await api("POST", "/api/v1/accounts", { name: "Catalog Shop" });
  ({ token } = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] }));
  await api("POST", "/api/v1/apps", { id: "store", name: "The store" }, token);
  sub = await api("POST", "/api/v1/apps/store/subscriptions", { url: receiverUrl, description: "Orders" }, token);
  // Other types, to be seen in their groups and with their badges.
  const more = [
    { name: "order.refunded", group: "order", description: "An order was refunded", deprecated: true },
    { name: "customer.created", group: "customer", description: "A customer signed up" },
    { name: "legacy.ping", description: "Kept for old receivers" },
  ];
  for (const t of more) await api("POST", "/api/v1/apps/store/event-types", t, token);
  await api("POST", "/api/v1/apps/store/event-types/legacy.ping/archive", {}, token);

  const page = await session();
  await page.goto(`${base}/console/#/apps/store`);
  await page.getByRole("heading", { name: "App store" }).waitFor();
  await page.getByRole("link", { name: "Event-type catalog" }).click();
  await page.getByRole("heading", { name: "Catalog of store" }).waitFor();
  await page.getByRole("heading", { name: "customer (1)" }).waitFor();

  // A type through the form: a bad example is refused, the error shown beside the examples.
  const form = page.getByRole("form", { name: "New event type" });
  await form.getByLabel("Name").fill("order.created");
  await form.getByLabel("Group").fill("order");
  await form.getByLabel("Description").fill("An order was placed");
  await form.getByLabel("Schema").fill(SCHEMA);
  await form.getByLabel("Examples").fill(EXAMPLES.replace('"total": 15', '"total": "15"'));
  await form.getByRole("button", { name: "Add event type" }).click();
  const refusal = form.locator(".field-error", { hasText: "examples[1]" });
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /examples\[1\]: .*number/, "the refusal names the example and why");
  assert.equal(await form.getByLabel("Examples").getAttribute("aria-invalid"), "true");
  // JSON that is not JSON is caught in the page, at its input.
  await form.getByLabel("Schema").fill('{"type": "object",}');
  await form.getByRole("button", { name: "Add event type" }).click();
  await form.locator(".field-error", { hasText: "schema: not valid JSON" }).waitFor();
  await form.getByLabel("Schema").fill(SCHEMA);
  await form.getByLabel("Examples").fill(EXAMPLES);
  await form.getByRole("button", { name: "Add event type" }).click();
  await page.getByText("Event type order.created added.").waitFor();

  // The type: its badges, the outline of its schema, its JSON, its examples.
  const type = page.getByRole("article", { name: "order.created" });
  await type.getByText("schema v1").waitFor();
  await type.getByText("An order was placed").waitFor();
  const outline = type.getByRole("list", { name: "Schema outline" });
  const line = (name) => outline.locator(".schema-line", { has: page.locator("code.prop", { hasText: name }) });
  assert.match(await line(/^total$/).textContent(), /total\s*number\s*required\s*≥ 0/);
  assert.match(await line(/^currency$/).textContent(), /one of "EUR", "USD"/);
  assert.match(await outline.textContent(), /\[each item\]\s*object.*sku\s*string\s*required/s);
  await type.getByText("Schema as JSON").click();
  const json = type.getByLabel("Schema version 1 of order.created");
  await json.locator(".j-key", { hasText: '"required"' }).first().waitFor();
  assert.match(await json.textContent(), /"minimum": 0/);
  await type.getByLabel("Example 1 of version 1 of order.created").getByText('"c-1"').waitFor();
  await page.getByRole("article", { name: "order.refunded" }).getByText("deprecated", { exact: true }).waitFor();
  await page.getByRole("article", { name: "legacy.ping" }).getByText("archived", { exact: true }).waitFor();
  await page.getByRole("heading", { name: "order (2)" }).waitFor();

  // A second schema version.
  await type.getByText("Add a schema version").click();
  const version = type.getByRole("form", { name: "New schema version of order.created" });
  await version
    .getByLabel("Schema")
    .fill(SCHEMA.replace('"id": {"type"', '"coupon": {"type": "string"},\n    "id": {"type"'));
  await version.getByLabel("Examples").fill('{"id": "o-3", "total": 80, "currency": "EUR", "coupon": "WELCOME"}');
  await version.getByRole("button", { name: "Add version" }).click();
  await page.getByText("Version 2 of order.created added.").waitFor();
  await type.getByText("schema v2").waitFor();
  await type.getByText("Version 1", { exact: false }).first().waitFor();
  let stored = await api("GET", "/api/v1/apps/store/event-types/order.created", undefined, token);
  assert.deepEqual(
    stored.versions.map((v) => [v.version, v.examples.length]),
    [
      [1, 2],
      [2, 1],
    ],
  );

  // Deprecate, archive, unarchive: each seen on the page and in the API.
  await type.getByRole("button", { name: "Deprecate", exact: true }).click();
  await type.getByText("deprecated", { exact: true }).waitFor();
  await type.getByRole("button", { name: "Archive", exact: true }).click();
  await type.getByText("archived", { exact: true }).waitFor();
  stored = await api("GET", "/api/v1/apps/store/event-types/order.created", undefined, token);
  assert.deepEqual([stored.deprecated, stored.archived], [true, true]);
  await type.getByRole("button", { name: "Unarchive", exact: true }).click();
  await type.getByRole("button", { name: "Archive", exact: true }).waitFor();
  assert.equal(await type.getByText("archived", { exact: true }).count(), 0);
  await type.getByRole("button", { name: "Undeprecate", exact: true }).click();
  await type.getByRole("button", { name: "Deprecate", exact: true }).waitFor();
  stored = await api("GET", "/api/v1/apps/store/event-types/order.created", undefined, token);
  assert.deepEqual([stored.deprecated, stored.archived], [false, false]);

  // Send an example to the subscription: the receiver gets it.
  const send = type.getByRole("form", { name: "Send an example of order.created" });
  await send.getByLabel("Version").selectOption("1");
  await send.getByLabel("Example").selectOption("#2");
  await send.getByRole("button", { name: "Send example" }).click();
  await page.getByText(/Example sent as event evt_/).waitFor();
  const deadline = Date.now() + 15_000;
  while (!received.some((r) => r.body.includes('"o-2"'))) {
    assert.ok(Date.now() < deadline, "the receiver got the example");
    await new Promise((r) => setTimeout(r, 100));
  }

  await assertLabelled(page);
  await assertContrast(page);
  await assertAccessible(page);
  await type.getByText("Add a schema version").click();
  await shot(page, "catalog");
  await page.context().close();
});

test("subscription filter: preview on catalog examples and a pasted payload, refused, saved", async () => {
  const page = await session();
  await page.goto(`${base}/console/#/apps/store/subscriptions/${sub.id}`);
  await page.getByRole("heading", { name: "Payload filter" }).waitFor();
  await page.getByText("No filter is set.").waitFor();
  const filter = page.getByLabel("Filter (JSON)");
  // A select's name is its label and its chosen option.
  const select = (label) => page.getByRole("combobox", { name: new RegExp(`^${label}`) });
  const verdict = (word) => page.locator(`p.verdict[data-verdict="${word}"]`).waitFor();

  // A catalog example: type, version, example; the payload box takes it.
  await select("Catalog type").selectOption("order.created");
  await select("Version").selectOption("1");
  await select("Example").selectOption("#1");
  assert.match(await page.getByLabel("Payload to test (JSON)").inputValue(), /"total": 120.5/);
  await filter.fill('{"total": {"$gte": 100}, "customer.vip": true}');
  await verdict("match");
  await filter.fill('{"total": {"$lt": 100}}');
  await verdict("no match");
  await select("Example").selectOption("#2");
  await verdict("match");
  // Paths through arrays, and null against a missing field, as docs/FILTERS.md has them.
  await filter.fill('{"items.sku": "A-1"}');
  await verdict("no match");
  await select("Example").selectOption("#1");
  await verdict("match");
  await filter.fill('{"coupon": null}');
  await verdict("match");
  await select("Version").selectOption("2");
  await verdict("no match");
  // A payload of one's own, with an integer beyond 2^53.
  await page.getByLabel("Payload to test (JSON)").fill('{"id": 9007199254740993}');
  await filter.fill('{"id": {"$gt": 9007199254740992}}');
  await verdict("match");
  await filter.fill('{"id": 9007199254740992}');
  await verdict("no match");

  // A bad filter: the page says why, and saving shows the server's refusal at its field.
  await filter.fill('{"total": {"$gte": true}}');
  await verdict("invalid filter");
  await page
    .getByText("Checked here, the server will refuse it: filter.total.$gte: must be a number or a string")
    .waitFor();
  await page.getByRole("button", { name: "Save filter" }).click();
  const refusal = page.locator(".field-error");
  await refusal.waitFor();
  assert.equal(await refusal.textContent(), "filter.total.$gte: must be a number or a string");
  assert.equal((await api("GET", `/api/v1/apps/store/subscriptions/${sub.id}`, undefined, token)).filter, null);

  // A good one is saved, exactly as typed, and tried on the newest example.
  const good = '{"total": {"$gte": 100}, "currency": {"$in": ["EUR", "USD"]}, "order": {"$ne": 9007199254740993}}';
  await filter.fill(good);
  await verdict("no match");
  await select("Version").selectOption("1");
  await select("Example").selectOption("#1");
  await verdict("match");
  await page.getByRole("button", { name: "Save filter" }).click();
  await page.getByText("Filter saved.").waitFor();
  const saved = await call("GET", `/api/v1/apps/store/subscriptions/${sub.id}`, undefined, token);
  assert.deepEqual(saved.json.filter, JSON.parse(good));
  const text = await (
    await fetch(`${base}/api/v1/apps/store/subscriptions/${sub.id}`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  assert.ok(text.includes("9007199254740993"), `the filter keeps its digits: ${text}`);
  await page.getByRole("button", { name: "Remove filter" }).waitFor();
  assert.ok(
    (await page.locator("dl.facts").textContent()).includes('"$in":["EUR","USD"]'),
    "the facts show the filter",
  );
  await assertLabelled(page);
  await assertContrast(page);
  await shot(page, "filter-preview");
  await page.context().close();
});

/** Publishes through the API; the event's id. */
async function publish(app, type, payload, channel_id) {
  return (await api("POST", `/api/v1/apps/${app}/events`, { type, payload, channel_id }, token)).id;
}

/** The event ids in the events table, in order. */
async function shown(page) {
  return page.locator("table tbody tr td:first-child a").allTextContents();
}

async function search(page, fields, expected) {
  const form = page.getByRole("form", { name: "Search events" });
  await form.getByRole("button", { name: "Clear" }).click();
  for (const [label, value] of Object.entries(fields.inputs ?? {}))
    await form.getByLabel(label, { exact: true }).fill(value);
  for (const [i, [path, value]] of (fields.payload ?? []).entries()) {
    await form.getByRole("button", { name: "Add payload condition" }).click();
    const row = form.getByRole("group", { name: `Payload condition ${i + 1}` });
    await row.getByLabel("Payload path").fill(path);
    await row.getByLabel("Value").fill(value);
  }
  await form.getByRole("button", { name: "Search" }).click();
  await page.waitForFunction(
    (ids) =>
      JSON.stringify([...document.querySelectorAll("table tbody tr td:first-child a")].map((a) => a.textContent)) ===
      JSON.stringify(ids),
    expected,
  );
  assert.deepEqual(await shown(page), expected);
}

test("app settings and event search: by type, prefix, channel, time and payload, paged, with violations", async () => {
  await api("POST", "/api/v1/apps", { id: "searchable" }, token);
  await api(
    "POST",
    "/api/v1/apps/searchable/event-types",
    {
      name: "order.created",
      schema: { type: "object", required: ["total"], properties: { total: { type: "number" } } },
    },
    token,
  );
  const page = await session();
  await page.goto(`${base}/console/#/apps/searchable`);
  // Settings: warn about payloads that do not fit, a retention of its own, catalog types only.
  await page.getByText("Settings", { exact: true }).click();
  const settings = page.getByRole("form", { name: "Settings" });
  await settings.getByLabel("Schema validation").selectOption("warn");
  await settings.getByLabel("Retention in days").fill("30");
  await settings.getByLabel("Subscriptions only to catalog types").check();
  await settings.getByRole("button", { name: "Save settings" }).click();
  await settings.getByText("Saved.").waitFor();
  await page.getByText("schema validation warn · catalog types only · retention 30 days").waitFor();
  const app = await api("GET", "/api/v1/apps/searchable", undefined, token);
  assert.deepEqual([app.schema_validation, app.retention_days, app.catalog_only], ["warn", 30, true]);

  const a1 = await publish("searchable", "order.created", { total: 10, customer: { id: "c1" } });
  const a2 = await publish("searchable", "order.created", { total: 250, customer: { id: "c2" } });
  const a3 = await publish("searchable", "order.refunded", { total: 10, customer: { id: "c1" } });
  const a4 = await publish("searchable", "customer.created", { customer: { id: "c3" } }, "vip");
  const bad = await publish("searchable", "order.created", { total: "12", items: [{ sku: "x" }] });
  // A second later: the next events are after a whole second, which the time inputs can name.
  const boundary = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  await new Promise((r) => setTimeout(r, boundary.getTime() - Date.now() + 20));
  const b1 = await publish("searchable", "order.shipped", { total: 250, items: [{ sku: "x" }] });
  const b2 = await publish("searchable", "customer.created", { customer: { id: "c1" } });
  const local = await page.evaluate((iso) => {
    const d = new Date(iso);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  }, boundary.toISOString());

  await page.reload();
  await page.getByRole("heading", { name: "App searchable" }).waitFor();
  await search(page, {}, [b2, b1, bad, a4, a3, a2, a1]);
  await search(page, { inputs: { Type: "order.created" } }, [bad, a2, a1]);
  await search(page, { inputs: { "Type prefix": "order." } }, [b1, bad, a3, a2, a1]);
  await search(page, { inputs: { Channel: "vip" } }, [a4]);
  await search(page, { payload: [["customer.id", "c1"]] }, [b2, a3, a1]);
  await search(page, { inputs: { "Type prefix": "order." }, payload: [["total", "250"]] }, [b1, a2]);
  await search(
    page,
    {
      payload: [
        ["items.0.sku", "x"],
        ["total", "250"],
      ],
    },
    [b1],
  );
  await search(page, { inputs: { "Published after": local } }, [b2, b1]);
  await search(page, { inputs: { "Published before": local, Type: "customer.created" } }, [a4]);
  await search(page, { inputs: { Type: "nothing.here" } }, []);
  await page.getByText("No event matches the search.").waitFor();

  // The flagged event shows its violations.
  await search(page, { inputs: { Type: "order.created" } }, [bad, a2, a1]);
  await page.locator("table tbody tr", { hasText: a1 }).getByText("fits v1").waitFor();
  await search(page, { inputs: { "Type prefix": "order." }, payload: [["items.0.sku", "x"]] }, [b1, bad]);
  const flagged = page.locator("table tbody tr", { hasText: bad });
  await flagged.getByText("1 schema violation").click();
  await flagged.getByText(/\/total.*number/).waitFor();
  await assertLabelled(page);
  await assertContrast(page);
  await assertAccessible(page);
  await shot(page, "event-search");

  // Paging by the cursor: 25 more events, 20 to a page.
  for (let i = 0; i < 25; i++) await publish("searchable", "tick", { n: i });
  const form = page.getByRole("form", { name: "Search events" });
  await form.getByRole("button", { name: "Clear" }).click();
  await form.getByLabel("Type", { exact: true }).fill("tick");
  await form.getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: "Next →" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table tbody tr").length === 20);
  const first = await shown(page);
  await page.getByRole("button", { name: "Next →" }).click();
  await page.getByText("Page 2").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table tbody tr").length === 5);
  const second = await shown(page);
  assert.equal(new Set([...first, ...second]).size, 25, "the two pages hold the 25 events");
  await page.context().close();
});

test("erase: confirm in the page, the payload is gone", async () => {
  const payload = { id: "o-7", total: 150, currency: "EUR", email: "someone@example.com" };
  const id = await publish("store", "order.created", payload);
  const page = await session();
  await page.goto(`${base}/console/#/apps/store/events/${id}`);
  await page.getByLabel("Payload", { exact: true }).getByText('"someone@example.com"').waitFor();
  // Cancel first: nothing happens.
  await page.getByRole("button", { name: "Erase payload" }).click();
  const dialog = page.getByRole("dialog", { name: "Erase this payload?" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await api("GET", `/api/v1/apps/store/events/${id}`, undefined, token)).erased_at, null);
  // Then erase.
  await page.getByRole("button", { name: "Erase payload" }).click();
  await dialog.getByRole("button", { name: "Erase", exact: true }).click();
  await page.getByText(/The payload was erased/).waitFor();
  assert.equal(await page.getByText("someone@example.com").count(), 0, "the payload is no longer shown");
  assert.equal(await page.getByRole("button", { name: "Erase payload" }).count(), 0);
  const event = await api("GET", `/api/v1/apps/store/events/${id}`, undefined, token);
  assert.equal(event.payload, null);
  assert.ok(event.erased_at && !Number.isNaN(Date.parse(event.erased_at)), `erased_at: ${event.erased_at}`);
  await assertContrast(page);
  await shot(page, "event-erased");
  // The events list says so too.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "store" }).click();
  await page.locator("table tbody tr", { hasText: id }).getByText("payload erased").waitFor();
  await page.context().close();
  assert.deepEqual(pageErrors, [], "errors thrown in the page");
});

test("these pages use nothing but the documented native API", async () => {
  await assertDocumentedRequests(50);
});
