// The console's payload-filter evaluator (src/filter.ts, with src/json.ts), which the subscription page's
// preview runs in the browser. Built here from its sources with Vite and checked against
//   - the examples and tables of docs/FILTERS.md and more cases of its rules (integers beyond 2^53, string
//     order by code point, paths through arrays, null and missing, the error named for a bad filter);
//   - the server itself: every filter below is saved on a subscription of a real hookd and every payload
//     below published, and the deliveries hookd makes must be exactly the pairs the evaluator matches; every
//     bad filter must be refused by hookd at the field the evaluator names.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "vite";
import { api, call, receiverUrl, start, stop } from "./harness.mjs";

let F, J, out;

before(async () => {
  out = mkdtempSync(join(tmpdir(), "hookd-console-filter-"));
  await build({
    configFile: false,
    root: resolve(import.meta.dirname, ".."),
    logLevel: "silent",
    build: {
      outDir: out,
      emptyOutDir: true,
      minify: false,
      lib: {
        entry: { filter: "src/filter.ts", json: "src/json.ts" },
        formats: ["es"],
        fileName: (_format, name) => `${name}.mjs`,
      },
    },
  });
  F = await import(pathToFileURL(join(out, "filter.mjs")));
  J = await import(pathToFileURL(join(out, "json.mjs")));
  await start({ browser: false });
});

after(async () => {
  await stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

const ORDER = `{
  "order": {
    "id": "o-1", "status": "paid", "total": 120.5, "currency": "EUR",
    "items": [
      {"sku": "A-1", "qty": 2, "price": 10},
      {"sku": "B-7", "qty": 1, "price": 100.5, "tags": ["fragile"]}
    ]
  },
  "customer": {"id": 42, "vip": false, "note": null, "address": {"country": "DE"}}
}`;
const TAGS = '{"tags": ["red", "blue"]}';

/** [filter, payload, passes], all as JSON text. */
const CASES = [
  // docs/FILTERS.md, "Arrays at the end of a path".
  ['{"tags": "red"}', TAGS, true],
  ['{"tags": ["red", "blue"]}', TAGS, true],
  ['{"tags": ["blue", "red"]}', TAGS, false],
  ['{"tags": {"$in": ["green", "blue"]}}', TAGS, true],
  ['{"tags": {"$nin": ["blue"]}}', TAGS, false],
  ['{"tags": {"$ne": "red"}}', TAGS, false],
  ['{"tags": {"$gt": "q"}}', TAGS, true],
  ['{"tags.1": "blue"}', TAGS, true],
  ['{"tags": []}', TAGS, false],
  ['{"a": 1}', '{"a": [[1]]}', false],
  ['{"a": [1]}', '{"a": [[1]]}', true],
  // "Missing fields and null": each filter on {"a": null}, {}, {"a": 0}, {"a": [1, null]}.
  ...[
    ['{"a": null}', [true, true, false, true]],
    ['{"a": {"$ne": null}}', [false, false, true, false]],
    ['{"a": {"$in": [null, 0]}}', [true, true, true, true]],
    ['{"a": {"$exists": true}}', [true, false, true, true]],
    ['{"a": {"$exists": false}}', [false, true, false, false]],
    ['{"a": {"$ne": 5}}', [true, true, true, true]],
    ['{"a": {"$gt": 0}}', [false, false, false, true]],
  ].flatMap(([filter, expected]) =>
    ['{"a": null}', "{}", '{"a": 0}', '{"a": [1, null]}'].map((payload, i) => [filter, payload, expected[i]]),
  ),
  ['{"a.b": null}', '{"a": [{"b": 1}, {"c": 2}]}', false],
  // "A worked example".
  ['{"order.status": "paid", "order.currency": "EUR"}', ORDER, true],
  ['{"order.items.sku": "B-7"}', ORDER, true],
  ['{"order.items.0.sku": "B-7"}', ORDER, false],
  ['{"order.items.tags": "fragile"}', ORDER, true],
  ['{"order.items.price": {"$gte": 100}}', ORDER, true],
  ['{"order.total": {"$gt": "100"}}', ORDER, false],
  ['{"customer.id": "42"}', ORDER, false],
  ['{"customer.id": 42.0}', ORDER, true],
  ['{"customer.note": null}', ORDER, true],
  ['{"customer.phone": null}', ORDER, true],
  ['{"customer.phone": {"$exists": true}}', ORDER, false],
  ['{"customer.address.country": {"$nin": ["US", "CA"]}}', ORDER, true],
  ['{"$or": [{"customer.vip": true}, {"order.total": {"$gt": 100}}]}', ORDER, true],
  ['{"$not": {"order.items.qty": {"$gt": 1}}}', ORDER, false],
  ['{"order.items": {"$exists": true}, "order.items.qty": {"$lt": 1}}', ORDER, false],
  ['{"order.items.qty": {"$gt": 1, "$lt": 2}}', ORDER, true],
  ['{"order.total": {"$gte": 100}, "customer.address.country": {"$in": ["DE", "AT", "CH"]}}', ORDER, true],
  // Paths: digits on objects and arrays, named segments through one level of array, dead ends.
  ['{"a.0": "x"}', '{"a": {"0": "x"}}', true],
  ['{"a.0": "x"}', '{"a": ["x", "y"]}', true],
  ['{"a.1": {"$exists": true}}', '{"a": ["x"]}', false],
  ['{"a.99999999999999999999.b": 1}', '{"a": [{"b": 1}]}', false],
  ['{"items.sku": "X1"}', '{"items": [{"sku": "A"}, "X1"]}', false],
  ['{"a.b": 1}', '{"a": [[{"b": 1}]]}', false],
  ['{"a.0.b": 1}', '{"a": [[{"b": 1}]]}', true],
  ['{"a.b.c": {"$exists": true}}', '{"a": {"b": "text"}}', false],
  ['{"a.b": {"$exists": true}}', '{"a": [{"c": 1}, {"b": null}]}', true],
  ['{"a": 1}', '[{"a": 2}, {"a": 1}]', true],
  ['{"a": {"$exists": false}}', "[]", true],
  ["{}", "5", true],
  ['{"$not": {}}', "{}", false],
  ['{"meta.$ref": "x"}', '{"meta": {"$ref": "x"}}', true],
  ['{"__proto__": 1}', '{"__proto__": 1}', true],
  ['{"constructor": {"$exists": true}}', "{}", false],
  // Numbers: by value, integers exactly beyond 2^53, doubles past the 64-bit ranges.
  ['{"a": 1}', '{"a": 1.0}', true],
  ['{"a": 100}', '{"a": 1e2}', true],
  ['{"a": 0}', '{"a": -0}', true],
  ['{"a": -0.0}', '{"a": 0}', true],
  ['{"a": true}', '{"a": 1}', false],
  ['{"a": "1"}', '{"a": 1}', false],
  ['{"id": 9007199254740993}', '{"id": 9007199254740992}', false],
  ['{"id": {"$gt": 9007199254740992}}', '{"id": 9007199254740993}', true],
  ['{"id": {"$in": [9007199254740993]}}', '{"id": 9007199254740993}', true],
  ['{"n": 18446744073709551615}', '{"n": 18446744073709551615}', true],
  ['{"n": {"$lt": 0}}', '{"n": 18446744073709551615}', false],
  ['{"n": 18446744073709551616}', '{"n": 18446744073709551617}', true],
  ['{"n": {"$lt": -9223372036854775808}}', '{"n": -1e300}', true],
  ['{"n": {"$gte": -9223372036854775809}}', '{"n": -9223372036854775808}', true],
  // Strings: by code point (UTF-8 bytes), case and digits as text.
  ['{"s": {"$gt": "\uffff"}}', '{"s": "\u{1F600}"}', true],
  ['{"s": {"$lt": "a"}}', '{"s": "Z"}', true],
  ['{"s": {"$gt": "9"}}', '{"s": "10"}', false],
  ['{"s": {"$gte": "2024-01-01"}}', '{"s": "2024-06-30T12:00:00Z"}', true],
  ['{"s": ""}', '{"s": ""}', true],
  // Deep equality, literal `$` keys, operators combined and negated.
  ['{"a": {"b": 1, "c": [1, 2]}}', '{"a": {"c": [1.0, 2], "b": 1}}', true],
  ['{"a": {}}', '{"a": {"b": 1}}', false],
  ['{"a": {}}', '{"a": {}}', true],
  ['{"a": {"$in": [{"b": 1}]}}', '{"a": {"b": 1.0}}', true],
  ['{"a": {"$in": [1, {"$x": 1}, "x"]}}', '{"a": {"$x": 1}}', true],
  ['{"a": {"$eq": {"$ref": "x"}}}', '{"a": {"$ref": "x"}}', true],
  ['{"a": {"$not": {"$gt": 5}}}', "{}", true],
  ['{"a": {"$not": "x"}}', '{"a": ["x", "y"]}', false],
  ['{"a": {"$not": {"$not": {"$in": [1]}}}}', '{"a": 1}', true],
  ['{"a": {"$gt": 1, "$lt": 2}}', '{"a": [0, 3]}', true],
  ['{"a": {"$in": [1], "$nin": [2]}}', '{"a": [1, 2]}', false],
  ['{"a": {"$nin": [null]}}', "{}", false],
  ['{"a": {"$in": []}}', '{"a": 1}', false],
  ['{"a": 1, "$or": [{"b": 1}, {"c": 1}]}', '{"a": 1, "c": 1}', true],
  ['{"a": 1, "$or": [{"b": 1}, {"c": 1}]}', '{"a": 2, "c": 1}', false],
  [
    '{"$or": [{"a": {"$gt": 10}}, {"$and": [{"b": "x"}, {"$not": {"c": true}}]}]}',
    '{"a": 1, "b": "x", "c": false}',
    true,
  ],
  [
    '{"$or": [{"a": {"$gt": 10}}, {"$and": [{"b": "x"}, {"$not": {"c": true}}]}]}',
    '{"a": 1, "b": "x", "c": true}',
    false,
  ],
];

const path = (segments) => Array.from({ length: segments }, (_, i) => `s${i}`).join(".");
const nested = (levels) => Array.from({ length: levels - 1 }).reduce((inner) => `{"$not": ${inner}}`, '{"a": 1}');

/** [filter, the field hookd names, its message]: the rules of docs/FILTERS.md "Errors", and their order. */
const INVALID = [
  ["[1]", "filter", "must be a JSON object"],
  ['{"$nor": []}', "filter.$nor", "unknown operator `$nor`"],
  ['{"$gt": 5}', "filter.$gt", "`$gt` must follow a field path"],
  ['{"$and": []}', "filter.$and", "must be a non-empty array of condition objects"],
  ['{"$or": [{"a": 1}, "b"]}', "filter.$or[1]", "must be a condition object"],
  ['{"$and": [{"a": 1}, {"amount": {"$gt": true}}]}', "filter.$and[1].amount.$gt", "must be a number or a string"],
  ['{"a": {"$regex": "x"}}', "filter.a.$regex", "unknown operator `$regex`"],
  ['{"a": {"$or": []}}', "filter.a.$or", "`$or` is not a field operator"],
  ['{"a": {"$gt": 1, "b": 2}}', "filter.a", "mixes operators with the plain key `b`"],
  [
    '{"a": {"b": {"$gt": 1}}}',
    "filter.a.b.$gt",
    "operator `$gt` inside a value (use a dotted path, or `$eq` to match it literally)",
  ],
  ['{"a": {"$in": "x"}}', "filter.a.$in", "must be an array"],
  ['{"a": {"$exists": "yes"}}', "filter.a.$exists", "must be true or false"],
  ['{"a..b": 1}', "filter.a..b", "empty path segment"],
  ['{"a.": 1}', "filter.a.", "empty path segment"],
  [`{"${path(17)}": 1}`, `filter.${path(17)}`, "path has more than 16 segments"],
  [`{"${"p".repeat(257)}": 1}`, `filter.${"p".repeat(257)}`, "path longer than 256 characters"],
  [`{"a": {"$in": [${Array.from({ length: 257 }, (_, i) => i)}]}}`, "filter.a.$in", "more than 256 values"],
  [`{${Array.from({ length: 256 }, (_, i) => `"k${i}": 0`)}}`, "filter", "more than 256 nodes"],
  [nested(17), `filter${".$not".repeat(16)}`, "nested deeper than 16 levels"],
  ['{"a": {"$lte": null}}', "filter.a.$lte", "must be a number or a string"],
  ['{"a": {"$not": {"$bad": 1}}}', "filter.a.$not.$bad", "unknown operator `$bad`"],
  // The first problem in the order of the keys' bytes, as hookd's maps keep them.
  ['{"b": {"$gt": true}, "a": {"$bad": 1}}', "filter.a.$bad", "unknown operator `$bad`"],
  ['{"a": {"$gt": 1, "y": 2, "x": 3}}', "filter.a", "mixes operators with the plain key `x`"],
];

/** Filters at the edge of the limits, which must still be accepted. */
const AT_LIMITS = [
  `{"${path(16)}": 1}`,
  `{"${"é".repeat(256)}": 1}`,
  `{${Array.from({ length: 255 }, (_, i) => `"k${i}": 0`)}}`,
  nested(16),
  `{"a": {"$in": [${Array.from({ length: 256 }, (_, i) => `"${i}"`)}]}}`,
];

function evaluate(filter, payload) {
  return F.matches(F.compileFilter(J.parseJson(filter)), J.parseJson(payload));
}

test("json.ts reads numbers exactly and keeps their digits", () => {
  const v = J.parseJson('{"a": 9007199254740993, "b": [1.50, -0, 1e2], "__proto__": {"x": null}}');
  assert.equal(J.at(v, "a").int, 9007199254740993n);
  assert.equal(J.at(v, "b", 0).int, null);
  assert.equal(J.at(v, "b", 1).int, null, "-0 is a double, as hookd reads it");
  assert.equal(J.at(v, "b", 2).float, 100);
  assert.equal(J.at(v, "__proto__", "x"), null);
  assert.equal(J.printJson(v, 0), '{"a":9007199254740993,"b":[1.50,-0,1e2],"__proto__":{"x":null}}');
  for (const bad of ['{"a": 1', "[1,]", "01", '{"a" 1}', "1e400", '"\u0001"', "{} x", ""]) {
    assert.throws(() => J.parseJson(bad), SyntaxError, bad);
  }
});

test("the evaluator follows docs/FILTERS.md", () => {
  for (const [filter, payload, expected] of CASES) {
    assert.equal(evaluate(filter, payload), expected, `filter ${filter} on payload ${payload}`);
  }
  for (const [filter, field, message] of INVALID) {
    assert.throws(
      () => F.compileFilter(J.parseJson(filter)),
      (e) => e instanceof F.FilterError && e.field === field && e.message === message,
      `${filter.slice(0, 80)}: ${field}: ${message}`,
    );
  }
  for (const filter of AT_LIMITS) assert.doesNotThrow(() => F.compileFilter(J.parseJson(filter)), filter);
});

test("the evaluator agrees with hookd on every filter and payload", async () => {
  const account = await api("POST", "/api/v1/accounts", { name: "Filter agreement" });
  const { token } = await api("POST", `/api/v1/accounts/${account.id}/keys`, { policy: ["hookd:*"] });
  const filters = [...new Set([...CASES.map(([f]) => f), ...AT_LIMITS])];
  const payloads = [...new Set(CASES.map(([, p]) => p))];

  // hookd names the same field and message for every bad filter.
  await api("POST", "/api/v1/apps", { id: "refusals" }, token);
  for (const [filter, field, message] of INVALID) {
    const r = await call(
      "POST",
      "/api/v1/apps/refusals/subscriptions",
      `{"url":"${receiverUrl}","filter":${filter}}`,
      token,
    );
    assert.equal(r.status, 422, `${filter.slice(0, 80)}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.field, field, filter.slice(0, 80));
    assert.equal(r.json.error.message, `${field}: ${message}`, filter.slice(0, 80));
  }

  // One subscription per filter (apps of at most 90), every payload published to every app.
  const subscriptions = []; // [app, subscription id, filter]
  for (let i = 0; i < filters.length; i += 90) {
    const app = `agree-${i / 90}`;
    await api("POST", "/api/v1/apps", { id: app }, token);
    for (const filter of filters.slice(i, i + 90)) {
      const r = await call(
        "POST",
        `/api/v1/apps/${app}/subscriptions`,
        `{"url":"${receiverUrl}","filter":${filter}}`,
        token,
      );
      assert.equal(r.status, 201, `${filter}: ${JSON.stringify(r.json)}`);
      subscriptions.push([app, r.json.id, filter]);
    }
  }
  const apps = [...new Set(subscriptions.map(([app]) => app))];
  const disagreements = [];
  const delivered = new Map(); // "filter\npayload" → whether hookd made a delivery
  let matched = 0;
  for (const payload of payloads) {
    const taken = new Set();
    for (const app of apps) {
      const r = await call("POST", `/api/v1/apps/${app}/events`, `{"type":"t","payload":${payload}}`, token);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      for (const d of r.json.deliveries) taken.add(d.subscription_id);
    }
    for (const [, id, filter] of subscriptions) {
      const server = taken.has(id);
      const console = evaluate(filter, payload);
      delivered.set(`${filter}\n${payload}`, server);
      matched += Number(server);
      if (server !== console) disagreements.push(`filter ${filter} on payload ${payload}: hookd ${server}`);
    }
  }
  assert.deepEqual(disagreements, [], "pairs where the console's evaluator and hookd disagree");
  const pairs = subscriptions.length * payloads.length;
  assert.ok(matched > pairs / 10 && matched < (pairs * 9) / 10, `${matched} of ${pairs} pairs matched`);
  // And hookd agrees with the expectations written above.
  for (const [filter, payload, expected] of CASES) {
    assert.equal(delivered.get(`${filter}\n${payload}`), expected, `hookd: filter ${filter} on ${payload}`);
  }
});
