"""Tenant isolation on the dialect surfaces, through the vendors' SDKs: every action that names another
account or one of its resources answers a stranger exactly as it answers a name that does not exist (same
status and code), so a key cannot even detect another account's resources; a child cannot act for its
parent. (The native API is swept route by route in crates/hookd/tests/api/tenancy.rs.)"""
import test_aliyun as aliyun
import test_huawei_meeting as meeting
import test_tencent_ess as ess
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_live20161101 import models as live_models
from alibabacloud_live20161101.client import Client as LiveClient

MISSING_ACCOUNT = "acc_01m0000000000000000000zzzz"


def test_cams_names_only_own_children(hookd):
    parent, key_id, secret = hookd.tenant()
    child, child_key, child_secret = hookd.tenant(parent=parent)
    stranger, _, _ = hookd.tenant()
    cams = CamsClient(aliyun.config(hookd, key_id, secret))
    answer = lambda client, cust: aliyun.fails(lambda: aliyun.webhook(client, "http://127.0.0.1:9/", cust=cust))
    stranger_code, stranger_e = answer(cams, stranger)
    missing_code, missing_e = answer(cams, MISSING_ACCOUNT)
    assert (stranger_code, stranger_e.status_code) == (missing_code, missing_e.status_code)
    child_cams = CamsClient(aliyun.config(hookd, child_key, child_secret))
    code, e = answer(child_cams, parent)
    assert (code, e.status_code) == (missing_code, missing_e.status_code), "a child named its parent"
    for account in (stranger, parent):
        assert aliyun.native_subs(hookd, account, "cams") == []


def test_live_snapshot_configs_of_others_are_not_found(hookd, receiver):
    owner, owner_key, owner_secret = hookd.tenant()
    _, key_id, secret = hookd.tenant()
    theirs = "theirs.example.com"
    hookd.native("POST", "/api/v1/apps", account=owner, json={"id": theirs, "kind": "live-domain"})
    owner_live = LiveClient(aliyun.config(hookd, owner_key, owner_secret))
    aliyun.snapshot(owner_live, "add", domain_name=theirs, notify_url=receiver.url)
    live = LiveClient(aliyun.config(hookd, key_id, secret))
    for op, kw in [("describe", {}), ("delete", {}), ("update", {"notify_url": "http://127.0.0.1:9/x"}),
                   ("add", {"notify_url": "http://127.0.0.1:9/x"})]:
        got, e = aliyun.fails(lambda: aliyun.snapshot(live, op, domain_name=theirs, **kw))
        expected, e2 = aliyun.fails(lambda: aliyun.snapshot(live, op, domain_name="nothing.example.com", **kw))
        assert (got, e.status_code) == (expected, e2.status_code), op
    assert aliyun.snapshot(owner_live, "describe", domain_name=theirs).notify_url == receiver.url


def test_rtc_subscriptions_of_others_are_not_found(hookd):
    owner, owner_key, owner_secret = hookd.tenant()
    mine, key_id, secret = hookd.tenant()
    for account in (owner, mine):
        hookd.native("POST", "/api/v1/apps", account=account, json={"id": "rtc01", "kind": "live-rtc"})
    hookd.native("POST", "/api/v1/apps", account=owner, json={"id": "rtc02", "kind": "live-rtc"})
    owner_live = LiveClient(aliyun.config(hookd, owner_key, owner_secret))
    theirs = aliyun.create_sub(owner_live).subscribe_id
    live = LiveClient(aliyun.config(hookd, key_id, secret))

    # Their subscription id inside my app of the same name, and their app: as if they did not exist.
    calls = {
        "update": lambda sub, app="rtc01": live.update_event_sub(
            live_models.UpdateEventSubRequest(app_id=app, subscribe_id=sub, users=["u9"])),
        "delete": lambda sub, app="rtc01": live.delete_event_sub(
            live_models.DeleteEventSubRequest(app_id=app, subscribe_id=sub)),
    }
    for name, call in calls.items():
        got, e = aliyun.fails(lambda: call(theirs))
        expected, e2 = aliyun.fails(lambda: call(theirs[:-4] + "zzzz"))
        assert (got, e.status_code) == (expected, e2.status_code), name
    got, e = aliyun.fails(lambda: aliyun.create_sub(live, app="rtc02"))
    expected, e2 = aliyun.fails(lambda: aliyun.create_sub(live, app="rtc99"))
    assert (got, e.status_code) == (expected, e2.status_code)
    assert aliyun.list_subs(live) == []
    [kept] = aliyun.list_subs(owner_live)
    assert kept.sub_id == theirs and kept.users != ["u9"], "their subscription is untouched"


def test_ess_agent_names_only_own_children(hookd, receiver):
    parent, key_id, secret = hookd.tenant()
    child, child_key, child_secret = hookd.tenant(parent=parent)
    stranger, _, _ = hookd.tenant()
    c = ess.client(hookd, key_id, secret)
    got = ess.error_code(lambda: ess.modify(c, receiver.url, proxy=stranger))[0]
    expected = ess.error_code(lambda: ess.modify(c, receiver.url, proxy=MISSING_ACCOUNT))[0]
    assert got == expected
    child_client = ess.client(hookd, child_key, child_secret)
    assert ess.error_code(lambda: ess.modify(child_client, receiver.url, proxy=parent))[0] == expected
    for account in (stranger, parent):
        assert ess.ess_subscriptions(hookd, account) == []


def test_meeting_corp_names_only_own_children(hookd_tls, tls_cert):
    parent, key_id, secret = hookd_tls.tenant()
    child, child_key, child_secret = hookd_tls.tenant(parent=parent)
    stranger, _, _ = hookd_tls.tenant()
    # A fresh client for each call: the SDK keeps what it learnt from the last answer.
    set_as = lambda corp: meeting.set_config(meeting.client(hookd_tls, key_id, secret), "https://127.0.0.1:9/x", corp=corp)
    got = meeting.fails(lambda: set_as(stranger))[:2]
    expected = meeting.fails(lambda: set_as(MISSING_ACCOUNT))[:2]
    assert got == expected
    got = meeting.fails(lambda: meeting.show(meeting.client(hookd_tls, key_id, secret, corp=stranger)))[:2]
    expected = meeting.fails(lambda: meeting.show(meeting.client(hookd_tls, key_id, secret, corp=MISSING_ACCOUNT)))[:2]
    assert got == expected
    child_as = lambda corp: meeting.set_config(meeting.client(hookd_tls, child_key, child_secret), "https://127.0.0.1:9/x", corp=corp)
    assert meeting.fails(lambda: child_as(parent))[:2] == meeting.fails(lambda: child_as(MISSING_ACCOUNT))[:2]
