"""The same operations through the vendors' official Node.js clients (pinned in conformance/node), which sign
and encode requests in other documented ways than the Python SDKs: Alibaba's pop-core (RPC signature, every
parameter in the query string or a form body), the generated CAMS client and the generic OpenAPI client
(ACS3 or the RPC signature, parameters split between query and form body), and tencentcloud-sdk-nodejs
(TC3 over POST JSON and GET query, signing the host without its port and the service as the endpoint's first
label; the parameter signature with HmacSHA1 and HmacSHA256). No official Node.js package of ApsaraVideo Live
or Huawei Cloud Meeting is published; Live is driven through pop-core, Alibaba's generic client for it."""
import json
import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node")
    if not path or not os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
        pytest.fail("the Node.js clients are not installed: run `npm ci` in conformance/node (scripts/test does)")
    return path


def call(node, hookd, key_id, secret, **spec):
    """One call through a Node.js client; ("ok", result) or ("error", {code, message})."""
    spec.update(endpoint=hookd.base.removeprefix("http://"), key=key_id, secret=secret)
    out = subprocess.run([node, os.path.join(NODE_DIR, "call.js"), json.dumps(spec)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    [(kind, value)] = json.loads(out.stdout.strip().splitlines()[-1]).items()
    return kind, value


def subs(hookd, account, app):
    return hookd.native("GET", f"/api/v1/apps/{app}/subscriptions", account=account)["data"]


def cams_urls(hookd, account):
    return sorted(s["url"] for s in subs(hookd, account, "cams") if s["source"] == "cams")


# --- Alibaba -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "GET"])
def test_pop_core_rpc_form_body_and_query(hookd, node, method):
    account, key_id, secret = hookd.tenant()
    url = f"http://127.0.0.1:9/pop/{method.lower()}?x=1&y=a b"
    params = {"StatusCallbackUrl": url, "HttpFlag": "Y", "QueueFlag": "N"}
    spec = dict(client="pop-core", version="2020-06-06", action="UpdateAccountWebhook", params=params, method=method)
    kind, result = call(node, hookd, key_id, secret, **spec)
    assert kind == "ok" and result["Code"] == "OK", result
    stored = url.replace(" ", "%20")  # hookd stores the URL normalized
    assert cams_urls(hookd, account) == [stored]

    kind, error = call(node, hookd, key_id, secret + "x", **dict(spec, params=dict(params, StatusCallbackUrl="http://127.0.0.1:9/no")))
    assert (kind, error["code"]) == ("error", "SignatureDoesNotMatch"), error
    assert "server string to sign is:" + method + "&%2F&" in error["message"], "the refusal shows what hookd signed"
    assert secret not in error["message"]
    assert cams_urls(hookd, account) == [stored]


def test_pop_core_drives_live(hookd, node, receiver):
    account, key_id, secret = hookd.tenant()
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "rtc01", "kind": "live-rtc"})
    hookd.native("POST", "/api/v1/apps", account=account, json={"id": "live.example.com", "kind": "live-domain"})
    live = lambda action, params, method="POST": call(node, hookd, key_id, secret, client="pop-core",
                                                      version="2016-11-01", action=action, params=params, method=method)
    kind, created = live("CreateEventSub", {"AppId": "rtc01", "CallbackUrl": receiver.url, "ChannelId": "ch1",
                                            "Events": ["ChannelEvent", "UserEvent"], "Users": ["u1", "u2"]})
    assert kind == "ok", created
    [sub] = subs(hookd, account, "rtc01")
    assert (sub["id"], sub["url"], sub["users"]) == (created["SubscribeId"], receiver.url, ["u1", "u2"])
    kind, listed = live("ListEventSub", {"AppId": "rtc01"}, method="GET")
    assert kind == "ok" and [s["SubId"] for s in listed["Subscribers"]] == [created["SubscribeId"]], listed
    assert live("DeleteEventSub", {"AppId": "rtc01", "SubscribeId": created["SubscribeId"]})[0] == "ok"
    assert subs(hookd, account, "rtc01") == []

    kind, _ = live("AddLiveSnapshotNotifyConfig", {"DomainName": "live.example.com", "NotifyUrl": receiver.url})
    assert kind == "ok"
    kind, got = live("DescribeLiveSnapshotNotifyConfig", {"DomainName": "live.example.com"}, method="GET")
    assert kind == "ok" and got["NotifyUrl"] == receiver.url, got
    kind, error = live("AddLiveSnapshotNotifyConfig", {"DomainName": "live.example.com", "NotifyUrl": receiver.url})
    assert (kind, error["code"]) == ("error", "ConfigAlreadyExists")


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_generated_cams_client(hookd, node, algorithm):
    account, key_id, secret = hookd.tenant()
    spec = dict(client="cams", action="UpdatePhoneWebhook", signatureAlgorithm=algorithm,
                params={"phoneNumber": "8613800000000", "httpFlag": "Y", "queueFlag": "N",
                        "statusCallbackUrl": "http://127.0.0.1:9/status", "upCallbackUrl": "http://127.0.0.1:9/up"})
    kind, result = call(node, hookd, key_id, secret, **spec)
    assert kind == "ok" and result["code"] == "OK", result  # the generated client's response model
    assert {s["source"] for s in subs(hookd, account, "cams")} == {
        "cams:phone:status:8613800000000", "cams:phone:inbound:8613800000000"}
    kind, error = call(node, hookd, key_id, secret + "x", **spec)
    assert (kind, error["code"]) == ("error", "SignatureDoesNotMatch"), error


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_openapi_client_with_a_form_body(hookd, node, algorithm):
    """Action parameters in a form body: covered by x-acs-content-sha256 (ACS3) or, with the RPC signature,
    signed together with the query's parameters."""
    account, key_id, secret = hookd.tenant()
    url = f"http://127.0.0.1:9/body/{algorithm}"
    spec = dict(client="openapi", action="UpdateAccountWebhook", version="2020-06-06", signatureAlgorithm=algorithm,
                query={"HttpFlag": "Y"}, body={"StatusCallbackUrl": url, "QueueFlag": "N"})
    kind, result = call(node, hookd, key_id, secret, **spec)
    assert kind == "ok" and result["Code"] == "OK", result
    assert cams_urls(hookd, account) == [url]
    kind, error = call(node, hookd, key_id, secret + "x", **spec)
    assert (kind, error["code"]) == ("error", "SignatureDoesNotMatch"), error


# --- Tencent -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sign_method,method", [
    ("TC3-HMAC-SHA256", "POST"), ("TC3-HMAC-SHA256", "GET"), ("HmacSHA256", "POST"), ("HmacSHA1", "GET"),
    ("HmacSHA1", "POST"), ("HmacSHA256", "GET"),
])
def test_tencent_node_sdk(hookd, node, sign_method, method):
    account, key_id, secret = hookd.tenant()
    url = f"http://127.0.0.1:9/ess/{sign_method}/{method}?a=1"
    modify = lambda operate_type, secret=secret: call(
        node, hookd, key_id, secret, client="tencent", action="ModifyApplicationCallbackInfo", method=method,
        signMethod=sign_method,
        params={"Operator": {"UserId": "user-1"}, "OperateType": operate_type,
                "CallbackInfo": {"CallbackUrl": url, "CallbackKey": "0123456789abcdef0123456789abcdef"}})
    kind, result = modify(1)
    assert kind == "ok" and result["RequestId"], result
    [sub] = subs(hookd, account, "ess")
    assert sub["url"] == url
    secrets = hookd.native("GET", f"/api/v1/apps/ess/subscriptions/{sub['id']}/secret", account=account)
    assert secrets["vendor_secrets"] == {"CallbackKey": "0123456789abcdef0123456789abcdef"}

    kind, error = modify(2, secret=secret + "x")
    assert (kind, error["code"]) == ("error", "AuthFailure.SignatureFailure"), error
    assert "string to sign is:" in error["message"] and secret not in error["message"]
    assert len(subs(hookd, account, "ess")) == 1
    assert modify(2)[0] == "ok"
    assert subs(hookd, account, "ess") == []
