"""The receiving side against real deliveries: for each format, a subscription made through the client
sends hookd's real callbacks to a local receiver; the verifier accepts each one and refuses it with one
byte of the body changed, with a wrong secret, and with a stale timestamp (where the format has one)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import httpx
import pytest
from conftest import Receiver
from standardwebhooks.webhooks import Webhook

from hookd import webhooks
from hookd.webhooks import WebhookVerificationError

CALLBACK_KEY = "0123456789abcdef0123456789abcdef"  # ESS: 32 bytes
CALLBACK_TOKEN = "ess-callback-token"
NOTIFY_AUTH_KEY = "live-notify-auth-key"
SUBSCRIBER_KEY = "meeting-subscriber-key-0123"
WRONG_WHSEC = "whsec_" + base64.b64encode(b"w" * 32).decode()


def tampered(body: bytes) -> bytes:
    """The body with one byte changed (a digit or letter near the end, so it usually stays JSON)."""
    data = bytearray(body)
    for i in range(len(data) - 1, -1, -1):
        if chr(data[i]).isalnum():
            data[i] = ord("7") if data[i] != ord("7") else ord("8")
            return bytes(data)
    data[-1] ^= 1
    return bytes(data)


def refused(call) -> str:
    with pytest.raises(WebhookVerificationError) as e:
        call()
    return str(e.value)


def resigned(callback: dict, secret: str, timestamp: int) -> dict:
    """A copy of a callback's headers signed (Standard Webhooks) with another timestamp."""
    headers = dict(callback["headers"])
    headers["webhook-timestamp"] = str(timestamp)
    sig = Webhook(secret).sign(
        headers["webhook-id"],
        datetime.fromtimestamp(timestamp, UTC),
        callback["body"].decode(),
    )
    headers["webhook-signature"] = sig
    return headers


def deliver(client, receiver, fmt: str, payload, event_type="thing.happened", **settings):
    """A subscription of `fmt` to `receiver`, one event published; returns (subscription, event, callback)."""
    app = f"wh-{fmt}"
    client.apps.create(app)
    sub = client.subscriptions.create(app, receiver.url, format=fmt, **settings)
    published = client.events.publish(app, event_type, payload)
    [callback] = receiver.wait_for(1)
    assert callback["headers"]["webhook-id"] == published.event.id
    return sub, published.event, callback


def test_native(tenant, receiver):
    sub, _event, cb = deliver(tenant.client, receiver, "native", {"order": "o-1", "total": 12.5})
    body, headers = cb["body"], cb["headers"]
    assert webhooks.verify_native(body, headers, sub.secret) == {"order": "o-1", "total": 12.5}
    refused(lambda: webhooks.verify_native(tampered(body), headers, sub.secret))
    refused(lambda: webhooks.verify_native(body, headers, WRONG_WHSEC))
    assert "old" in refused(lambda: webhooks.verify_native(body, headers, sub.secret, now=time.time() + 600))
    old = int(time.time()) - 3600
    stale = resigned(cb, sub.secret, old)
    assert "old" in refused(lambda: webhooks.verify_native(body, stale, sub.secret))
    assert webhooks.verify_native(body, stale, sub.secret, now=old + 10), "`now` moves the clock"
    refused(
        lambda: webhooks.verify_native(body, {k: v for k, v in headers.items() if k != "webhook-signature"}, sub.secret)
    )
    refused(lambda: webhooks.verify_native(body, dict(headers, **{"webhook-signature": "garbage"}), sub.secret))

    # During a rotation both secrets verify the same callback.
    rotated = tenant.client.subscriptions.rotate_secret("wh-native", sub.id)
    tenant.client.events.publish("wh-native", "thing.happened", {"n": 2})
    second = receiver.wait_for(2)[1]
    for secret in (sub.secret, rotated.secret):
        assert webhooks.verify_native(second["body"], second["headers"], secret) == {"n": 2}


def test_cams(tenant, receiver):
    report = {
        "MessageId": "m-1",
        "From": "8613800000000",
        "To": "8613900000000",
        "Timestamp": 1700000000000,
        "Status": "DELIVERED",
    }
    sub, _event, cb = deliver(tenant.client, receiver, "cams", report, event_type="cams.status")
    body, headers = cb["body"], cb["headers"]
    [decoded] = webhooks.decode_cams(body, headers, secret=sub.secret)
    assert (decoded.message_id, decoded.from_, decoded.to, decoded.timestamp, decoded.status) == (
        "m-1",
        "8613800000000",
        "8613900000000",
        1700000000000,
        "DELIVERED",
    )
    assert decoded.error_code is None and decoded.raw == report
    assert len(webhooks.decode_cams(body)) == 1, "decoding alone, without a secret"
    refused(lambda: webhooks.decode_cams(tampered(body), headers, secret=sub.secret))
    refused(lambda: webhooks.decode_cams(body, headers, secret=WRONG_WHSEC))
    refused(lambda: webhooks.decode_cams(body, headers, secret=sub.secret, now=time.time() + 600))
    refused(lambda: webhooks.decode_cams(b'{"not": "an array"}'))


def test_ess(tenant, receiver):
    payload = {"FlowId": "flow-1", "FlowStatus": "ALL"}
    sub, event, cb = deliver(
        tenant.client,
        receiver,
        "ess",
        payload,
        event_type="FlowStatusChange",
        vendor_secrets={"CallbackKey": CALLBACK_KEY, "CallbackToken": CALLBACK_TOKEN},
    )
    body, headers = cb["body"], cb["headers"]
    assert set(json.loads(body)) == {"encrypt"} and headers["content-signature"].startswith("sha256=")
    verify = lambda b=body, h=headers, **kw: webhooks.verify_ess(
        b, h, **{"callback_token": CALLBACK_TOKEN, "callback_key": CALLBACK_KEY, **kw}
    )
    message = verify(secret=sub.secret)
    assert (message.msg_id, message.msg_type, message.msg_version, message.msg_data) == (
        event.id,
        "FlowStatusChange",
        "CustomApp",
        payload,
    )
    assert "Content-Signature" in refused(lambda: verify(tampered(body)))
    assert "Content-Signature" in refused(lambda: verify(callback_token="wrong-token"))
    refused(lambda: verify(callback_token=None, callback_key="f" * 32))
    refused(lambda: verify(secret=WRONG_WHSEC))
    # ESS carries no timestamp of its own: staleness is refused through the Standard Webhooks headers.
    assert verify(now=time.time() + 3600).msg_id == event.id
    refused(lambda: verify(secret=sub.secret, now=time.time() + 600))
    stale = resigned(cb, sub.secret, int(time.time()) - 3600)
    assert "old" in refused(lambda: verify(h=stale, secret=sub.secret))
    with pytest.raises(ValueError):
        webhooks.decrypt_ess("AAAA", "short")


def test_live_snapshot(tenant, receiver):
    payload = {"event": "snapshot", "DomainName": "live.example.com", "StreamName": "s1", "OssObject": "a.jpg"}
    sub, _event, cb = deliver(
        tenant.client,
        receiver,
        "live-snapshot",
        payload,
        vendor_secrets={"NotifyReqAuth": "yes", "NotifyAuthKey": NOTIFY_AUTH_KEY},
    )
    body, headers = cb["body"], cb["headers"]
    verify = lambda b=body, h=headers, **kw: webhooks.verify_live_snapshot(
        b, h, **{"callback_url": receiver.url, "auth_key": NOTIFY_AUTH_KEY, **kw}
    )
    assert verify() == payload
    assert verify(secret=sub.secret) == payload
    assert "ALI-LIVE-SIGNATURE" in refused(lambda: verify(auth_key="wrong-key"))
    refused(lambda: verify(callback_url="http://another.host/cb"))
    assert "old" in refused(lambda: verify(now=time.time() + 600))
    old = str(int(time.time()) - 3600)
    signature = hashlib.md5(f"127.0.0.1|{old}|{NOTIFY_AUTH_KEY}".encode()).hexdigest()
    stale = dict(headers, **{"ali-live-timestamp": old, "ali-live-signature": signature})
    assert "old" in refused(lambda: verify(h=stale))
    assert verify(h=stale, now=int(old) + 5) == payload, "correctly signed, only old"
    # The vendor signature does not cover the body; the Standard Webhooks one does.
    refused(lambda: verify(tampered(body), secret=sub.secret))
    refused(lambda: verify(secret=WRONG_WHSEC))


def meeting_sign(app_id: str, timestamp: int, nonce: str, event_info: str, key: str = SUBSCRIBER_KEY) -> str:
    return hmac.new(key.encode(), f"{app_id}{timestamp}{nonce}{event_info}".encode(), hashlib.sha256).hexdigest()


def test_meeting(tenant, receiver):
    sub, _event, cb = deliver(
        tenant.client,
        receiver,
        "meeting",
        {"meetingID": "m1"},
        event_type="meeting.started",
        vendor_secrets={"subscriberId": "app-in-callbacks", "subscriberKey": SUBSCRIBER_KEY},
    )
    body = cb["body"]
    message = webhooks.verify_meeting(body, SUBSCRIBER_KEY, headers=cb["headers"], secret=sub.secret)
    assert (message.app_id, message.event, message.payload, message.is_verify) == (
        "app-in-callbacks",
        "meeting.started",
        {"meetingID": "m1"},
        False,
    )
    assert "signature" in refused(lambda: webhooks.verify_meeting(tampered(body), SUBSCRIBER_KEY))
    assert "signature" in refused(lambda: webhooks.verify_meeting(body, "wrong-subscriber-key"))
    assert "old" in refused(lambda: webhooks.verify_meeting(body, SUBSCRIBER_KEY, now=time.time() + 600))
    # Re-signed with a timestamp an hour old: the signature is right, the time is not.
    raw = json.loads(body)
    info = json.dumps(raw["eventInfo"], separators=(",", ":"))
    old = raw["timestamp"] - 3_600_000
    stale = (
        json.dumps(
            {
                "appID": raw["appID"],
                "timestamp": old,
                "nonce": raw["nonce"],
                "signature": meeting_sign(raw["appID"], old, raw["nonce"], info),
            },
            separators=(",", ":"),
        )[:-1]
        + f',"eventInfo":{info}}}'
    )
    assert "old" in refused(lambda: webhooks.verify_meeting(stale, SUBSCRIBER_KEY))
    assert webhooks.verify_meeting(stale, SUBSCRIBER_KEY, now=old / 1000).event == "meeting.started"


def test_meeting_handshake(admin, server, tls_cert):
    """A Meeting config is enabled (Huawei dialect) only after its https receiver answers `meeting.verify`
    with what `meeting_handshake_answer` produces."""

    def answer(body: bytes) -> tuple[int, bytes]:
        message = webhooks.verify_meeting(body, SUBSCRIBER_KEY)
        if message.is_verify:
            return 200, json.dumps(webhooks.meeting_handshake_answer(message)).encode()
        return 200, b""

    good = Receiver(tls=tls_cert, answer=answer)
    wrong = Receiver(tls=tls_cert, answer=lambda body: (200, b'{"nonce": "not-it"}'))
    try:
        account = admin.accounts.create("py-meeting")
        key = admin.keys.create(account.id, ["*"])
        with httpx.Client(base_url=server.base, timeout=15) as http:
            signin = http.post("/v1/usg/acs/auth/account", auth=(key.key_id, key.secret))
            assert signin.status_code == 200, signin.text
            token = {"X-Access-Token": signin.json()["accessToken"]}

            def configure(url: str) -> str:
                r = http.post(
                    "/v1/mmc/management/webhook/link-config",
                    headers=token,
                    json={"subscriberId": "app-in-callbacks", "subscriberKey": SUBSCRIBER_KEY, "url": url},
                )
                assert r.status_code == 200, r.text
                return r.json()["id"]

            def enable(config: str) -> httpx.Response:
                return http.put(
                    "/v1/mmc/management/webhook/change-status", headers=token, params={"id": config, "status": 0}
                )

            config = configure(wrong.url)
            refusal = enable(config)
            assert refusal.status_code == 400 and "nonce" in refusal.json()["error_msg"], refusal.text
            config = configure(good.url)
            enabled = enable(config)
            assert enabled.status_code == 200, enabled.text
        [verify] = good.requests
        message = webhooks.verify_meeting(verify["body"], SUBSCRIBER_KEY)
        assert message.is_verify and message.app_id == "app-in-callbacks"
        sub = admin.with_account(account.id).subscriptions.get("meeting", config)
        assert sub.status == "enabled"
    finally:
        good.close()
        wrong.close()
