"""Tencent Cloud ESS 2020-11-11 `ModifyApplicationCallbackInfo`, driven with the official Python SDK
(tencentcloud-sdk-python-ess) pointed at hookd by changing only the endpoint."""
import hashlib
import hmac
import json
import time
from unittest import mock

import pytest
import receivers
import requests
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ess.v20201111 import ess_client, models

KEY = "0123456789abcdef0123456789abcdef"


def client(hookd, key_id, secret):
    endpoint = hookd.base.removeprefix("http://")
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"))
    return ess_client.EssClient(credential.Credential(key_id, secret), "ap-guangzhou", profile)


def modify(c, url, operate_type=1, user="user-1", proxy=None, key=KEY, token="tok_ABC"):
    body = {"Operator": {"UserId": user}, "OperateType": operate_type,
            "CallbackInfo": {"CallbackUrl": url, "CallbackKey": key, "CallbackToken": token}}
    if proxy:
        body["Agent"] = {"ProxyOrganizationId": proxy}
    req = models.ModifyApplicationCallbackInfoRequest()
    req.from_json_string(json.dumps(body))
    return c.ModifyApplicationCallbackInfo(req)


def error_code(call):
    with pytest.raises(TencentCloudSDKException) as e:
        call()
    return e.value.get_code(), e.value.get_message()


def ess_subscriptions(hookd, account):
    return hookd.native("GET", "/api/v1/apps/ess/subscriptions", account=account)["data"]


def test_add_delete_and_native_view(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    c = client(hookd, key_id, secret)
    assert modify(c, receiver.url).RequestId
    assert modify(c, receiver.url).RequestId, "adding an existing URL changes nothing and succeeds"
    subs = ess_subscriptions(hookd, account)
    assert [s["url"] for s in subs] == [receiver.url]
    assert subs[0]["source"] == "ess"
    secrets = hookd.native("GET", f"/api/v1/apps/ess/subscriptions/{subs[0]['id']}/secret", account=account)
    assert secrets["vendor_secrets"] == {"CallbackKey": KEY, "CallbackToken": "tok_ABC"}

    # An event published through the native API to the ess app reaches the configured URL.
    event = hookd.native("POST", "/api/v1/apps/ess/events", account=account,
                         json={"type": "FlowStatusChange", "payload": {"FlowId": "f1"}})
    got = receiver.wait_for(1)
    assert len(got) == 1
    message = receivers.ess(got[0], callback_key=KEY, callback_token="tok_ABC")
    assert message == {"MsgId": event["id"], "MsgType": "FlowStatusChange", "MsgVersion": "CustomApp",
                       "MsgData": {"FlowId": "f1"}}

    assert modify(c, receiver.url, operate_type=2).RequestId
    assert ess_subscriptions(hookd, account) == []
    assert error_code(lambda: modify(c, receiver.url, operate_type=2)) == ("FailedOperation", "当前配置不存在")


def test_agent_acts_for_child_organizations_only(hookd, receiver):
    parent, key_id, secret = hookd.tenant()
    child, _, _ = hookd.tenant(parent=parent)
    stranger, _, _ = hookd.tenant()
    c = client(hookd, key_id, secret)
    modify(c, receiver.url, proxy=child)
    assert [s["url"] for s in ess_subscriptions(hookd, child)] == [receiver.url]
    assert ess_subscriptions(hookd, parent) == []
    code, message = error_code(lambda: modify(c, receiver.url, proxy=stranger))
    assert code == "InvalidParameterValue" and "ProxyOrganizationId" in message


def test_parameter_errors(hookd):
    _, key_id, secret = hookd.tenant()
    c = client(hookd, key_id, secret)
    assert error_code(lambda: modify(c, "http://127.0.0.1:9/", user=""))[0] == "InvalidParameter.ParamError"
    assert error_code(lambda: modify(c, "http://127.0.0.1:9/", operate_type=3))[0] == "InvalidParameterValue"
    assert error_code(lambda: modify(c, "ftp://example.com/"))[0] == "InvalidParameterValue"
    assert error_code(lambda: modify(c, "http://10.0.0.1/"))[0] == "InvalidParameterValue"
    assert error_code(lambda: modify(c, "http://127.0.0.1:9/", key="short"))[0] == "InvalidParameterValue"


def test_policy_and_product_denials(hookd):
    _, key_id, secret = hookd.tenant(policy=["live:*"])
    code, _ = error_code(lambda: modify(client(hookd, key_id, secret), "http://127.0.0.1:9/"))
    assert code == "UnauthorizedOperation.NoPermissionFeature"
    _, key_id, secret = hookd.tenant(products=["cams"])
    code, _ = error_code(lambda: modify(client(hookd, key_id, secret), "http://127.0.0.1:9/"))
    assert code == "UnauthorizedOperation.NoPermissionFeature"


def test_key_bound_to_a_user_acts_only_as_that_operator(hookd, receiver):
    account, _, _ = hookd.tenant()
    bound = hookd.native("POST", f"/api/v1/accounts/{account}/keys", json={"policy": ["*"], "user_id": "user-1"})
    c = client(hookd, bound["key_id"], bound["secret"])
    code, message = error_code(lambda: modify(c, receiver.url, user="user-2"))
    assert code == "OperationDenied.OperatorHasNoPermission" and "user-2" in message
    assert ess_subscriptions(hookd, account) == []
    assert modify(c, receiver.url, user="user-1").RequestId
    assert [s["url"] for s in ess_subscriptions(hookd, account)] == [receiver.url]
    code, _ = error_code(lambda: modify(c, receiver.url, operate_type=2, user="user-2"))
    assert code == "OperationDenied.OperatorHasNoPermission"
    assert len(ess_subscriptions(hookd, account)) == 1

    # A key without a user acts as any operator of its account.
    unbound = hookd.native("POST", f"/api/v1/accounts/{account}/keys", json={"policy": ["*"]})
    assert modify(client(hookd, unbound["key_id"], unbound["secret"]), receiver.url, operate_type=2, user="user-2").RequestId
    assert ess_subscriptions(hookd, account) == []


def test_signature_rejections(hookd):
    _, key_id, secret = hookd.tenant()
    assert error_code(lambda: modify(client(hookd, key_id, secret + "x"), "http://127.0.0.1:9/"))[0] == "AuthFailure.SignatureFailure"
    assert error_code(lambda: modify(client(hookd, "AKIDunknown", secret), "http://127.0.0.1:9/"))[0] == "AuthFailure.SecretIdNotFound"
    stale = time.time() - 600
    with mock.patch("time.time", return_value=stale):
        assert error_code(lambda: modify(client(hookd, key_id, secret), "http://127.0.0.1:9/"))[0] == "AuthFailure.SignatureExpire"


def tc3_headers(host, key_id, secret, body, timestamp):
    """TC3-HMAC-SHA256 as Tencent documents it, written independently of hookd."""
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    canonical = "POST\n/\n\ncontent-type:application/json\nhost:%s\n\ncontent-type;host\n%s" % (
        host, hashlib.sha256(body).hexdigest())
    scope = f"{date}/ess/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    k = ("TC3" + secret).encode()
    for part in (date, "ess", "tc3_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json", "Host": host, "X-TC-Action": "ModifyApplicationCallbackInfo",
        "X-TC-Version": "2020-11-11", "X-TC-Timestamp": str(timestamp),
        "Authorization": f"TC3-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=content-type;host, Signature={sig}",
    }


def test_altered_body_is_refused(hookd, receiver):
    account, key_id, secret = hookd.tenant()
    host = hookd.base.removeprefix("http://")
    body = json.dumps({"Operator": {"UserId": "u"}, "OperateType": 1, "CallbackInfo": {"CallbackUrl": receiver.url}}).encode()
    headers = tc3_headers(host, key_id, secret, body, int(time.time()))
    ok = requests.post(hookd.base + "/", data=body, headers=headers).json()["Response"]
    assert "Error" not in ok, ok
    altered = body.replace(b'"u"', b'"v"')
    refused = requests.post(hookd.base + "/", data=altered, headers=headers).json()["Response"]
    assert refused["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert len(ess_subscriptions(hookd, account)) == 1


def test_throttled_at_twenty_per_second(hookd):
    _, key_id, secret = hookd.tenant()
    c = client(hookd, key_id, secret)
    codes = []
    for _ in range(21):
        try:
            modify(c, "http://127.0.0.1:9/")
            codes.append("ok")
        except TencentCloudSDKException as e:
            codes.append(e.get_code())
    assert codes[:20] == ["ok"] * 20 and codes[20] == "RequestLimitExceeded", codes
    time.sleep(1.0)
    assert modify(c, "http://127.0.0.1:9/").RequestId
