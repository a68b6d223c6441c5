"""Huawei Cloud Meeting App ID authentication and webhook link-config, driven with the official Python SDK
(huaweicloudsdkmeeting) pointed at hookd over HTTPS by changing only the endpoint."""
import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
import receivers
import requests
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import (DeleteWebHookConfigRequest, MeetingClient, SetWebHookConfigRequest,
                                      ShowWebHookConfigRequest, UpdateWebHookConfigStatusRequest,
                                      WebHookConfigRequest)
from huaweicloudsdkmeeting.v1.meeting_credentials import AuthTypeEnum, MeetingCredentials, TenantSceneEnum

from conftest import Receiver

SUBSCRIBER_KEY = "subscriber-key-0123456789"


def client(hookd, key_id, secret, corp=None):
    cfg = HttpConfig.get_default_config()
    cfg.ssl_ca_cert = hookd.verify
    cred = (MeetingCredentials().with_auth_type_enum(AuthTypeEnum.APP_ID)
            .with_app_id(key_id).with_app_key(secret).with_user_id("user01"))
    if corp:
        cred = cred.with_tenant_scene_enum(TenantSceneEnum.MULTI_TENANT).with_corp_id(corp)
    return (MeetingClient.new_builder().with_http_config(cfg).with_credentials(cred)
            .with_endpoint(hookd.base).build())


def set_config(c, url, corp=None):
    return c.set_web_hook_config(SetWebHookConfigRequest(body=WebHookConfigRequest(
        corp_id=corp, subscriber_id="app-in-callbacks", subscriber_key=SUBSCRIBER_KEY, url=url)))


def show(c, corp=None):
    return c.show_web_hook_config(ShowWebHookConfigRequest(corp_id=corp))


def fails(call):
    with pytest.raises(ClientRequestException) as e:
        call()
    return e.value.status_code, e.value.error_code, e.value.error_msg


def echo_nonce(body):
    """A receiver that passes the meeting.verify handshake."""
    try:
        return json.dumps({"nonce": json.loads(body)["nonce"]}).encode()
    except (ValueError, KeyError):
        return b"ok"


def test_link_config_lifecycle(hookd_tls, tls_cert):
    receiver = Receiver(tls=tls_cert, answer=echo_nonce)
    account, key_id, secret = hookd_tls.tenant()
    c = client(hookd_tls, key_id, secret)
    set_config(c, receiver.url)
    shown = show(c)
    assert (shown.url, shown.subscriber_id, shown.status) == (receiver.url, "app-in-callbacks", 1)
    [sub] = hookd_tls.native("GET", "/api/v1/apps/meeting/subscriptions", account=account)["data"]
    assert (sub["id"], sub["source"], sub["status"]) == (shown.id, "meeting", "disabled")
    secrets = hookd_tls.native("GET", f"/api/v1/apps/meeting/subscriptions/{sub['id']}/secret", account=account)
    assert secrets["vendor_secrets"] == {"subscriberId": "app-in-callbacks", "subscriberKey": SUBSCRIBER_KEY}

    c.update_web_hook_config_status(UpdateWebHookConfigStatusRequest(id=shown.id, status=0))
    [verify] = receiver.requests
    message = receivers.meeting(verify["body"], SUBSCRIBER_KEY)
    assert message["eventInfo"]["event"] == "meeting.verify" and message["appID"] == "app-in-callbacks"
    assert show(c).status == 0

    event = hookd_tls.native("POST", "/api/v1/apps/meeting/events", account=account,
                             json={"type": "meeting.started", "payload": {"meetingID": "m1"}})
    got = receiver.wait_for(2)
    assert len(got) == 2 and got[1]["headers"]["webhook-id"] == event["id"]
    delivered = receivers.meeting(got[1]["body"], SUBSCRIBER_KEY)
    assert delivered["eventInfo"] == {"event": "meeting.started", "timestamp": delivered["eventInfo"]["timestamp"],
                                      "payload": {"meetingID": "m1"}}

    c.update_web_hook_config_status(UpdateWebHookConfigStatusRequest(id=shown.id, status=2))
    assert show(c).status == 2
    c.delete_web_hook_config(DeleteWebHookConfigRequest(id=shown.id))
    assert fails(lambda: show(c))[0] == 404
    assert fails(lambda: c.delete_web_hook_config(DeleteWebHookConfigRequest(id=shown.id)))[0] == 404
    receiver.server.shutdown()


def test_tokens_survive_a_restart(hookd_tls):
    """The SDK keeps its token for 12 hours and never renews it on a 401, so tokens must outlive restarts."""
    _, key_id, secret = hookd_tls.tenant()
    c = client(hookd_tls, key_id, secret)
    set_config(c, "https://127.0.0.1:9/meeting")
    hookd_tls.restart()
    assert show(c).url == "https://127.0.0.1:9/meeting"


def test_enabling_needs_the_nonce_echoed(hookd_tls, tls_cert):
    silent = Receiver(tls=tls_cert)  # answers 200 with an empty body
    _, key_id, secret = hookd_tls.tenant()
    c = client(hookd_tls, key_id, secret)
    set_config(c, silent.url)
    config_id = show(c).id
    status, code, message = fails(lambda: c.update_web_hook_config_status(UpdateWebHookConfigStatusRequest(id=config_id, status=0)))
    assert status == 400 and "meeting.verify" in message and "nonce" in message, message
    assert show(c).status == 1, "the status stays unchanged"
    assert len(silent.requests) == 1
    silent.server.shutdown()


def test_parameter_errors_and_scoping(hookd_tls, tls_cert):
    parent, key_id, secret = hookd_tls.tenant()
    child, _, _ = hookd_tls.tenant(parent=parent)
    stranger, _, _ = hookd_tls.tenant()
    c = client(hookd_tls, key_id, secret)
    assert fails(lambda: set_config(c, "http://127.0.0.1:9/plain"))[0] == 400
    set_config(c, "https://127.0.0.1:9/child", corp=child)
    assert show(c, corp=child).url == "https://127.0.0.1:9/child"
    assert fails(lambda: show(c))[0] == 404
    assert fails(lambda: set_config(c, "https://127.0.0.1:9/x", corp=stranger))[0] == 403
    assert fails(lambda: show(client(hookd_tls, key_id, secret, corp=stranger)))[0] == 403

    _, key_id, secret = hookd_tls.tenant(policy=["live:*"])
    assert fails(lambda: set_config(client(hookd_tls, key_id, secret), "https://127.0.0.1:9/"))[0] == 403


def app_auth(hookd, app_id, app_key, nonce=None, expire=None, user="user01"):
    """App ID authentication as Huawei documents it, written independently of hookd."""
    nonce = nonce or uuid.uuid4().hex
    expire = expire or int(time.time()) + 600
    data = f"{app_id}:{user}:{expire}:{nonce}"
    signature = hmac.new(app_key.encode(), data.encode(), hashlib.sha256).hexdigest().upper()
    headers = {"Authorization": f"HMAC-SHA256 signature={signature},access={base64.b64encode(app_id.encode()).decode()}",
               "Content-Type": "application/json"}
    body = {"appId": app_id, "userId": user, "corpId": None, "expireTime": expire, "nonce": nonce, "clientType": 72}
    return headers, body


def test_app_auth_rejections(hookd_tls):
    _, key_id, secret = hookd_tls.tenant()
    assert fails(lambda: show(client(hookd_tls, key_id, secret + "x")))[0] == 401
    assert fails(lambda: show(client(hookd_tls, "HKunknownappid0000000000000", secret)))[0] == 401

    url = hookd_tls.base + "/v2/usg/acs/auth/appauth"
    post = lambda headers, body: requests.post(url, headers=headers, data=json.dumps(body), verify=hookd_tls.verify)
    headers, body = app_auth(hookd_tls, key_id, secret)
    first = post(headers, body)
    assert first.status_code == 200 and first.json()["validPeriod"] >= 12 * 3600, first.text
    token = first.json()["accessToken"]
    assert post(headers, body).status_code == 401, "a replayed nonce is refused"
    headers, body = app_auth(hookd_tls, key_id, secret)
    assert post(headers, dict(body, userId="someone-else")).status_code == 401, "an altered body is refused"
    headers, body = app_auth(hookd_tls, key_id, secret, expire=int(time.time()) - 10)
    assert post(headers, body).json()["error_code"].startswith("USG.")
    assert post(headers, body).status_code == 401, "an expired request is refused"

    config = hookd_tls.base + "/v1/mmc/management/webhook/link-config"
    ok = requests.get(config, headers={"X-Access-Token": token}, verify=hookd_tls.verify)
    assert ok.status_code == 404 and ok.headers.get("X-Request-Id")
    bad = requests.get(config, headers={"X-Access-Token": "bogus"}, verify=hookd_tls.verify)
    assert bad.status_code == 401 and bad.json()["error_code"] == "USG.000000004"


def test_a_key_bound_to_a_user_authenticates_only_as_that_user(hookd_tls):
    account, _, _ = hookd_tls.tenant()
    bound = hookd_tls.native("POST", f"/api/v1/accounts/{account}/keys", json={"policy": ["*"], "user_id": "user01"})
    other = hookd_tls.native("POST", f"/api/v1/accounts/{account}/keys", json={"policy": ["*"], "user_id": "user02"})
    # The official SDK authenticates as user01: allowed for the key bound to user01 (the account has no
    # config yet: 404), refused for user02's.
    assert fails(lambda: show(client(hookd_tls, bound["key_id"], bound["secret"])))[0] == 404
    status, code, message = fails(lambda: show(client(hookd_tls, other["key_id"], other["secret"])))
    assert (status, code) == (401, "USG.000000004"), message
    url = hookd_tls.base + "/v2/usg/acs/auth/appauth"
    post = lambda headers, body: requests.post(url, headers=headers, data=json.dumps(body), verify=hookd_tls.verify)
    answer = post(*app_auth(hookd_tls, other["key_id"], other["secret"], user=""))
    assert answer.status_code == 200 and answer.json()["user"]["userId"] == "user02", answer.text


def account_client(hookd, user_name, password):
    """The SDK's default sign-in: account and password (`Basic`), here a key's id and secret."""
    cfg = HttpConfig.get_default_config()
    cfg.ssl_ca_cert = hookd.verify
    return (MeetingClient.new_builder().with_http_config(cfg)
            .with_credentials(MeetingCredentials(user_name=user_name, user_password=password))
            .with_endpoint(hookd.base).build())


def test_account_sign_in(hookd_tls, tls_cert):
    receiver = Receiver(tls=tls_cert, answer=echo_nonce)
    account, key_id, secret = hookd_tls.tenant()
    c = account_client(hookd_tls, key_id, secret)
    set_config(c, receiver.url)
    assert show(c).url == receiver.url
    [sub] = hookd_tls.native("GET", "/api/v1/apps/meeting/subscriptions", account=account)["data"]
    assert sub["url"] == receiver.url

    for name, password in [(key_id, secret + "x"), ("HKunknownappid0000000000000", secret), (key_id, "")]:
        status, code, _ = fails(lambda: show(account_client(hookd_tls, name, password)))
        assert (status, code) == (401, "USG.000000004"), name
    url = hookd_tls.base + "/v1/usg/acs/auth/account"
    basic = "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    other = requests.post(url, headers={"Authorization": basic}, json={"account": "someone-else", "clientType": 72},
                          verify=hookd_tls.verify)
    assert other.status_code == 401, "the body's account must be the signed-in one"
    bound = hookd_tls.native("POST", f"/api/v1/accounts/{account}/keys", json={"policy": ["*"], "user_id": "user07"})
    basic = "Basic " + base64.b64encode(f"{bound['key_id']}:{bound['secret']}".encode()).decode()
    answer = requests.post(url, headers={"Authorization": basic}, json={"account": bound["key_id"], "clientType": 72},
                           verify=hookd_tls.verify)
    assert answer.status_code == 200 and answer.json()["user"]["userId"] == "user07", answer.text
