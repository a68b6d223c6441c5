// What the console's end-to-end tests share: a real hookd process and a real receiver on loopback, headless
// Chromium, the API as a test calls it, screenshots, and the checks every page must pass (labels,
// contrast, axe-core's accessibility rules, no sideways scrolling, and that the page calls nothing but
// the documented API).
//
// `start()` and `stop()` run before and after a test file; the values below are set by `start()` (they
// are live bindings: read them after it ran). The checks take a page or a frame (an embedded portal):
// both have `evaluate` and `url`.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = resolve(ROOT, process.env.CONSOLE_E2E_BIN ?? "target/debug/hookd");
const CHROMIUM = process.env.CONSOLE_E2E_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.CONSOLE_E2E_SCREENSHOTS ? resolve(ROOT, process.env.CONSOLE_E2E_SCREENSHOTS) : null;
export const ADMIN = "console-e2e-admin-token-0123456789";
const MASTER_KEY = "e2e0".repeat(16); // a test key: 32 bytes in hex
export const STEP = 15_000; // the longest any one expectation waits
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let hookd, receiver, browser, dir;
const profiles = []; // browsers of their own, each with a profile (`newProfilePage`)
export let base, receiverUrl;
let failing = false;
/** Makes the receiver answer 503 (true) or 200 (false). */
export const setFailing = (on) => (failing = on);
export const received = [];
export const requests = []; // every request the page made: [method, url, authorized]
export const pageErrors = []; // uncaught errors in the page

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

export async function api(method, path, body, token = ADMIN, account) {
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

/** A request whose body is JSON text as given (numbers keep their digits); its status and parsed answer. */
export async function call(method, path, text, token = ADMIN) {
  const headers = { authorization: `Bearer ${token}` };
  if (text !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${base}${path}`, { method, headers, body: text });
  const body = await r.text();
  return { status: r.status, json: body ? JSON.parse(body) : null };
}

export async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Starts the receiver, hookd and (unless `browser` is false) Chromium. */
export async function start({ browser: withBrowser = true } = {}) {
  assert.ok(existsSync(BIN), `hookd binary ${BIN} is missing: build it first (cargo build -p hookd)`);
  if (withBrowser) {
    assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's chromium package`);
  }

  receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ failing, body: Buffer.concat(chunks).toString(), headers: req.headers });
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
      // Fixed, so that the hookd of each test file opens a PostgreSQL database an earlier one created.
      HOOKD_MASTER_KEY: MASTER_KEY,
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

  if (!withBrowser) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export async function stop() {
  for (const { context } of profiles) await context.close().catch(() => {});
  for (const { dir } of profiles) rmSync(dir, { recursive: true, force: true });
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
}

export async function newPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, colorScheme: "light" });
  const page = await context.newPage();
  return watched(page);
}

/** Records the page's requests and uncaught errors (every frame's) for the checks below. */
function watched(page) {
  page.setDefaultTimeout(STEP);
  page.on("request", (r) => requests.push([r.method(), r.url(), "authorization" in r.headers()]));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return page;
}

/**
 * A page in a Chromium of its own with a regular profile (not the incognito-like contexts of `newPage`),
 * whose settings block third-party cookies (`thirdPartyCookies: "block"`) or allow them (`"allow"`): the
 * profile's `profile.cookie_controls_mode` preference, the setting behind chrome://settings/cookies (1:
 * block third-party cookies, 0: allow them). Blocked, a cross-site iframe gets no cookies and reading its
 * sessionStorage or localStorage throws a SecurityError. (Chromium's `--test-third-party-cookie-phaseout`
 * switch changes neither in the Chromium this runs on, so the preference is set explicitly.) Closing the
 * page's context closes that browser.
 */
export async function newProfilePage({ viewport = { width: 1280, height: 860 }, thirdPartyCookies = "block" } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "hookd-console-e2e-profile-"));
  const block = thirdPartyCookies === "block";
  mkdirSync(join(profile, "Default"));
  writeFileSync(
    join(profile, "Default", "Preferences"),
    JSON.stringify({ profile: { cookie_controls_mode: block ? 1 : 0, block_third_party_cookies: block } }),
  );
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    colorScheme: "light",
  });
  profiles.push({ context, dir: profile });
  const page = context.pages()[0] ?? (await context.newPage());
  return watched(page);
}

export async function signIn(page, token) {
  await page.goto(`${base}/console/`);
  // By keyboard: the field is labelled and the form submits on Enter.
  await page.getByLabel("Access key or admin token").fill(token);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Every form control on the page has an accessible name. */
export async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, [], "form controls without a label");
}

/** Every piece of text has a contrast of at least 4.5:1 against its background (WCAG AA). */
export async function assertContrast(page) {
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

/** axe-core's browser script, from the pinned npm package (`console/package.json`). */
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core finds no violation of impact "serious" or "critical" on the page as it is now. */
export async function assertAccessible(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`),
      }));
  });
  const url = page.url();
  assert.deepEqual(
    violations.map((v) => `${v.impact} ${v.rule} (${v.help}) on ${url}:\n    ${v.nodes.join("\n    ")}`),
    [],
    "serious or critical accessibility violations (axe-core)",
  );
}

/** The page is no wider than the window: nothing scrolls sideways. */
export async function assertNoSidewaysScroll(page) {
  const { width, inner, wide } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    // What sticks out, to say where the page is too wide.
    wide: [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5)
      .map((e) => e.outerHTML.slice(0, 100)),
  }));
  assert.ok(width <= inner, `the page scrolls sideways: ${width} px in a window of ${inner} px: ${wide.join(" | ")}`);
}

/**
 * Every request the pages made is a console file, a portal page (`/portal/{session}/`, the same files), or an
 * authorized, documented native API operation; `origins` are other servers of the test (a page embedding
 * the portal), from which the pages may load (GET) anything.
 */
export async function assertDocumentedRequests(minimum, { origins = [] } = {}) {
  const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json();
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => [method.toUpperCase(), new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`)]),
  );
  assert.ok(requests.length > minimum, `the tests above made requests (${requests.length})`);
  const stray = requests.filter(([method, url, authorized]) => {
    const u = new URL(url);
    if (origins.includes(u.origin)) return method !== "GET";
    if (u.origin !== base) return true;
    if (u.pathname.startsWith("/console/")) return method !== "GET";
    if (/^\/portal\/[^/]+\/$/.test(u.pathname)) return method !== "GET";
    if (!u.pathname.startsWith("/api/v1/")) return true;
    const documented = operations.some(([m, re]) => m === method && re.test(u.pathname));
    return !documented || !authorized;
  });
  assert.deepEqual(stray, [], "requests that are not a console file or an authorized documented API call");
}
