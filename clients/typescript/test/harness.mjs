// Test harness: starts a real hookd (HOOKD_BIN) on SQLite in a temp dir on a free loopback port, and
// local HTTP(S) receivers that record every request's raw bytes. Every wait has a deadline.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADMIN_TOKEN = "ts-client-test-admin-token-0123456789abcdef";

export function hookdBin() {
  const bin = process.env.HOOKD_BIN;
  if (!bin || !existsSync(bin)) throw new Error(`HOOKD_BIN must name a built hookd (got ${bin ?? "nothing"})`);
  return bin;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A hookd of its own: `{ base, stop() }`. */
export async function startHookd(env = {}) {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "hookd-ts-"));
  const child = spawn(hookdBin(), ["serve"], {
    env: {
      PATH: process.env.PATH,
      HOOKD_LISTEN: `127.0.0.1:${port}`,
      HOOKD_DATA_DIR: data,
      HOOKD_ADMIN_TOKEN: ADMIN_TOKEN,
      HOOKD_ALLOWED_TARGETS: "127.0.0.0/8",
      HOOKD_SQLITE_SYNCHRONOUS: "normal",
      RUST_LOG: "error",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (chunk) => (log += chunk));
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`hookd exited ${child.exitCode}: ${log}`);
      try {
        return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    }, 20_000, "hookd /readyz");
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    base,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
        if (!killed) {
          child.kill("SIGKILL");
          await Promise.race([exited, sleep(2_000)]);
        }
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/**
 * A receiver on 127.0.0.1 that records `{ method, url, headers, body }` (body: the raw Buffer) of every
 * request and answers with `answer(record)` → `{ status, body }` (default 200, empty). With `tls`
 * (`{ cert, key }` PEM) it serves HTTPS.
 */
export async function startReceiver({ answer, tls } = {}) {
  const requests = [];
  const handler = (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const record = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(record);
      const reply = (answer && answer(record)) || {};
      res.writeHead(reply.status ?? 200, reply.headers ?? { "content-type": "application/json" });
      res.end(reply.body ?? "");
    });
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}/hook`,
    requests,
    /** Waits until `n` requests arrived (deadline `ms`), returns them. */
    async waitFor(n, ms = 15_000) {
      await until(() => requests.length >= n, ms, `${n} callback(s) at the receiver`);
      return requests;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A test CA and a certificate for 127.0.0.1 it issued, made with the openssl command: `{ cert, key, caPath, dir }`. */
export function makeTlsCert() {
  const dir = mkdtempSync(join(tmpdir(), "hookd-ts-tls-"));
  const run = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=hookd ts test CA", "-keyout", "ca.key", "-out", "ca.pem",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
    "-keyout", "leaf.key", "-out", "leaf.csr");
  const ext = join(dir, "leaf.ext");
  execFileSync("sh", ["-c", `printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\nextendedKeyUsage=serverAuth\\n' > '${ext}'`]);
  run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
    "-extfile", ext, "-out", "leaf.pem");
  return {
    dir,
    caPath: join(dir, "ca.pem"),
    cert: readFileSync(join(dir, "leaf.pem")),
    key: readFileSync(join(dir, "leaf.key")),
  };
}

/** A fresh account with an all-powerful key: `{ account, key, token }`. */
export async function tenant(admin, name = "tenant", policy = ["*"]) {
  const account = await admin.accounts.create({ name });
  const key = await admin.keys.create(account.id, { policy });
  return { account, key, token: key.token };
}
