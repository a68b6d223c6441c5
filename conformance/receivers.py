"""Independent receivers: how a vendor's customer verifies and decodes each callback format, written from
the vendors' documented algorithms with only the standard library (and `cryptography` for AES) — never
with hookd's code."""
import base64
import hashlib
import hmac
import json
import urllib.parse

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def header(req, name):
    """A request header by case-insensitive name."""
    for k, v in req["headers"].items():
        if k.lower() == name.lower():
            return v
    raise KeyError(name)


def ess(req, callback_key=None, callback_token=None):
    """Tencent ESS: check Content-Signature (HMAC-SHA256 of the raw body with the CallbackToken), decrypt
    `encrypt` (AES-256-CBC, key = CallbackKey, IV = its first 16 bytes, PKCS#7); returns the message."""
    body = req["body"]
    if callback_token:
        expected = "sha256=" + hmac.new(callback_token.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(header(req, "Content-Signature"), expected), "Content-Signature mismatch"
    message = json.loads(body)
    if callback_key:
        key = callback_key.encode()
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        padded = decryptor.update(base64.b64decode(message["encrypt"])) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        message = json.loads(unpadder.update(padded) + unpadder.finalize())
    assert message["MsgVersion"] == "CustomApp"
    return message


def live_snapshot(req, callback_url, auth_key):
    """ApsaraVideo Live snapshot: ALI-LIVE-SIGNATURE = md5hex(host|ALI-LIVE-TIMESTAMP|NotifyAuthKey)."""
    timestamp = header(req, "ALI-LIVE-TIMESTAMP")
    host = urllib.parse.urlparse(callback_url).hostname
    expected = hashlib.md5(f"{host}|{timestamp}|{auth_key}".encode()).hexdigest()
    assert header(req, "ALI-LIVE-SIGNATURE") == expected, "ALI-LIVE-SIGNATURE mismatch"
    return json.loads(req["body"])


def meeting(body, subscriber_key):
    """Huawei Meeting: signature = hex HMAC-SHA256(subscriberKey, appID + timestamp + nonce + eventInfo as sent)."""
    text = body.decode()
    message = json.loads(text)
    event_info = text[text.index('"eventInfo":') + len('"eventInfo":'):text.rindex("}")]
    signed = message["appID"] + str(message["timestamp"]) + message["nonce"] + event_info
    expected = hmac.new(subscriber_key.encode(), signed.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(message["signature"], expected), "meeting signature mismatch"
    return message


def native(req, secret, public_key=None):
    """Standard Webhooks (hookd's native format): each `v1,` entry of webhook-signature is base64
    HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 after `whsec_`; a
    `v1a,` entry is an ed25519 signature of the same text, checked with the `whpk_` public key when given.
    Passes when any v1 entry matches (several are sent during a secret rotation); returns the JSON body."""
    signed = (header(req, "webhook-id") + "." + header(req, "webhook-timestamp") + ".").encode() + req["body"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    entries = header(req, "webhook-signature").split(" ")
    v1 = [e.removeprefix("v1,") for e in entries if e.startswith("v1,")]
    assert any(hmac.compare_digest(s, expected) for s in v1), "no v1 signature matches the secret"
    if public_key:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        verifying = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
        v1a = [e.removeprefix("v1a,") for e in entries if e.startswith("v1a,")]
        assert len(v1a) == 1, f"one v1a signature expected in {entries}"
        verifying.verify(base64.b64decode(v1a[0]), signed)  # raises InvalidSignature on a mismatch
    return json.loads(req["body"])
