"""Fixtures of the SDK conformance suite: a real hookd process (the debug build) on a fresh SQLite file or
a fresh PostgreSQL database, a local HTTP receiver, and tenants made through the native API."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "debug", "hookd")
ADMIN = "conformance-admin-token-0123456789"
MASTER_KEY = "ab" * 32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hookd:
    """A running hookd and helpers for its native API."""

    def __init__(self, base, process):
        self.base = base
        self.process = process

    def native(self, method, path, token=ADMIN, account=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        if account:
            headers["Hookd-Account"] = account
        r = requests.request(method, self.base + path, headers=headers, timeout=10, **kwargs)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.text else None

    def tenant(self, policy=("*",), parent=None, products=None):
        """A new account and an access key; returns (account_id, key_id, secret)."""
        body = {"name": "conformance", "parent_id": parent}
        if products is not None:
            body["products"] = products
        account = self.native("POST", "/api/v1/accounts", json=body)["id"]
        key = self.native("POST", f"/api/v1/accounts/{account}/keys", json={"policy": list(policy)})
        return account, key["key_id"], key["secret"]


def backends():
    yield "sqlite"
    if os.environ.get("HOOKD_TEST_DATABASE_URL"):
        yield "postgres"
    elif os.environ.get("CI"):
        raise RuntimeError("HOOKD_TEST_DATABASE_URL must be set in CI")
    else:
        print("SKIPPED: PostgreSQL conformance runs (set HOOKD_TEST_DATABASE_URL)")


@pytest.fixture(scope="module", params=list(backends()))
def hookd(request):
    data = tempfile.mkdtemp(prefix="hookd-conformance-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")}
    database = None
    if request.param == "postgres":
        admin_url = os.environ["HOOKD_TEST_DATABASE_URL"]
        database = "hookd_conf_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {database}"], check=True)
        env["HOOKD_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + database
    port = free_port()
    env.update({
        "HOOKD_LISTEN": f"127.0.0.1:{port}",
        "HOOKD_DATA_DIR": data,
        "HOOKD_ADMIN_TOKEN": ADMIN,
        "HOOKD_MASTER_KEY": MASTER_KEY,
        "HOOKD_ALLOWED_TARGETS": "127.0.0.0/8",
        "HOOKD_DELIVERY__POLL_INTERVAL_MS": "100",
        "RUST_LOG": "warn",
    })
    process = subprocess.Popen([BINARY, "serve"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        assert process.poll() is None, "hookd exited during start-up"
        try:
            if requests.get(base + "/readyz", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        assert time.time() < deadline, "hookd did not become ready"
        time.sleep(0.05)
    yield Hookd(base, process)
    process.terminate()
    process.wait(timeout=20)
    shutil.rmtree(data, ignore_errors=True)
    if database:
        subprocess.run(["psql", os.environ["HOOKD_TEST_DATABASE_URL"], "-qc",
                        f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=True)


class Receiver:
    """A local HTTP receiver that records every request."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n, timeout=10.0):
        deadline = time.time() + timeout
        while len(self.requests) < n and time.time() < deadline:
            time.sleep(0.02)
        return self.requests


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def json_body(req):
    return json.loads(req["body"])
