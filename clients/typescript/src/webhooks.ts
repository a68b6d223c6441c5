/**
 * The receiving side: verify and decode the callbacks hookd sends, one function per format (SPEC §5).
 * Each takes the raw body exactly as received (a string, Buffer or Uint8Array — never a re-serialised
 * object), the request headers (a `Headers`, or a plain object such as Express's `req.headers`) and the
 * subscription's secrets, and returns the decoded message or throws {@link WebhookVerificationError}.
 * Every verifier takes `now` (ms, default `Date.now()`) and `toleranceSeconds` (default 300) for the
 * formats that carry a timestamp.
 *
 * Every format also carries hookd's Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) signed over the body as sent: pass the subscription's `whsec_` `secret` to a vendor
 * verifier to check them too, which covers the body and a timestamp where the vendor's scheme does not.
 */
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Webhook, WebhookVerificationError as StandardWebhooksError } from "standardwebhooks";

/** The one error of every verifier: the callback is not authentic, is stale, or cannot be decoded. */
export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
}

/** Request headers: a fetch `Headers`, or a plain object (Node's `IncomingHttpHeaders`, Express `req.headers`). */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

/** The raw body as received. */
export type RawBody = string | Uint8Array;

export interface TimeOptions {
  /** The time to check timestamps against, in ms since the epoch; default `Date.now()`. */
  now?: number;
  /** How far a timestamp may be from `now`, either way; default 300 s. */
  toleranceSeconds?: number;
}

const DEFAULT_TOLERANCE_SECONDS = 300;

function bytesOf(body: RawBody): Buffer {
  return typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value.join(", ") : value;
  }
  return undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new WebhookVerificationError(`${what} is not JSON`);
  }
}

/** Constant-time equality of two strings (false when their lengths differ). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

function checkFresh(timestampSeconds: number, options: TimeOptions, what: string): void {
  const now = options.now ?? Date.now();
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(timestampSeconds)) throw new WebhookVerificationError(`${what} is not a timestamp`);
  if (Math.abs(now / 1000 - timestampSeconds) > tolerance) {
    throw new WebhookVerificationError(`${what} is more than ${tolerance} s from now (stale or from the future)`);
  }
}

export interface NativeOptions extends TimeOptions {}

/**
 * Verifies a `native` delivery (Standard Webhooks) with the official `standardwebhooks` package:
 * `webhook-signature` must hold a `v1,` signature by `secret` (`whsec_…`; any one entry matches during a
 * rotation) over `webhook-id`.`webhook-timestamp`.body, and `webhook-timestamp` must be within the
 * tolerance of `now`. Returns the parsed JSON payload.
 */
export function verifyNative(body: RawBody, headers: HeadersLike, secret: string, options: NativeOptions = {}): unknown {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signature = header(headers, "webhook-signature");
  if (!id || !timestamp || !signature) {
    throw new WebhookVerificationError("webhook-id, webhook-timestamp and webhook-signature are required");
  }
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not a timestamp");
  checkFresh(Number(timestamp), options, "webhook-timestamp");
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch (e) {
    throw new WebhookVerificationError(`unusable secret: ${(e as Error).message}`);
  }
  // The timestamp was checked above against the caller's `now` and tolerance; the package's own check
  // reads the wall clock with a fixed 5 minutes, so it is replaced on this instance by a plain parse
  // (a private method of the exactly pinned standardwebhooks 1.3.0). The signature check stays the package's.
  (webhook as unknown as { verifyTimestamp: (raw: string) => Date }).verifyTimestamp = (raw) => new Date(Number(raw) * 1000);
  const bytes = bytesOf(body);
  try {
    webhook.verify(bytes, { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature }, { jsonParse: false });
  } catch (e) {
    if (e instanceof StandardWebhooksError) throw new WebhookVerificationError(`Standard Webhooks: ${e.message}`);
    throw e;
  }
  return bytes.length === 0 ? undefined : parseJson(bytes.toString("utf8"), "the body");
}

/** Checks the Standard Webhooks headers too when the caller gave the subscription's secret. */
function checkStandardWebhooks(body: RawBody, headers: HeadersLike | undefined, options: { secret?: string | undefined } & TimeOptions): void {
  if (options.secret === undefined) return;
  if (!headers) throw new WebhookVerificationError("headers are needed to check the Standard Webhooks signature");
  verifyNative(body, headers, options.secret, options);
}

/** One `cams` status report (Alibaba Cloud CAMS); the fields hookd's senders set, and any others. */
export interface CamsReport {
  MessageId?: string;
  From?: string;
  To?: string;
  /** Milliseconds since the epoch. */
  Timestamp?: number;
  Status?: string;
  [field: string]: unknown;
}

export interface CamsOptions extends TimeOptions {
  /** The subscription's `whsec_` secret: checks the Standard Webhooks headers hookd adds. */
  secret?: string;
}

/**
 * Decodes a `cams` delivery: a JSON array of status reports (one request may carry several when the
 * subscription batches). The CAMS format itself has no signature and no timestamp, so without `secret`
 * nothing is authenticated: pass the subscription's `whsec_` secret (with `headers`) to verify the
 * Standard Webhooks headers, which refuses a changed body, a wrong secret and a stale `webhook-timestamp`.
 */
export function decodeCams(body: RawBody, headers?: HeadersLike, options: CamsOptions = {}): CamsReport[] {
  checkStandardWebhooks(body, headers, options);
  const reports = parseJson(bytesOf(body).toString("utf8"), "the body");
  if (!Array.isArray(reports) || !reports.every((r) => r !== null && typeof r === "object" && !Array.isArray(r))) {
    throw new WebhookVerificationError("a cams body is a JSON array of report objects");
  }
  return reports as CamsReport[];
}

/** An `ess` message (Tencent Cloud ESS), after decryption. */
export interface EssMessage {
  MsgId: string;
  MsgType: string;
  MsgVersion: string;
  MsgData: unknown;
}

export interface EssOptions extends TimeOptions {
  /** The CallbackKey (32 characters): the body is `{"encrypt": …}`, AES-256-CBC under it. */
  callbackKey?: string;
  /** The CallbackToken: `Content-Signature: sha256=<hex HMAC-SHA256(token, raw body)>` must match. */
  callbackToken?: string;
  /** The subscription's `whsec_` secret: checks the Standard Webhooks headers hookd adds. */
  secret?: string;
}

/**
 * Verifies and decodes an `ess` delivery. With `callbackToken`, `Content-Signature` must be
 * `sha256=<hex HMAC-SHA256(token, raw body)>` (compared in constant time); with `callbackKey`, the body's
 * `encrypt` is decrypted (AES-256-CBC, key = the CallbackKey's bytes, IV = its first 16 bytes, PKCS#7).
 * The ESS format carries no timestamp: pass `secret` to check hookd's Standard Webhooks headers, whose
 * `webhook-timestamp` refuses a stale delivery. With neither `callbackToken` nor `secret`, nothing is
 * authenticated (the subscription has no CallbackToken): decryption alone does not prove the sender.
 */
export function verifyEss(body: RawBody, headers: HeadersLike, options: EssOptions): EssMessage {
  const bytes = bytesOf(body);
  if (options.callbackToken !== undefined) {
    const sent = header(headers, "content-signature");
    if (!sent) throw new WebhookVerificationError("Content-Signature is missing");
    const expected = "sha256=" + createHmac("sha256", options.callbackToken).update(bytes).digest("hex");
    if (!sameText(sent.trim().toLowerCase(), expected)) throw new WebhookVerificationError("Content-Signature does not match");
  }
  checkStandardWebhooks(body, headers, options);
  let message = parseJson(bytes.toString("utf8"), "the body") as Record<string, unknown>;
  if (options.callbackKey !== undefined) {
    const key = Buffer.from(options.callbackKey, "utf8");
    if (key.length !== 32) throw new WebhookVerificationError("a CallbackKey is 32 bytes");
    if (typeof message?.encrypt !== "string") throw new WebhookVerificationError("the body has no `encrypt`");
    let plain: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
      plain = Buffer.concat([decipher.update(Buffer.from(message.encrypt, "base64")), decipher.final()]);
    } catch {
      throw new WebhookVerificationError("`encrypt` does not decrypt with this CallbackKey");
    }
    message = parseJson(plain.toString("utf8"), "the decrypted message") as Record<string, unknown>;
  }
  if (message === null || typeof message !== "object" || typeof message.MsgId !== "string" || typeof message.MsgType !== "string") {
    throw new WebhookVerificationError("not an ESS message (MsgId, MsgType, MsgVersion, MsgData)");
  }
  return message as unknown as EssMessage;
}

export interface LiveSnapshotOptions extends TimeOptions {
  /** The subscription's callback URL: its host is part of what is signed. */
  callbackUrl: string;
  /** The NotifyAuthKey. */
  notifyAuthKey: string;
  /** The subscription's `whsec_` secret: checks the Standard Webhooks headers, which cover the body. */
  secret?: string;
}

/**
 * Verifies a `live-snapshot` delivery sent with NotifyReqAuth=yes: `ALI-LIVE-SIGNATURE` must be
 * md5hex(`<callback URL host>|<ALI-LIVE-TIMESTAMP>|<NotifyAuthKey>`) and `ALI-LIVE-TIMESTAMP` (Unix
 * seconds) within the tolerance of `now`. The vendor's signature does not cover the body: pass `secret`
 * to refuse a changed body through hookd's Standard Webhooks headers. Returns the snapshot event JSON.
 */
export function verifyLiveSnapshot(body: RawBody, headers: HeadersLike, options: LiveSnapshotOptions): Record<string, unknown> {
  const timestamp = header(headers, "ali-live-timestamp");
  const signature = header(headers, "ali-live-signature");
  if (!timestamp || !signature) throw new WebhookVerificationError("ALI-LIVE-TIMESTAMP and ALI-LIVE-SIGNATURE are required");
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("ALI-LIVE-TIMESTAMP is not a timestamp");
  let host: string;
  try {
    host = new URL(options.callbackUrl).hostname;
  } catch {
    throw new WebhookVerificationError("callbackUrl is not a URL");
  }
  const expected = createHash("md5").update(`${host}|${timestamp}|${options.notifyAuthKey}`, "utf8").digest("hex");
  if (!sameText(signature.trim().toLowerCase(), expected)) throw new WebhookVerificationError("ALI-LIVE-SIGNATURE does not match");
  checkFresh(Number(timestamp), options, "ALI-LIVE-TIMESTAMP");
  checkStandardWebhooks(body, headers, options);
  const event = parseJson(bytesOf(body).toString("utf8"), "the body");
  if (event === null || typeof event !== "object" || Array.isArray(event)) throw new WebhookVerificationError("a snapshot event is a JSON object");
  return event as Record<string, unknown>;
}

/** A `meeting` callback (Huawei Cloud Meeting). */
export interface MeetingMessage {
  appID: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  nonce: string;
  signature: string;
  eventInfo: { event: string; timestamp: number; payload: unknown; [field: string]: unknown };
}

export interface MeetingOptions extends TimeOptions {
  /** The subscriberKey the signature is keyed with. */
  subscriberKey: string;
}

/**
 * Verifies a `meeting` delivery: `signature` must be hex HMAC-SHA256(subscriberKey, appID + timestamp +
 * nonce + eventInfo), where eventInfo is the member's JSON text exactly as sent (taken from the raw body,
 * not re-serialised), and `timestamp` (ms) within the tolerance of `now`. A `meeting.verify` handshake
 * is verified the same way; answer it with {@link meetingVerifyAnswer}.
 */
export function verifyMeeting(body: RawBody, options: MeetingOptions): MeetingMessage {
  const text = bytesOf(body).toString("utf8");
  const message = parseJson(text, "the body") as Partial<MeetingMessage> | null;
  if (message === null || typeof message !== "object") throw new WebhookVerificationError("a meeting callback is a JSON object");
  const { appID, timestamp, nonce, signature } = message;
  if (typeof appID !== "string" || typeof timestamp !== "number" || typeof nonce !== "string" || typeof signature !== "string") {
    throw new WebhookVerificationError("appID, timestamp, nonce and signature are required");
  }
  const eventInfo = rawMember(text, "eventInfo");
  if (eventInfo === undefined) throw new WebhookVerificationError("eventInfo is missing");
  // The timestamp as the sender wrote it (hookd writes an integer).
  const timestampText = rawMember(text, "timestamp") ?? String(timestamp);
  const expected = createHmac("sha256", options.subscriberKey).update(appID + timestampText + nonce + eventInfo, "utf8").digest("hex");
  if (!sameText(signature.toLowerCase(), expected)) throw new WebhookVerificationError("the meeting signature does not match");
  checkFresh(timestamp / 1000, options, "timestamp");
  return message as MeetingMessage;
}

/** Whether a verified meeting callback is the `meeting.verify` handshake. */
export function isMeetingVerify(message: MeetingMessage): boolean {
  return message.eventInfo?.event === "meeting.verify";
}

/**
 * The answer to a (verified) `meeting.verify` handshake: send it as the JSON body of a 200. hookd enables
 * the config only when the answer echoes the nonce.
 */
export function meetingVerifyAnswer(message: MeetingMessage): { nonce: string } {
  return { nonce: message.nonce };
}

/**
 * The JSON text of a top-level member of the object in `text`, exactly as written, or undefined. A small
 * scanner (strings with escapes, nested brackets) so the signed text need not be re-serialised.
 */
function rawMember(text: string, name: string): string | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== "{") return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text[i] !== "}") {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") return undefined;
    const start = skipSpace(text, i + 1);
    const end = skipValue(text, start);
    if (key === name) return text.slice(start, end);
    i = skipSpace(text, end);
    if (text[i] === ",") i = skipSpace(text, i + 1);
  }
  return undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  if (text[i] !== '"') throw new WebhookVerificationError("the body is not a JSON object");
  for (i++; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new WebhookVerificationError("the body is not a JSON object");
}

function skipValue(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  if (text[i] === "{" || text[i] === "[") {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i);
        continue;
      }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new WebhookVerificationError("the body is not a JSON object");
  }
  while (i < text.length && !",}] \t\r\n".includes(text[i]!)) i++;
  return i;
}
