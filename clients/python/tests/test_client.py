"""The hand-written client against a live hookd: every method, paging, each error class from a real answer,
the idempotency key, retries of real 429s (a second hookd with HOOKD_ACCOUNT_RATE_LIMIT=1) and of a 503."""

from __future__ import annotations

import email.utils
import http.server
import json
import threading
import time
import uuid

import httpx
import pytest
from conftest import ADMIN, Receiver, Server, Tenant, free_port

import hookd
from hookd import Hookd
from hookd._generated.models import (
    Account,
    App,
    CreatedKey,
    Delivery,
    DeliveryDetail,
    DeliveryStatus,
    Event,
    EventTypeDefinition,
    ListedEvent,
    MeType0,
    MeType1,
    PublishedEvent,
    Replayed,
    Subscription,
    SubscriptionSecrets,
    SubscriptionStats,
    SubscriptionStatus,
    SubscriptionWithSecret,
)


def wait_until(check, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s")


def test_me(admin, tenant):
    assert isinstance(admin.me(), MeType0)
    me = tenant.client.me()
    assert isinstance(me, MeType1)
    assert (me.account_id, me.key_id) == (tenant.account.id, tenant.key.key_id)


def test_accounts(admin):
    parent = admin.accounts.create("py-parent")
    child = admin.accounts.create("py-child", parent_id=parent.id)
    assert isinstance(parent, Account) and child.parent_id == parent.id
    assert admin.accounts.get(child.id).name == "py-child"
    page = admin.accounts.list(limit=1)
    assert len(page.data) == 1 and page.next_cursor and isinstance(page.data[0], Account)
    ids = {a.id for a in admin.accounts.iter(limit=2)}
    assert {parent.id, child.id} <= ids


def test_keys(admin, server):
    account = admin.accounts.create("py-keys")
    created = admin.keys.create(account.id, ["hookd:apps.read"])
    other = admin.keys.create(account.id, ["*"], user_id="user01")
    assert isinstance(created, CreatedKey) and created.token.startswith(created.key_id + ":")
    page = admin.keys.list(account.id, limit=1)
    assert len(page.data) == 1 and page.next_cursor
    assert {k.key_id for k in admin.keys.iter(account.id, limit=1)} == {created.key_id, other.key_id}
    with Hookd(server.base, created.token) as client:
        assert client.apps.list().data  # the dialect apps every account has
        admin.keys.delete(account.id, created.key_id)
        with pytest.raises(hookd.Unauthorized) as e:
            client.apps.list()
        assert e.value.status == 401 and e.value.code == "unauthorized" and e.value.request_id
    assert [k.key_id for k in admin.keys.iter(account.id)] == [other.key_id]


def test_apps(tenant):
    c = tenant.client
    app = c.apps.create("shop", name="Shop")
    assert isinstance(app, App) and app.name == "Shop"
    assert c.apps.get("shop").id == "shop"
    assert c.apps.update("shop", name="Shop 2", retention_days=7).retention_days == 7
    assert c.apps.update("shop", retention_days=None).retention_days is None, "None clears a field"
    assert c.apps.get("shop").name == "Shop 2"
    assert "shop" in [a.id for a in c.apps.iter()]
    c.apps.delete("shop")
    with pytest.raises(hookd.NotFound) as e:
        c.apps.get("shop")
    assert e.value.code == "app_not_found" and e.value.request_id


def test_paging(tenant):
    c = tenant.client
    created = {c.apps.create(f"app-{i:02}").id for i in range(7)}
    first = c.apps.list(limit=3)
    assert len(first.data) == 3 and first.next_cursor
    second = c.apps.list(limit=3, cursor=first.next_cursor)
    assert not {a.id for a in first.data} & {a.id for a in second.data}
    listed = [a.id for a in c.apps.iter(limit=3)]
    assert created <= set(listed) and len(listed) == len(set(listed)) == 7 + 4  # + cams, ess, meeting, ops
    for i in range(5):
        c.events.publish("app-00", "thing.done", {"i": i})
    events = list(c.events.iter("app-00", limit=2))
    assert [e.payload["i"] for e in events] == [4, 3, 2, 1, 0] and isinstance(events[0], ListedEvent)


def test_event_types(tenant):
    c = tenant.client
    c.apps.create("catalog")
    created = c.event_types.create(
        "catalog",
        "order.created",
        description="An order",
        schema={"type": "object", "required": ["id"]},
        examples=[{"id": 1}],
    )
    assert isinstance(created, EventTypeDefinition) and created.name == "order.created"
    c.event_types.create("catalog", "order.paid")
    assert c.event_types.get("catalog", "order.created").description == "An order"
    assert c.event_types.update("catalog", "order.created", description=None).description is None
    page = c.event_types.list("catalog", limit=1)
    assert len(page.data) == 1 and page.next_cursor
    assert [t.name for t in c.event_types.iter("catalog", limit=1)] == ["order.created", "order.paid"]


def test_subscriptions(tenant, receiver):
    c = tenant.client
    c.apps.create("subs")
    sub = c.subscriptions.create("subs", receiver.url, event_types=["order.*"], description="mine")
    assert isinstance(sub, SubscriptionWithSecret) and sub.secret.startswith("whsec_")
    got = c.subscriptions.get("subs", sub.id)
    assert isinstance(got, Subscription) and got.event_types == ["order.*"]
    assert c.subscriptions.update("subs", sub.id, description=None, rate_limit=5).rate_limit == 5
    assert c.subscriptions.list("subs").data[0].id == sub.id
    assert [s.id for s in c.subscriptions.iter("subs", limit=1)] == [sub.id]
    assert c.subscriptions.disable("subs", sub.id).status == SubscriptionStatus.DISABLED
    with pytest.raises(hookd.Conflict) as e:
        c.subscriptions.test("subs", sub.id)
    assert e.value.status == 409
    assert c.subscriptions.enable("subs", sub.id).status == SubscriptionStatus.ENABLED
    rotated = c.subscriptions.rotate_secret("subs", sub.id)
    assert rotated.secret != sub.secret
    secrets = c.subscriptions.secret("subs", sub.id)
    assert isinstance(secrets, SubscriptionSecrets) and secrets.secret == rotated.secret
    test = c.subscriptions.test("subs", sub.id)
    assert isinstance(test, PublishedEvent) and test.type_ == "hookd.test"
    [callback] = receiver.wait_for(1)
    assert callback["headers"]["webhook-id"] == test.id
    assert len(callback["headers"]["webhook-signature"].split(" ")) == 2, "old and new secret sign"
    replay = c.subscriptions.replay("subs", sub.id, dry_run=True)
    assert isinstance(replay, Replayed) and replay.requeued == 0
    assert c.subscriptions.replay("subs", sub.id, since="2020-01-01T00:00:00Z").requeued == 0
    stats = wait_until(lambda: (s := c.subscriptions.stats("subs", sub.id, hours=1)).succeeded and s)
    assert isinstance(stats, SubscriptionStats) and stats.succeeded == 1
    c.subscriptions.delete("subs", sub.id)
    with pytest.raises(hookd.NotFound) as e:
        c.subscriptions.get("subs", sub.id)
    assert e.value.code == "subscription_not_found"


def test_events_and_idempotency(tenant):
    c = tenant.client
    c.apps.create("ev")
    first = c.events.publish("ev", "order.created", {"id": 1}, channel_id="ch1")
    assert first.idempotency_key and uuid.UUID(first.idempotency_key) and not first.replayed
    again = c.events.publish("ev", "order.created", {"id": 1}, channel_id="ch1", idempotency_key=first.idempotency_key)
    assert again.replayed and again.event.id == first.event.id and again.idempotency_key == first.idempotency_key
    other = c.events.publish("ev", "order.created", {"id": 1})
    assert other.event.id != first.event.id and other.idempotency_key != first.idempotency_key
    with pytest.raises(hookd.Conflict) as e:
        c.events.publish("ev", "order.created", {"id": 2}, idempotency_key=first.idempotency_key)
    assert e.value.code == "idempotency_key_reused"
    event = c.events.get("ev", first.event.id)
    assert isinstance(event, Event) and event.payload["id"] == 1 and event.idempotency_key == first.idempotency_key
    assert [e.id for e in c.events.list("ev", channel="ch1").data] == [first.event.id]
    assert [e.id for e in c.events.list("ev", type="order.created").data] == [other.event.id, first.event.id]
    assert c.events.deliveries("ev", first.event.id).data == []


def test_deliveries_and_attempts(tenant):
    failing = Receiver(answer=lambda body: (500, b"no"))
    ok = Receiver()
    try:
        c = tenant.client
        c.apps.create("dl")
        bad = c.subscriptions.create("dl", failing.url, retry=[600])
        good = c.subscriptions.create("dl", ok.url)
        published = c.events.publish("dl", "x.y", {"n": 1})
        failing.wait_for(1)
        ok.wait_for(1)
        retrying = wait_until(lambda: c.deliveries.list("dl", bad.id, status="retrying").data)
        assert isinstance(retrying[0], Delivery) and retrying[0].event_id == published.event.id
        assert c.deliveries.list("dl", bad.id, status=DeliveryStatus.SUCCEEDED).data == []
        assert [d.id for d in c.deliveries.iter("dl", bad.id, limit=1)] == [retrying[0].id]
        detail = c.deliveries.get(retrying[0].id)
        assert isinstance(detail, DeliveryDetail) and detail.attempt_log[0].status_code == 500
        retried = c.deliveries.retry(retrying[0].id)
        assert isinstance(retried, Delivery)
        failing.wait_for(2)
        [done] = wait_until(lambda: c.deliveries.list("dl", good.id, status="succeeded").data)
        assert c.deliveries.retry(done.id).id == done.id, "a succeeded delivery may be sent again"
        ok.wait_for(2)
        assert {d.subscription_id for d in c.events.deliveries("dl", published.event.id).data} == {bad.id, good.id}
        attempts = wait_until(lambda: (a := c.attempts.list(app="dl").data) and len(a) >= 4 and a)
        assert {a.delivery_id for a in attempts} == {retrying[0].id, done.id}
        page = c.attempts.list(limit=1, app="dl")
        assert len(page.data) == 1 and page.next_cursor == page.data[0].id
        followed = [a.id for a in c.attempts.iter(after=attempts[0].id, limit=1, app="dl")]
        assert followed == [a.id for a in attempts[1:]]
    finally:
        failing.close()
        ok.close()


def test_error_classes(admin, tenant, server):
    c = tenant.client
    c.apps.create("err")
    with pytest.raises(hookd.NotFound) as e:
        c.subscriptions.get("err", "sub_nothing")
    assert (e.value.status, e.value.code) == (404, "subscription_not_found") and e.value.request_id
    with pytest.raises(hookd.ValidationError) as e:
        c.subscriptions.create("err", "ftp://127.0.0.1/x")
    assert (e.value.status, e.value.code, e.value.field) == (422, "validation_failed", "url") and e.value.request_id
    with pytest.raises(hookd.Conflict) as e:
        c.apps.create("err")
    assert (e.value.status, e.value.code) == (409, "app_exists") and e.value.request_id
    with Hookd(server.base, "HKnothing:nosecret") as stranger, pytest.raises(hookd.Unauthorized) as e:
        stranger.apps.list()
    assert (e.value.status, e.value.code) == (401, "unauthorized") and e.value.request_id
    reader = admin.keys.create(tenant.account.id, ["hookd:apps.read"])
    with Hookd(server.base, reader.token) as limited:
        assert limited.apps.get("err").id == "err"
        with pytest.raises(hookd.Forbidden) as e:
            limited.apps.create("nope")
    assert (e.value.status, e.value.code) == (403, "forbidden") and "hookd:apps.write" in e.value.message
    assert isinstance(e.value, hookd.ApiError) and isinstance(e.value, hookd.HookdError)
    # The admin token acting in the account through Hookd-Account.
    assert admin.with_account(tenant.account.id).apps.get("err").id == "err"


def test_network_error():
    with Hookd(f"http://127.0.0.1:{free_port()}", "token", timeout=2) as client, pytest.raises(hookd.NetworkError):
        client.me()


class Recording(httpx.BaseTransport):
    """Records every status the server answered (under the retrying transport)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.statuses: list[int] = []

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        self.statuses.append(response.status_code)
        return response


@pytest.fixture(scope="module")
def limited_server():
    s = Server({"HOOKD_ACCOUNT_RATE_LIMIT": "1"})
    yield s
    s.stop()


def test_retries_after_429(limited_server):
    admin = Hookd(limited_server.base, ADMIN)
    tenant = Tenant(admin, limited_server.base)
    time.sleep(1.1)  # a fresh second of the account's rate
    recording = Recording()
    started = time.monotonic()
    with Hookd(limited_server.base, tenant.key.token, transport=recording, max_retries=5) as client:
        apps = [client.apps.get("ops") for _ in range(3)]
        published = client.events.publish("ops", "x.y", {"retried": True})
    assert [a.id for a in apps] == ["ops"] * 3 and published.event.id
    assert 429 in recording.statuses, recording.statuses
    assert recording.statuses.count(200) + recording.statuses.count(201) == 4
    assert time.monotonic() - started >= 1.0, "waited for Retry-After"

    with (
        Hookd(limited_server.base, tenant.key.token, max_retries=0) as impatient,
        pytest.raises(hookd.RateLimited) as e,
    ):
        for _ in range(5):
            impatient.apps.get("ops")
    assert (e.value.status, e.value.code) == (429, "rate_limited")
    assert e.value.request_id and e.value.retry_after is not None
    tenant.client.close()
    admin.close()


class Flaky:
    """A tiny HTTP server answering its first `failures` requests with `status` + Retry-After (plain text,
    not the envelope) and then `GET /api/v1/me` as hookd would."""

    def __init__(self, failures: int, retry_after: str, status: int = 503) -> None:
        self.seen = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen += 1
                if outer.seen <= failures:
                    body = b"try later"
                    self.send_response(status)
                    self.send_header("Retry-After", retry_after)
                    self.send_header("X-Request-Id", f"req-{outer.seen}")
                else:
                    body = json.dumps({"kind": "admin"}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_retries_after_503():
    flaky = Flaky(1, "1")
    try:
        started = time.monotonic()
        with Hookd(flaky.url, "t") as client:
            assert isinstance(client.me(), MeType0)
        assert flaky.seen == 2 and time.monotonic() - started >= 0.9
    finally:
        flaky.close()

    date = email.utils.formatdate(time.time() + 1, usegmt=True)
    flaky = Flaky(1, date)
    try:
        with Hookd(flaky.url, "t") as client:
            assert isinstance(client.me(), MeType0), "Retry-After as an HTTP date"
    finally:
        flaky.close()

    flaky = Flaky(5, "0")
    try:
        with Hookd(flaky.url, "t", max_retries=2) as client, pytest.raises(hookd.Unavailable) as e:
            client.me()
        assert flaky.seen == 3 and e.value.request_id == "req-3" and e.value.message == "try later"
    finally:
        flaky.close()


def test_other_statuses_are_not_retried():
    flaky = Flaky(1, "0", status=500)
    try:
        with Hookd(flaky.url, "t") as client, pytest.raises(hookd.ServerError) as e:
            client.me()
        assert flaky.seen == 1 and e.value.status == 500
    finally:
        flaky.close()
