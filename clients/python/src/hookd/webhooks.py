"""The receiving side: verify and decode the callbacks hookd sends, one function per format (docs/FORMATS.md).

Every function takes the raw body bytes exactly as received (before any JSON parsing) and the request
headers (any mapping, or a list of pairs; names are matched without regard to case), and raises
`WebhookVerificationError` when the callback is not authentic: a changed body, a wrong secret, or a
timestamp further than `tolerance` seconds from `now` (default: the clock; pass `now` as Unix seconds or an
aware datetime to check against another time).

Every format also carries the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`) signed with the subscription's `whsec_` secret over the body sent; the vendor
verifiers check them too when given `secret=`, which adds a timestamp and body protection to formats whose
vendor scheme lacks one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import attrs
from standardwebhooks.webhooks import Webhook

__all__ = [
    "DEFAULT_TOLERANCE",
    "CamsReport",
    "EssMessage",
    "MeetingMessage",
    "WebhookVerificationError",
    "decode_cams",
    "decrypt_ess",
    "meeting_handshake_answer",
    "verify_ess",
    "verify_live_snapshot",
    "verify_meeting",
    "verify_native",
]

#: Seconds a callback's timestamp may be away from `now`, either way.
DEFAULT_TOLERANCE = 300.0

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Now = float | int | datetime | None


class WebhookVerificationError(Exception):
    """The callback is not authentic (or not readable as its format): refuse it, e.g. with HTTP 400/401."""


def _lower(headers: Headers | None) -> dict[str, str]:
    if headers is None:
        return {}
    # Mappings, and header objects with items() that are not registered as one (werkzeug's Headers).
    items = headers.items() if hasattr(headers, "items") else headers
    return {str(k).lower(): str(v) for k, v in items}


def _header(headers: dict[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise WebhookVerificationError(f"the `{name}` header is missing")
    return value


def _seconds(now: Now) -> float:
    if now is None:
        return datetime.now(UTC).timestamp()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


def _check_fresh(timestamp: float, tolerance: float, now: Now) -> None:
    """Refuses a timestamp (Unix seconds) more than `tolerance` seconds away from `now`."""
    current = _seconds(now)
    if timestamp < current - tolerance:
        raise WebhookVerificationError("the timestamp is too old")
    if timestamp > current + tolerance:
        raise WebhookVerificationError("the timestamp is too new")


def _bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


class _Webhook(Webhook):
    """The official `standardwebhooks` verifier, with its timestamp check (fixed to 5 minutes around the
    clock) replaced: `verify_native` checks freshness itself against `now` and `tolerance` first. The
    library names that check `__verify_timestamp`, hence the mangled name."""

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        try:
            return datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        except (TypeError, ValueError, OverflowError) as e:
            raise WebhookVerificationError("the `webhook-timestamp` header is not a number") from e


def verify_native(
    body: bytes | str,
    headers: Headers,
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Now = None,
) -> Any:
    """Verifies a `native` callback (Standard Webhooks) with the official `standardwebhooks` package and
    returns the parsed JSON body. `secret` is the subscription's `whsec_…` secret; during a rotation any
    of the secrets in force verifies (hookd sends one `v1,` entry per active secret)."""
    lowered = _lower(headers)
    raw = _bytes(body)
    try:
        timestamp = float(_header(lowered, "webhook-timestamp"))
    except ValueError as e:
        raise WebhookVerificationError("the `webhook-timestamp` header is not a number") from e
    _check_fresh(timestamp, tolerance, now)
    try:
        return _Webhook(secret).verify(raw, lowered)
    except WebhookVerificationError:
        raise
    except Exception as e:  # the library's own error, and what a malformed header makes it raise
        raise WebhookVerificationError(f"Standard Webhooks verification failed: {e}") from e


def _also_standard(body: bytes, headers: Headers | None, secret: str | None, tolerance: float, now: Now) -> None:
    if secret is not None:
        verify_native(body, headers or {}, secret, tolerance=tolerance, now=now)


def _json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as e:
        raise WebhookVerificationError(f"the body is not JSON: {e}") from e


@attrs.frozen
class EssMessage:
    """A Tencent ESS callback message: `{MsgId, MsgType, MsgVersion, MsgData}` (`MsgId` is hookd's event id,
    `MsgType` the event type, `MsgData` the payload)."""

    msg_id: str
    msg_type: str
    msg_version: str
    msg_data: Any
    raw: dict[str, Any]


def decrypt_ess(encrypted: str, callback_key: str | bytes) -> bytes:
    """Decrypts an ESS `encrypt` value: base64 of AES-256-CBC with key = the CallbackKey's 32 bytes,
    IV = its first 16 bytes, PKCS#7 padding."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = _bytes(callback_key)
    if len(key) != 32:
        raise ValueError("an ESS CallbackKey is 32 bytes")
    try:
        sealed = base64.b64decode(encrypted, validate=True)
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        padded = decryptor.update(sealed) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (binascii.Error, ValueError) as e:
        raise WebhookVerificationError(f"the `encrypt` value does not decrypt with this key: {e}") from e


def verify_ess(
    body: bytes | str,
    headers: Headers,
    *,
    callback_token: str | None = None,
    callback_key: str | bytes | None = None,
    secret: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Now = None,
) -> EssMessage:
    """Verifies and decodes an `ess` (Tencent ESS) callback.

    With `callback_token`, checks `Content-Signature: sha256=<hex HMAC-SHA256(token, raw body)>` (constant
    time). With `callback_key`, decrypts `{"encrypt": …}`. The ESS scheme carries no timestamp, so on its
    own it cannot refuse a stale (replayed) callback: pass `secret` (the subscription's `whsec_` secret) to
    check the Standard Webhooks headers too, which have one. Without `callback_token` or `secret`, nothing
    is verified and the body is only decoded.
    """
    raw = _bytes(body)
    lowered = _lower(headers)
    if callback_token is not None:
        presented = _header(lowered, "content-signature")
        expected = "sha256=" + hmac.new(callback_token.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(presented.strip().lower().encode(), expected.encode()):
            raise WebhookVerificationError("`Content-Signature` does not match the body and CallbackToken")
    _also_standard(raw, lowered, secret, tolerance, now)
    message = _json(raw)
    if callback_key is not None:
        if not isinstance(message, dict) or not isinstance(message.get("encrypt"), str):
            raise WebhookVerificationError('an encrypted ESS body is `{"encrypt": …}`')
        message = _json(decrypt_ess(message["encrypt"], callback_key))
    if not isinstance(message, dict) or "MsgId" not in message:
        raise WebhookVerificationError("not an ESS message (no MsgId)")
    return EssMessage(
        msg_id=message["MsgId"],
        msg_type=message.get("MsgType", ""),
        msg_version=message.get("MsgVersion", ""),
        msg_data=message.get("MsgData"),
        raw=message,
    )


def verify_live_snapshot(
    body: bytes | str,
    headers: Headers,
    *,
    callback_url: str,
    auth_key: str,
    secret: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Now = None,
) -> Any:
    """Verifies a `live-snapshot` (ApsaraVideo Live) callback of a subscription with `NotifyReqAuth=yes` and
    returns the parsed body: `ALI-LIVE-SIGNATURE` must be md5hex(`<host of callback_url>|<ALI-LIVE-TIMESTAMP>|
    <auth_key>`) and the timestamp fresh. `callback_url` is the subscription's URL (its host, without the
    port, is signed), `auth_key` its `NotifyAuthKey`.

    The vendor's signature does not cover the body: pass `secret` (the subscription's `whsec_` secret) to
    also check the Standard Webhooks signature, which does; without it a changed body is not detected.
    """
    raw = _bytes(body)
    lowered = _lower(headers)
    timestamp = _header(lowered, "ali-live-timestamp")
    try:
        _check_fresh(float(timestamp), tolerance, now)
    except ValueError as e:
        raise WebhookVerificationError("`ALI-LIVE-TIMESTAMP` is not a number") from e
    host = urlsplit(callback_url).hostname or ""
    expected = hashlib.md5(f"{host}|{timestamp}|{auth_key}".encode()).hexdigest()
    presented = _header(lowered, "ali-live-signature").strip().lower()
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise WebhookVerificationError("`ALI-LIVE-SIGNATURE` does not match the host, timestamp and NotifyAuthKey")
    _also_standard(raw, lowered, secret, tolerance, now)
    return _json(raw)


@attrs.frozen
class MeetingMessage:
    """A Huawei Cloud Meeting callback: `appID` (the config's subscriberId), `timestamp` (ms), `nonce`, and
    `eventInfo` (`event`, its `timestamp`, `payload`)."""

    app_id: str
    timestamp: int
    nonce: str
    event: str
    event_timestamp: int | None
    payload: Any
    raw: dict[str, Any]

    @property
    def is_verify(self) -> bool:
        """Whether this is the `meeting.verify` handshake, to be answered with `meeting_handshake_answer`."""
        return self.event == "meeting.verify"


def _event_info_text(text: str) -> str:
    """The text of the top-level `eventInfo` value exactly as sent (what the signature covers)."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        index = text.find('"eventInfo"', index)
        if index < 0:
            raise WebhookVerificationError("the body has no eventInfo")
        after = index + len('"eventInfo"')
        rest = text[after:].lstrip()
        if rest.startswith(":"):
            start = len(text) - len(rest[1:].lstrip())
            try:
                _, end = decoder.raw_decode(text, start)
            except ValueError as e:
                raise WebhookVerificationError(f"eventInfo is not JSON: {e}") from e
            return text[start:end]
        index = after


def verify_meeting(
    body: bytes | str,
    subscriber_key: str,
    *,
    headers: Headers | None = None,
    secret: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Now = None,
) -> MeetingMessage:
    """Verifies a `meeting` (Huawei Cloud Meeting) callback: `signature` must be hex HMAC-SHA256 keyed with
    `subscriber_key` over appID + timestamp + nonce + the eventInfo JSON text exactly as sent, and
    `timestamp` (ms) fresh. With `secret` (and `headers`), the Standard Webhooks headers are checked too.
    For `meeting.verify` (`message.is_verify`), answer 200 with `meeting_handshake_answer(message)`."""
    raw = _bytes(body)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WebhookVerificationError("the body is not UTF-8") from e
    message = _json(text)
    if not isinstance(message, dict):
        raise WebhookVerificationError("a Meeting callback is a JSON object")
    try:
        app_id, timestamp, nonce = message["appID"], message["timestamp"], message["nonce"]
        signature, info = message["signature"], message["eventInfo"]
    except KeyError as e:
        raise WebhookVerificationError(f"the Meeting callback has no {e}") from e
    if not (
        isinstance(app_id, str)
        and isinstance(timestamp, int)
        and isinstance(nonce, str)
        and isinstance(signature, str)
        and isinstance(info, dict)
    ):
        raise WebhookVerificationError("the Meeting callback's fields have the wrong types")
    _check_fresh(timestamp / 1000, tolerance, now)
    signed = f"{app_id}{timestamp}{nonce}{_event_info_text(text)}".encode()
    expected = hmac.new(subscriber_key.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.lower().encode(), expected.encode()):
        raise WebhookVerificationError("the Meeting signature does not match the body and subscriberKey")
    _also_standard(raw, headers, secret, tolerance, now)
    return MeetingMessage(
        app_id=app_id,
        timestamp=timestamp,
        nonce=nonce,
        event=str(info.get("event", "")),
        event_timestamp=info.get("timestamp"),
        payload=info.get("payload"),
        raw=message,
    )


def meeting_handshake_answer(message: MeetingMessage) -> dict[str, str]:
    """The JSON body to answer a verified `meeting.verify` callback with (HTTP 200): `{"nonce": <nonce>}`;
    hookd enables the Meeting config only when the answer echoes the nonce."""
    return {"nonce": message.nonce}


@attrs.frozen
class CamsReport:
    """One CAMS (Alibaba Chat App Message Service) status report; fields the report lacks are None, and
    `raw` holds all of it."""

    message_id: str | None
    from_: str | None
    to: str | None
    timestamp: int | None
    status: str | None
    error_code: str | None
    error_description: str | None
    raw: dict[str, Any]


def decode_cams(
    body: bytes | str,
    headers: Headers | None = None,
    *,
    secret: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Now = None,
) -> list[CamsReport]:
    """Decodes a `cams` callback, a JSON array of status reports. CAMS itself signs nothing and has no
    timestamp: pass `secret` (the subscription's `whsec_` secret) and `headers` to verify the Standard
    Webhooks headers hookd adds (then a changed body, a wrong secret and a stale timestamp are refused)."""
    raw = _bytes(body)
    _also_standard(raw, headers, secret, tolerance, now)
    reports = _json(raw)
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports):
        raise WebhookVerificationError("a CAMS body is a JSON array of report objects")
    return [
        CamsReport(
            message_id=r.get("MessageId"),
            from_=r.get("From"),
            to=r.get("To"),
            timestamp=r.get("Timestamp"),
            status=r.get("Status"),
            error_code=r.get("ErrorCode"),
            error_description=r.get("ErrorDescription"),
            raw=r,
        )
        for r in reports
    ]
