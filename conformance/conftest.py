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

    verify = True

    def native(self, method, path, token=ADMIN, account=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        if account:
            headers["Hookd-Account"] = account
        r = requests.request(method, self.base + path, headers=headers, timeout=10, verify=self.verify, **kwargs)
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


def start_hookd(backend, extra_env=None):
    """Starts hookd on `backend`; returns (Hookd, cleanup)."""
    data = tempfile.mkdtemp(prefix="hookd-conformance-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")}
    database = None
    if backend == "postgres":
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
    env.update(extra_env or {})
    scheme = "https" if "HOOKD_TLS_CERT" in env else "http"
    base = f"{scheme}://127.0.0.1:{port}"
    verify = env.get("HOOKD_DELIVERY__CA_CERTS", True)

    def launch():
        process = subprocess.Popen([BINARY, "serve"], env=env)
        deadline = time.time() + 30
        while True:
            assert process.poll() is None, "hookd exited during start-up"
            try:
                if requests.get(base + "/readyz", timeout=1, verify=verify).ok:
                    return process
            except requests.ConnectionError:
                pass
            assert time.time() < deadline, "hookd did not become ready"
            time.sleep(0.05)

    hookd = Hookd(base, launch())
    hookd.verify = verify

    def restart():
        """Stops hookd (SIGTERM) and starts it again on the same port and data."""
        hookd.process.terminate()
        hookd.process.wait(timeout=20)
        hookd.process = launch()

    hookd.restart = restart

    def cleanup():
        hookd.process.terminate()
        hookd.process.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)
        if database:
            subprocess.run(["psql", os.environ["HOOKD_TEST_DATABASE_URL"], "-qc",
                            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=True)

    return hookd, cleanup


@pytest.fixture(scope="module", params=list(backends()))
def hookd(request):
    # CAMS receipts of QueueFlag=Y accounts go into a Redis stream of this server's own.
    stream = "hookd-conformance-cams-" + uuid.uuid4().hex[:12]
    server, cleanup = start_hookd(request.param, {"HOOKD_CAMS_QUEUE": f"redis://127.0.0.1:6379/{stream}"})
    server.cams_queue = stream
    yield server
    cleanup()


@pytest.fixture(scope="session")
def tls_cert():
    """A test CA and a certificate it issued for 127.0.0.1: (cert chain path, key path, CA path)."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signing_key, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hookd conformance CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    leaf = build(leaf_name, ca_name, leaf_key.public_key(), ca_key, False)
    directory = tempfile.mkdtemp(prefix="hookd-tls-")
    paths = [os.path.join(directory, n) for n in ("cert.pem", "key.pem", "ca.pem")]
    pem = serialization.Encoding.PEM
    with open(paths[0], "wb") as f:
        f.write(leaf.public_bytes(pem) + ca.public_bytes(pem))
    with open(paths[1], "wb") as f:
        f.write(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(paths[2], "wb") as f:
        f.write(ca.public_bytes(pem))
    yield tuple(paths)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module", params=list(backends()))
def hookd_tls(request, tls_cert):
    """hookd serving HTTPS, trusting the same self-signed certificate for its callbacks."""
    cert, key, ca = tls_cert
    server, cleanup = start_hookd(request.param, {
        "HOOKD_TLS_CERT": cert, "HOOKD_TLS_KEY": key, "HOOKD_DELIVERY__CA_CERTS": ca})
    server.verify = ca
    yield server
    cleanup()


class Receiver:
    """A local HTTP(S) receiver that records every request. `answer(body) -> bytes` shapes the reply."""

    def __init__(self, tls=None, answer=None):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = answer(body) if answer else b""
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls[0], tls[1])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/callback"
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
