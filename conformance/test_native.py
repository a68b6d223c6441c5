"""hookd's native format (Standard Webhooks), verified by a receiver written from the specification with
the standard library (and `cryptography` for ed25519), not with hookd's code."""
import time

import pytest
import receivers


def subscribe(hookd, account, receiver, **extra):
    app = "shop-" + str(time.time_ns())
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": app})
    sub = hookd.native("POST", f"/api/v1/apps/{app}/subscriptions", account=account,
                       json={"url": receiver.url, **extra})
    return app, sub


def publish(hookd, account, app, n):
    return hookd.native("POST", f"/api/v1/apps/{app}/events", account=account,
                        json={"type": "order.created", "payload": {"order": n}})["id"]


def test_signatures_verify_and_a_wrong_secret_does_not(hookd, receiver):
    account, _, _ = hookd.tenant()
    app, sub = subscribe(hookd, account, receiver)
    event = publish(hookd, account, app, 1)
    req = receiver.wait_for(1)[0]
    body = receivers.native(req, sub["secret"])
    assert receivers.header(req, "webhook-id") == event
    assert body == {"order": 1}, "the body is the payload as published"
    with pytest.raises(AssertionError):
        receivers.native(req, "whsec_" + "A" * 43 + "=")
    tampered = dict(req, body=req["body"] + b" ")
    with pytest.raises(AssertionError):
        receivers.native(tampered, sub["secret"])


def test_rotation_signs_with_both_secrets(hookd, receiver):
    account, _, _ = hookd.tenant()
    app, sub = subscribe(hookd, account, receiver)
    path = f"/api/v1/apps/{app}/subscriptions/{sub['id']}"
    rotated = hookd.native("POST", path + "/rotate-secret", account=account)
    publish(hookd, account, app, 2)
    req = receiver.wait_for(1)[0]
    receivers.native(req, sub["secret"])
    receivers.native(req, rotated["secret"])


def test_ed25519_signatures_verify_with_the_public_key(hookd, receiver):
    account, _, _ = hookd.tenant()
    app, sub = subscribe(hookd, account, receiver, asymmetric_signing=True)
    publish(hookd, account, app, 3)
    req = receiver.wait_for(1)[0]
    receivers.native(req, sub["secret"], public_key=sub["public_key"])
    from cryptography.exceptions import InvalidSignature
    tampered = dict(req, body=req["body"] + b" ")
    with pytest.raises((AssertionError, InvalidSignature)):
        receivers.native(tampered, sub["secret"], public_key=sub["public_key"])
