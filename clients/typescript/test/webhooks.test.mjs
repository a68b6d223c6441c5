// The receiving side against real deliveries: a local receiver gets hookd's callbacks for a subscription
// of each format; each verifier accepts the real delivery and refuses it with one byte of the body
// changed, with a wrong secret, and stale. The meeting.verify handshake is answered with the library's
// answer and hookd enables the config (through the Huawei Meeting dialect, the only way to enable one).
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { Hookd } from "hookd";
import {
  WebhookVerificationError,
  decodeCams,
  isMeetingVerify,
  meetingVerifyAnswer,
  verifyEss,
  verifyLiveSnapshot,
  verifyMeeting,
  verifyNative,
} from "hookd/webhooks";
import { ADMIN_TOKEN, makeTlsCert, startHookd, startReceiver, tenant, until } from "./harness.mjs";

const TEN_MINUTES = 10 * 60 * 1000;
const WRONG_SECRET = "whsec_" + Buffer.alloc(32, 7).toString("base64");

let hookd, tls, client, key, receiver;

before(async () => {
  tls = makeTlsCert();
  hookd = await startHookd({ HOOKD_DELIVERY__CA_CERTS: tls.caPath });
  const admin = new Hookd({ baseUrl: hookd.base, token: ADMIN_TOKEN });
  const t = await tenant(admin, "receivers");
  key = t.key;
  client = new Hookd({ baseUrl: hookd.base, token: t.token });
  receiver = await startReceiver();
});

after(async () => {
  await receiver?.close();
  await hookd?.stop();
  if (tls) rmSync(tls.dir, { recursive: true, force: true });
});

/** Subscribes `app` with `body` at a fresh path of the receiver, publishes `event`, returns the callback. */
let seq = 0;
async function deliver(app, body, event) {
  const type = `t${++seq}.happened`;
  await client.apps.create({ id: app }).catch(() => {});
  const sub = await client.subscriptions.create(app, { url: receiver.url, event_types: [type], ...body });
  const published = await client.events.publish(app, { type, ...event });
  const got = await until(() => receiver.requests.find((r) => r.headers["webhook-id"] === published.event.id), 15_000, `the ${body.format} callback`);
  return { sub, published, request: got };
}

/** The body with one byte changed: its last digit, so the result is still well-formed JSON of the same length. */
function tamper(body) {
  const copy = Buffer.from(body);
  let i = copy.length - 1;
  while (i >= 0 && !(copy[i] >= 0x30 && copy[i] <= 0x39)) i--;
  assert.ok(i >= 0, "the body has a digit to change");
  copy[i] = copy[i] === 0x31 ? 0x32 : 0x31;
  return copy;
}

const refuses = (fn, what) => assert.throws(fn, WebhookVerificationError, what);

describe("native (Standard Webhooks)", () => {
  test("verifies a real delivery; refuses a changed body, a wrong secret, a stale timestamp", async () => {
    const payload = { order: "o-1", total: 12.5, note: "naïve ✓" };
    const { sub, request } = await deliver("shop", {}, { payload });
    const { body, headers } = request;
    assert.deepEqual(verifyNative(body, headers, sub.secret), payload);
    assert.deepEqual(verifyNative(body.toString(), new Headers(headers), sub.secret), payload);
    refuses(() => verifyNative(tamper(body), headers, sub.secret), "changed body");
    refuses(() => verifyNative(body, headers, WRONG_SECRET), "wrong secret");
    refuses(() => verifyNative(body, headers, sub.secret, { now: Date.now() + TEN_MINUTES }), "stale by the clock");
    // A copy re-signed with the right secret but a timestamp ten minutes old.
    const old = new Date(Date.now() - TEN_MINUTES);
    const resigned = {
      ...headers,
      "webhook-timestamp": String(Math.floor(old.getTime() / 1000)),
      "webhook-signature": new Webhook(sub.secret).sign(headers["webhook-id"], old, body),
    };
    assert.deepEqual(verifyNative(body, resigned, sub.secret, { toleranceSeconds: 3600 }), payload);
    refuses(() => verifyNative(body, resigned, sub.secret), "stale re-signed copy");
    refuses(() => verifyNative(body, { ...headers, "webhook-signature": undefined }, sub.secret), "no signature");
  });
});

describe("cams", () => {
  test("decodes the report array; with the secret refuses a changed body, a wrong secret, stale", async () => {
    const report = { MessageId: "m-1", From: "8613800000000", To: "8613900000000", Timestamp: 1700000000000, Status: "DELIVERED" };
    const { sub, request } = await deliver("cams", { format: "cams" }, { payload: report });
    const { body, headers } = request;
    assert.deepEqual(decodeCams(body), [report]);
    assert.deepEqual(decodeCams(body, headers, { secret: sub.secret }), [report]);
    refuses(() => decodeCams(tamper(body), headers, { secret: sub.secret }), "changed body");
    refuses(() => decodeCams(body, headers, { secret: WRONG_SECRET }), "wrong secret");
    refuses(() => decodeCams(body, headers, { secret: sub.secret, now: Date.now() + TEN_MINUTES }), "stale");
    refuses(() => decodeCams('{"not": "an array"}'), "not an array");

    const many = [{ MessageId: "m-2", Status: "SENT" }, { MessageId: "m-3", Status: "READ" }];
    const second = await deliver("cams", { format: "cams" }, { payload: many });
    assert.deepEqual(decodeCams(second.request.body, second.request.headers, { secret: second.sub.secret }), many);
  });
});

describe("ess", () => {
  const callbackKey = "0123456789abcdef0123456789abcdef";
  const callbackToken = "ess-token-abc";

  test("decrypts and checks Content-Signature; refuses a changed body, a wrong token or key, stale", async () => {
    const payload = { FlowId: "f-1", FlowStatus: 2 };
    const { sub, request, published } = await deliver(
      "ess",
      { format: "ess", vendor_secrets: { CallbackKey: callbackKey, CallbackToken: callbackToken } },
      { payload },
    );
    const { body, headers } = request;
    assert.ok(JSON.parse(body).encrypt, "the body is encrypted");
    const message = verifyEss(body, headers, { callbackKey, callbackToken, secret: sub.secret });
    assert.equal(message.MsgId, published.event.id);
    assert.equal(message.MsgVersion, "CustomApp");
    assert.deepEqual(message.MsgData, payload);
    refuses(() => verifyEss(tamper(body), headers, { callbackKey, callbackToken }), "changed body");
    refuses(() => verifyEss(body, headers, { callbackKey, callbackToken: "another-token" }), "wrong token");
    refuses(() => verifyEss(body, headers, { callbackKey: "fedcba9876543210fedcba9876543210" }), "wrong key");
    refuses(() => verifyEss(body, headers, { callbackKey, callbackToken, secret: WRONG_SECRET }), "wrong whsec secret");
    refuses(() => verifyEss(body, headers, { callbackKey, callbackToken, secret: sub.secret, now: Date.now() + TEN_MINUTES }), "stale");
  });

  test("a plain (unencrypted) body with a token", async () => {
    const payload = { FlowId: "f-2" };
    const { request } = await deliver("ess", { format: "ess", vendor_secrets: { CallbackToken: callbackToken } }, { payload });
    assert.deepEqual(verifyEss(request.body, request.headers, { callbackToken }).MsgData, payload);
    refuses(() => verifyEss(request.body, { ...request.headers, "content-signature": undefined }, { callbackToken }), "no signature");
  });
});

describe("live-snapshot", () => {
  const notifyAuthKey = "live-auth-key-0123";

  test("checks ALI-LIVE-SIGNATURE; refuses a changed body (with the secret), a wrong key, stale", async () => {
    const payload = { DomainName: "live.example.com", AppName: "app", StreamName: "s1", OssObject: "snap.jpg" };
    const { sub, request } = await deliver(
      "live",
      { format: "live-snapshot", vendor_secrets: { NotifyReqAuth: "yes", NotifyAuthKey: notifyAuthKey } },
      { payload },
    );
    const { body, headers } = request;
    const options = { callbackUrl: receiver.url, notifyAuthKey, secret: sub.secret };
    assert.deepEqual(verifyLiveSnapshot(body, headers, options), payload);
    assert.deepEqual(verifyLiveSnapshot(body, headers, { callbackUrl: receiver.url, notifyAuthKey }), payload);
    refuses(() => verifyLiveSnapshot(tamper(body), headers, options), "changed body");
    refuses(() => verifyLiveSnapshot(body, headers, { ...options, notifyAuthKey: "another-key-000" }), "wrong key");
    refuses(() => verifyLiveSnapshot(body, headers, { ...options, now: Date.now() + TEN_MINUTES }), "stale by the clock");
    const old = Math.floor((Date.now() - TEN_MINUTES) / 1000);
    const resigned = {
      ...headers,
      "ali-live-timestamp": String(old),
      "ali-live-signature": createHash("md5").update(`127.0.0.1|${old}|${notifyAuthKey}`).digest("hex"),
    };
    refuses(() => verifyLiveSnapshot(body, resigned, { callbackUrl: receiver.url, notifyAuthKey }), "stale re-signed copy");
  });
});

describe("meeting", () => {
  const subscriberKey = "subscriber-key-0123456789";

  test("verifies a real delivery; refuses a changed body, a wrong key, stale", async () => {
    const payload = { meetingID: "m-1", topic: "weekly" };
    const { request } = await deliver(
      "meeting",
      { format: "meeting", vendor_secrets: { subscriberId: "app-in-callbacks", subscriberKey } },
      { payload },
    );
    const { body } = request;
    const message = verifyMeeting(body, { subscriberKey });
    assert.equal(message.appID, "app-in-callbacks");
    assert.deepEqual(message.eventInfo.payload, payload);
    assert.equal(isMeetingVerify(message), false);
    refuses(() => verifyMeeting(tamper(body), { subscriberKey }), "changed body");
    refuses(() => verifyMeeting(body, { subscriberKey: "another-key-0000" }), "wrong key");
    refuses(() => verifyMeeting(body, { subscriberKey, now: Date.now() + TEN_MINUTES }), "stale by the clock");
    // Re-signed with the right key but a timestamp ten minutes old.
    const old = Date.now() - TEN_MINUTES;
    const eventInfo = JSON.stringify({ event: "meeting.started", timestamp: old, payload });
    const signature = createHmac("sha256", subscriberKey).update(`app-in-callbacks${old}n1${eventInfo}`).digest("hex");
    const resigned = `{"appID":"app-in-callbacks","timestamp":${old},"nonce":"n1","signature":"${signature}","eventInfo":${eventInfo}}`;
    assert.equal(verifyMeeting(resigned, { subscriberKey, toleranceSeconds: 3600 }).nonce, "n1");
    refuses(() => verifyMeeting(resigned, { subscriberKey }), "stale re-signed copy");
  });

  test("the meeting.verify handshake: the library's answer lets hookd enable the config", async () => {
    const verified = [];
    const secure = await startReceiver({
      tls,
      answer: ({ body }) => {
        const message = verifyMeeting(body, { subscriberKey });
        verified.push(message);
        return { body: isMeetingVerify(message) ? JSON.stringify(meetingVerifyAnswer(message)) : "" };
      },
    });
    try {
      // The Huawei Meeting dialect: account sign-in with the key, set the link config, enable it.
      const basic = Buffer.from(`${key.key_id}:${key.secret}`).toString("base64");
      const signIn = await fetch(`${hookd.base}/v1/usg/acs/auth/account`, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(signIn.status, 200, await signIn.clone().text());
      const { accessToken } = await signIn.json();
      const auth = { "x-access-token": accessToken, "content-type": "application/json" };
      const set = await fetch(`${hookd.base}/v1/mmc/management/webhook/link-config`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ subscriberId: "app-in-callbacks", subscriberKey, url: secure.url }),
      });
      assert.equal(set.status, 200, await set.clone().text());
      const { id } = await set.json();
      assert.equal((await client.subscriptions.get("meeting", id)).status, "disabled");
      const enable = await fetch(`${hookd.base}/v1/mmc/management/webhook/change-status?id=${id}&status=0`, { method: "PUT", headers: auth });
      assert.equal(enable.status, 200, await enable.text());
      assert.equal(verified.length, 1);
      assert.equal(verified[0].eventInfo.event, "meeting.verify");
      assert.equal((await client.subscriptions.get("meeting", id)).status, "enabled");
    } finally {
      await secure.close();
    }
  });
});
