"""Errors of the hookd client: one class per family of the native API's error envelope
(`{"error": {"code", "message", "request_id", "field"?}}`, docs/API.md "Errors"), and one for the network."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "HookdError",
    "MethodNotAllowed",
    "NetworkError",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationError",
]


class HookdError(Exception):
    """Anything the client raises: an error answer of the server (`ApiError`) or no answer (`NetworkError`)."""


class ApiError(HookdError):
    """hookd answered with an error status.

    `status` is the HTTP status; `code`, `message`, `field` and `violations` come from the error envelope;
    `request_id` from the envelope or, when the body is not one, the `X-Request-Id` header (quote it when
    asking the operator). `retry_after` is the `Retry-After` header in seconds, when one was sent.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        field: str | None = None,
        violations: list[dict[str, Any]] | None = None,
        retry_after: float | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.field = field
        self.violations = violations
        self.retry_after = retry_after
        self.body = body


class BadRequest(ApiError):
    """400: `malformed_json`, `bad_request`."""


class Unauthorized(ApiError):
    """401: the token is missing, unknown, expired or revoked."""


class Forbidden(ApiError):
    """403: the key's policy lacks the action the message names."""


class NotFound(ApiError):
    """404: no such resource in the account the call acts in (`app_not_found`, `subscription_not_found` …)."""


class MethodNotAllowed(ApiError):
    """405."""


class RequestTimeout(ApiError):
    """408: the request took longer than the server's request timeout."""


class Conflict(ApiError):
    """409: `app_exists`, `idempotency_key_reused`, `delivery_not_retryable`, `quota_exceeded` …"""


class PayloadTooLarge(ApiError):
    """413."""


class UnsupportedMediaType(ApiError):
    """415."""


class ValidationError(ApiError):
    """422: `validation_failed` (with `field`), `schema_violation` (with `violations`), `invalid_body`,
    `invalid_query`."""


class RateLimited(ApiError):
    """429: the account is over its rate or concurrency; raised once the client's retries are used up."""


class ServerError(ApiError):
    """500 and any other 5xx but 503."""


class Unavailable(ApiError):
    """503: `storage_unavailable`; nothing was stored. Raised once the client's retries are used up."""


class NetworkError(HookdError):
    """No answer: the connection failed, broke off or timed out. The request may or may not have been acted
    on (repeat a publish with the same idempotency key to be sure)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    408: RequestTimeout,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimited,
    503: Unavailable,
}


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def from_response(status: int, headers: httpx.Headers, content: bytes) -> ApiError:
    """The typed error for an error answer, read from its envelope when it has one."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    detail: dict[str, Any] = {}
    try:
        parsed = json.loads(content)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            detail = parsed["error"]
    except ValueError:
        pass
    text = content.decode("utf-8", "replace").strip()
    return cls(
        status=status,
        code=str(detail.get("code") or f"http_{status}"),
        message=str(detail.get("message") or text or httpx.codes.get_reason_phrase(status)),
        request_id=detail.get("request_id") or headers.get("x-request-id"),
        field=detail.get("field"),
        violations=detail.get("violations"),
        retry_after=retry_after_seconds(headers.get("retry-after")),
        body=content,
    )
