"""Fixtures: a real hookd (HOOKD_BIN, default <repo>/target/debug/hookd) on a fresh SQLite data directory,
clients of it, and local HTTP(S) receivers on 127.0.0.1 that record hookd's callbacks byte for byte.
Every wait has a deadline."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from hookd import Hookd

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ADMIN = "python-client-admin-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A hookd process: `base` URL, its data directory, and `stop()`."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        binary = os.environ.get("HOOKD_BIN") or os.path.join(REPO, "target", "debug", "hookd")
        if not os.access(binary, os.X_OK):
            pytest.fail(f"no hookd binary at {binary} (set HOOKD_BIN)")
        self.data = tempfile.mkdtemp(prefix="hookd-python-client-")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")}
        env.update(
            {
                "HOOKD_LISTEN": f"127.0.0.1:{port}",
                "HOOKD_DATA_DIR": self.data,
                "HOOKD_ADMIN_TOKEN": ADMIN,
                "HOOKD_ALLOWED_TARGETS": "127.0.0.0/8",
                "HOOKD_SQLITE_SYNCHRONOUS": "normal",
                "RUST_LOG": "error",
            }
        )
        env.update(extra_env or {})
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(os.path.join(self.data, "hookd.log"), "wb")  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen([binary, "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                self.log.flush()
                with open(os.path.join(self.data, "hookd.log"), "rb") as f:
                    pytest.fail(f"hookd exited during start-up: {f.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail("hookd did not become ready within 30 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_cert() -> Iterator[tuple[str, str, str]]:
    """A test CA and a certificate it issued for 127.0.0.1: (chain path, key path, CA path). hookd trusts the
    CA for callbacks (a Meeting config's URL must be https)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, public_key, signing_key, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hookd python client test CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    leaf = build(leaf_name, ca_name, leaf_key.public_key(), ca_key, False)
    directory = tempfile.mkdtemp(prefix="hookd-python-tls-")
    paths = tuple(os.path.join(directory, n) for n in ("cert.pem", "key.pem", "ca.pem"))
    pem = serialization.Encoding.PEM
    with open(paths[0], "wb") as f:
        f.write(leaf.public_bytes(pem) + ca.public_bytes(pem))
    with open(paths[1], "wb") as f:
        f.write(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(paths[2], "wb") as f:
        f.write(ca.public_bytes(pem))
    yield paths
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def server(tls_cert) -> Iterator[Server]:
    s = Server({"HOOKD_DELIVERY__CA_CERTS": tls_cert[2], "HOOKD_DELIVERY__POLL_INTERVAL_MS": "100"})
    yield s
    s.stop()


@pytest.fixture(scope="session")
def admin(server) -> Iterator[Hookd]:
    with Hookd(server.base, ADMIN, timeout=10) as client:
        yield client


class Tenant:
    """An account with a key allowed everything, and a client acting with that key."""

    def __init__(self, admin: Hookd, base: str, policy: list[str] | None = None) -> None:
        self.account = admin.accounts.create(f"py-{uuid.uuid4().hex[:8]}")
        self.key = admin.keys.create(self.account.id, policy or ["*"])
        self.client = Hookd(base, self.key.token, timeout=10)


@pytest.fixture
def tenant(admin, server) -> Iterator[Tenant]:
    t = Tenant(admin, server.base)
    yield t
    t.client.close()


class Receiver:
    """A local HTTP(S) receiver recording every request (`path`, lower-cased `headers`, raw `body`).
    `answer(body) -> (status, bytes)` shapes the reply (default 200, empty)."""

    def __init__(
        self, tls: tuple[str, str, str] | None = None, answer: Callable[[bytes], tuple[int, bytes]] | None = None
    ) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = answer(body) if answer else (200, b"")
                with outer.lock:
                    outer.requests.append(
                        {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                    )
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls[0], tls[1])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"expected {n} callbacks within {timeout} s, got {len(self.requests)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
