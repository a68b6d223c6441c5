"""Alibaba Cloud CAMS 2020-06-06 and ApsaraVideo Live 2016-11-01, driven with the official Python SDKs
(alibabacloud-cams20200606, alibabacloud-live20161101) pointed at hookd by changing only the endpoint."""
import hashlib
import json
import hmac
import time
import urllib.parse
import uuid

import pytest
import receivers
import redis
import requests
from conftest import start_hookd
from alibabacloud_cams20200606 import models as cams_models
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_live20161101 import models as live_models
from alibabacloud_live20161101.client import Client as LiveClient
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

AUTH_KEY = "abcdef0123456789ABCD"


def config(hookd, key_id, secret, **kw):
    return Config(access_key_id=key_id, access_key_secret=secret,
                  endpoint=hookd.base.removeprefix("http://"), protocol="http", **kw)


def fails(call):
    """The SDK exception's code (and the exception) of a call that must fail."""
    with pytest.raises(TeaException) as e:
        call()
    return e.value.code, e.value


def native_subs(hookd, account, app):
    return hookd.native("GET", f"/api/v1/apps/{app}/subscriptions", account=account)["data"]


# --- CAMS ----------------------------------------------------------------------------------------------

def webhook(cams, url=None, cust=None, http="Y", queue="N"):
    return cams.update_account_webhook(cams_models.UpdateAccountWebhookRequest(
        cust_space_id=cust, http_flag=http, queue_flag=queue, status_callback_url=url))


def test_cams_account_webhook(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    cams = CamsClient(config(hookd, key_id, secret))
    body = webhook(cams, receiver.url).body
    assert (body.code, body.message) == ("OK", "SUCCESS") and body.request_id
    [sub] = native_subs(hookd, account, "cams")
    assert (sub["url"], sub["source"], sub["event_types"], sub["status"]) == (receiver.url, "cams", ["cams.status"], "enabled")

    event = hookd.native("POST", "/api/v1/apps/cams/events", account=account,
                         json={"type": "cams.status", "payload": {"MessageId": "m1", "Status": "DELIVERED"}})
    got = receiver.wait_for(1)
    assert len(got) == 1 and got[0]["headers"]["webhook-id"] == event["id"]
    assert json.loads(got[0]["body"]) == [{"MessageId": "m1", "Status": "DELIVERED"}], "CAMS sends an array of reports"

    assert webhook(cams, http="N", queue="Y").body.code == "OK"
    subs = {s["source"]: s for s in native_subs(hookd, account, "cams")}
    sub = subs["cams"]
    assert sub["status"] == "disabled" and sub["url"] == receiver.url
    secrets = hookd.native("GET", f"/api/v1/apps/cams/subscriptions/{sub['id']}/secret", account=account)
    assert secrets["vendor_secrets"] == {"QueueFlag": "Y"}
    queued = subs["cams#queue"]
    assert (queued["url"], queued["status"], queued["format"]) == ("hookd:cams-queue", "enabled", "cams")


def queued_reports(hookd, event_id, timeout=10.0):
    """The bodies of the entries for `event_id` in the server's CAMS queue (a Redis stream)."""
    conn = redis.Redis(host="127.0.0.1", port=6379)
    deadline = time.time() + timeout
    while True:
        found = [fields for _, fields in conn.xrange(hookd.cams_queue)
                 if fields[b"webhook-id"].decode() == event_id]
        if found or time.time() > deadline:
            return [json.loads(f[b"body"]) for f in found]
        time.sleep(0.1)


def test_cams_queue_flag_routes_receipts_to_the_operator_queue(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    cams = CamsClient(config(hookd, key_id, secret))
    assert webhook(cams, receiver.url, http="Y", queue="Y").body.code == "OK"
    publish = lambda n: hookd.native("POST", "/api/v1/apps/cams/events", account=account,
                                     json={"type": "cams.status", "payload": {"MessageId": n, "Status": "READ"}})
    event = publish("q1")
    assert queued_reports(hookd, event["id"]) == [[{"MessageId": "q1", "Status": "READ"}]]
    assert len(receiver.wait_for(1)) == 1, "HttpFlag=Y still calls the status URL"

    # QueueFlag=N stops the queue; HttpFlag=N the URL.
    assert webhook(cams, queue="N", http="N").body.code == "OK"
    event = publish("q2")
    time.sleep(1.0)
    assert queued_reports(hookd, event["id"], timeout=0) == []
    assert len(receiver.requests) == 1

    # A queue-only account needs no status URL.
    other, key_id, secret = hookd.tenant()
    only_queue = CamsClient(config(hookd, key_id, secret))
    assert webhook(only_queue, http="N", queue="Y").body.code == "OK"
    assert [s["source"] for s in native_subs(hookd, other, "cams")] == ["cams#queue"]


def test_cams_queue_flag_needs_an_operator_queue():
    server, cleanup = start_hookd("sqlite")
    try:
        _, key_id, secret = server.tenant()
        cams = CamsClient(config(server, key_id, secret))
        code, e = fails(lambda: webhook(cams, "http://127.0.0.1:9/", queue="Y"))
        assert code == "InvalidParameter" and "HOOKD_CAMS_QUEUE" in e.message
        assert webhook(cams, "http://127.0.0.1:9/", queue="N").body.code == "OK"
    finally:
        cleanup()


def test_cams_phone_webhook(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    cams = CamsClient(config(hookd, key_id, secret))
    body = cams.update_phone_webhook(cams_models.UpdatePhoneWebhookRequest(
        phone_number="8613800000000", http_flag="Y", queue_flag="N",
        status_callback_url=receiver.url, up_callback_url="http://127.0.0.1:9/up")).body
    assert body.code == "OK"
    subs = {s["source"]: s for s in native_subs(hookd, account, "cams")}
    assert set(subs) == {"cams:phone:status:8613800000000", "cams:phone:inbound:8613800000000"}
    status = subs["cams:phone:status:8613800000000"]
    assert (status["url"], status["channel_id"], status["event_types"]) == (receiver.url, "8613800000000", ["cams.status"])
    assert subs["cams:phone:inbound:8613800000000"]["event_types"] == ["cams.inbound"]

    publish = lambda channel: hookd.native("POST", "/api/v1/apps/cams/events", account=account,
                                           json={"type": "cams.status", "payload": {}, "channel_id": channel})
    publish("8613800000000")
    publish("8613900000000")
    time.sleep(0.5)
    assert len(receiver.wait_for(1)) == 1, "only the number's own reports arrive"
    code, _ = fails(lambda: cams.update_phone_webhook(cams_models.UpdatePhoneWebhookRequest(phone_number="86139", http_flag="Y")))
    assert code == "MissingParameter"


def test_cams_child_accounts_and_denials(hookd):
    parent, key_id, secret = hookd.tenant()
    child, _, _ = hookd.tenant(parent=parent)
    stranger, _, _ = hookd.tenant()
    cams = CamsClient(config(hookd, key_id, secret))
    webhook(cams, "http://127.0.0.1:9/status", cust=child)
    assert len(native_subs(hookd, child, "cams")) == 1
    assert native_subs(hookd, parent, "cams") == []
    assert fails(lambda: webhook(cams, "http://127.0.0.1:9/", cust=stranger))[0] == "Unknown.ResourceOwnerId"

    _, key_id, secret = hookd.tenant(products=["ess"])
    assert fails(lambda: webhook(CamsClient(config(hookd, key_id, secret)), "http://127.0.0.1:9/"))[0] == "Product.Unsubscript"
    _, key_id, secret = hookd.tenant(policy=["live:*"])
    code, e = fails(lambda: webhook(CamsClient(config(hookd, key_id, secret)), "http://127.0.0.1:9/"))
    assert code == "Ram.PermissionDeny"
    assert e.data["AccessDeniedDetail"]["AuthAction"] == "cams:UpdateAccountWebhook"
    assert fails(lambda: webhook(cams, "ftp://example.com/"))[0] == "InvalidParameter"
    assert fails(lambda: webhook(cams, "http://127.0.0.1:9/", http="maybe"))[0] == "InvalidParameter"


def test_cams_throttled_at_ten_per_second(hookd):
    _, key_id, secret = hookd.tenant()
    cams = CamsClient(config(hookd, key_id, secret))
    results = []
    for _ in range(11):
        try:
            results.append(webhook(cams, "http://127.0.0.1:9/").body.code)
        except TeaException as e:
            results.append(e.code)
    assert results == ["OK"] * 10 + ["System.LimitControl"], results
    time.sleep(1.0)
    assert webhook(cams, "http://127.0.0.1:9/").body.code == "OK"


def test_rpc_signature_is_accepted(hookd):
    account, key_id, secret = hookd.tenant()
    cams = CamsClient(config(hookd, key_id, secret, signature_algorithm="v2"))
    assert webhook(cams, "http://127.0.0.1:9/v2").body.code == "OK"
    assert native_subs(hookd, account, "cams")[0]["url"] == "http://127.0.0.1:9/v2"
    bad = CamsClient(config(hookd, key_id, secret + "x", signature_algorithm="v2"))
    assert fails(lambda: webhook(bad, "http://127.0.0.1:9/"))[0] == "SignatureDoesNotMatch"


# --- signatures, written independently of hookd -----------------------------------------------------

def acs3_request(hookd, key_id, secret, query, nonce=None, date=None):
    """An ACS3-HMAC-SHA256 signed UpdateAccountWebhook, following Alibaba Cloud's documentation."""
    host = hookd.base.removeprefix("http://")
    headers = {
        "host": host, "x-acs-action": "UpdateAccountWebhook", "x-acs-version": "2020-06-06",
        "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")
    canonical_query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query.items()))
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", canonical_query] + [f"{k}:{headers[k]}" for k in sorted(headers)]
                          + ["", signed, headers["x-acs-content-sha256"]])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={signed},Signature={sig}"
    return headers


def test_signature_rejections(hookd):
    _, key_id, secret = hookd.tenant()
    assert fails(lambda: webhook(CamsClient(config(hookd, key_id, secret + "x")), "http://127.0.0.1:9/"))[0] == "SignatureDoesNotMatch"
    assert fails(lambda: webhook(CamsClient(config(hookd, "LTAIunknown", secret)), "http://127.0.0.1:9/"))[0] == "InvalidAccessKeyId.NotFound"

    query = {"StatusCallbackUrl": "http://127.0.0.1:9/x", "HttpFlag": "Y"}
    post = lambda headers, q=query: requests.post(hookd.base + "/?" + urllib.parse.urlencode(q), headers=headers)
    headers = acs3_request(hookd, key_id, secret, query)
    first = post(headers)
    assert first.status_code == 200 and first.json()["Code"] == "OK", first.text
    replay = post(headers)
    assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")
    altered = post(acs3_request(hookd, key_id, secret, query), dict(query, HttpFlag="N"))
    assert (altered.status_code, altered.json()["Code"]) == (400, "SignatureDoesNotMatch")
    stale = post(acs3_request(hookd, key_id, secret, query, date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))))
    assert (stale.status_code, stale.json()["Code"]) == (400, "InvalidTimeStamp.Expired")


# --- Live snapshot callbacks ---------------------------------------------------------------------------

def snapshot(live, op, **kw):
    names = {"add": "AddLiveSnapshotNotifyConfig", "update": "UpdateLiveSnapshotNotifyConfig",
             "describe": "DescribeLiveSnapshotNotifyConfig", "delete": "DeleteLiveSnapshotNotifyConfig"}
    request = getattr(live_models, names[op] + "Request")(**kw)
    method = {"add": live.add_live_snapshot_notify_config, "update": live.update_live_snapshot_notify_config,
              "describe": live.describe_live_snapshot_notify_config, "delete": live.delete_live_snapshot_notify_config}[op]
    return method(request).body


def test_live_snapshot_notify_config(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "live.example.com", "kind": "live-domain"})
    live = LiveClient(config(hookd, key_id, secret))
    d = "live.example.com"
    snapshot(live, "add", domain_name=d, notify_url=receiver.url, notify_req_auth="yes", notify_auth_key=AUTH_KEY)
    got = snapshot(live, "describe", domain_name=d)
    assert (got.domain_name, got.notify_url, got.notify_req_auth, got.notify_auth_key) == (d, receiver.url, "yes", AUTH_KEY)
    [sub] = native_subs(hookd, account, d)
    assert (sub["url"], sub["source"], sub["event_types"]) == (receiver.url, "live-snapshot", ["live.snapshot"])
    secrets = hookd.native("GET", f"/api/v1/apps/{d}/subscriptions/{sub['id']}/secret", account=account)
    assert secrets["vendor_secrets"] == {"NotifyReqAuth": "yes", "NotifyAuthKey": AUTH_KEY}

    hookd.native("POST", f"/api/v1/apps/{d}/events", account=account, json={"type": "live.snapshot", "payload": {"ossObject": "a.jpg"}})
    [delivered] = receiver.wait_for(1)
    assert receivers.live_snapshot(delivered, receiver.url, AUTH_KEY) == {"ossObject": "a.jpg"}

    code, e = fails(lambda: snapshot(live, "add", domain_name=d, notify_url=receiver.url))
    assert (code, e.status_code) == ("ConfigAlreadyExists", 409)
    snapshot(live, "update", domain_name=d, notify_url="http://127.0.0.1:9/new", notify_req_auth="no")
    got = snapshot(live, "describe", domain_name=d)
    assert (got.notify_url, got.notify_req_auth, got.notify_auth_key) == ("http://127.0.0.1:9/new", "no", "")
    snapshot(live, "delete", domain_name=d)
    for op in ("describe", "delete"):
        code, e = fails(lambda: snapshot(live, op, domain_name=d))
        assert (code, e.status_code) == ("ConfigNotFound", 400)
    code, e = fails(lambda: snapshot(live, "update", domain_name=d, notify_url=receiver.url))
    assert code == "ConfigNotFound"


def test_live_snapshot_errors(hookd):
    account, key_id, secret = hookd.tenant()
    other, _, _ = hookd.tenant()
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "live.example.com", "kind": "live-domain"})
    hookd.native("POST", "/api/v1/apps", account=other, json={"id": "theirs.example.com", "kind": "live-domain"})
    live = LiveClient(config(hookd, key_id, secret))
    d = "live.example.com"
    cases = [
        (dict(domain_name=d), "MissingParam", 400),
        (dict(domain_name=d, notify_url="not a url"), "MalformedParam", 400),
        (dict(domain_name=d, notify_url="http://127.0.0.1:9/" + "a" * 500), "MalformedParam", 400),
        (dict(domain_name=d, notify_url="http://127.0.0.1:9/", notify_req_auth="yes"), "MissingParam", 400),
        (dict(domain_name=d, notify_url="http://127.0.0.1:9/", notify_req_auth="yes", notify_auth_key="short"), "MalformedParam", 400),
        (dict(domain_name=d, notify_url="http://127.0.0.1:9/", notify_req_auth="yes", notify_auth_key="has-dash-0123456"), "MalformedParam", 400),
        (dict(domain_name=d, notify_url="http://127.0.0.1:9/", notify_req_auth="no", notify_auth_key=AUTH_KEY), "MalformedParam", 400),
        (dict(domain_name="nope.example.com", notify_url="http://127.0.0.1:9/"), "InvalidDomain.NotFound", 404),
        (dict(domain_name="theirs.example.com", notify_url="http://127.0.0.1:9/"), "InvalidDomain.NotFound", 404),
        (dict(domain_name="ops", notify_url="http://127.0.0.1:9/"), "InvalidDomain.NotFound", 404),
    ]
    for kw, code, status in cases:
        got, e = fails(lambda: snapshot(live, "add", **kw))
        assert (got, e.status_code) == (code, status), kw
    assert native_subs(hookd, account, d) == []


# --- Live RTC event subscriptions ----------------------------------------------------------------------

def create_sub(live, app="rtc01", url="http://127.0.0.1:9/ev", channel="ch1", users=None, events=("ChannelEvent",)):
    return live.create_event_sub(live_models.CreateEventSubRequest(
        app_id=app, callback_url=url, channel_id=channel, users=users, events=list(events))).body


def list_subs(live, app="rtc01"):
    return live.list_event_sub(live_models.ListEventSubRequest(app_id=app)).body.subscribers


def test_rtc_event_subscriptions(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "rtc01", "kind": "live-rtc"})
    live = LiveClient(config(hookd, key_id, secret))
    sub_id = create_sub(live, url=receiver.url, users=["u1", "u2"], events=["ChannelEvent", "UserEvent"]).subscribe_id
    [listed] = list_subs(live)
    assert (listed.sub_id, listed.callback_url, listed.channel_id) == (sub_id, receiver.url, "ch1")
    assert (sorted(listed.users), sorted(listed.events)) == (["u1", "u2"], ["ChannelEvent", "UserEvent"])
    native = hookd.native("GET", f"/api/v1/apps/rtc01/subscriptions/{sub_id}", account=account)
    assert (native["source"], native["channel_id"], native["users"]) == ("live-rtc", "ch1", ["u1", "u2"])

    publish = lambda **kw: hookd.native("POST", "/api/v1/apps/rtc01/events", account=account, json=kw)
    publish(type="UserEvent", payload={"Event": "join"}, channel_id="ch1", user_id="u1")
    publish(type="UserEvent", payload={"Event": "join"}, channel_id="ch1", user_id="u3")
    publish(type="UserEvent", payload={"Event": "join"}, channel_id="ch2", user_id="u1")
    time.sleep(0.5)
    [delivered] = receiver.wait_for(1)
    assert len(receiver.requests) == 1, "only the matching event is delivered"
    message = json.loads(delivered["body"])
    assert (message["SubscribeID"], message["AppId"], message["ChannelID"]) == (sub_id, "rtc01", "ch1")
    assert message["Contents"] == [{"Event": "UserEvent", "UserEvent": {"Event": "join"}}]

    live.update_event_sub(live_models.UpdateEventSubRequest(app_id="rtc01", subscribe_id=sub_id, users=["u3"]))
    assert list_subs(live)[0].users == ["u3"]
    live.delete_event_sub(live_models.DeleteEventSubRequest(app_id="rtc01", subscribe_id=sub_id))
    assert list_subs(live) == []
    code, _ = fails(lambda: live.delete_event_sub(live_models.DeleteEventSubRequest(app_id="rtc01", subscribe_id=sub_id)))
    assert code == "ResourceNotExist"


def test_rtc_limits_and_errors(hookd):
    account, key_id, secret = hookd.tenant()
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "rtc01", "kind": "live-rtc"})
    live = LiveClient(config(hookd, key_id, secret))
    create_sub(live, channel=None)
    assert fails(lambda: create_sub(live, channel=None))[0] == "QuotaLimitError"
    for n in range(19):
        create_sub(live, channel=f"ch{n}")
    assert fails(lambda: create_sub(live, channel="ch-last"))[0] == "QuotaLimitError"
    assert len(list_subs(live)) == 20

    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "rtc02", "kind": "live-rtc"})
    assert fails(lambda: create_sub(live, app="rtc02", users=[f"u{i}" for i in range(31)]))[0] == "InputInvalid"
    assert fails(lambda: create_sub(live, app="rtc02", events=["ChannelEvent"] * 6))[0] == "InputInvalid"
    assert fails(lambda: create_sub(live, app="rtc02", events=["Bogus"]))[0] == "InputInvalid"
    assert fails(lambda: create_sub(live, app="rtc02", url="not a url"))[0] == "ErrorInvalidCallBackUrl"
    assert fails(lambda: create_sub(live, app="missing"))[0] == "ResourceNotExist"
    assert fails(lambda: live.update_event_sub(live_models.UpdateEventSubRequest(app_id="rtc02", subscribe_id="sub_nope", users=["u"])))[0] == "ResourceNotExist"

    _, key_id, secret = hookd.tenant(policy=["cams:*"])
    assert fails(lambda: create_sub(LiveClient(config(hookd, key_id, secret))))[0] == "NoAuth"
