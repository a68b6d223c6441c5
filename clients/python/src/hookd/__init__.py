"""hookd's Python client: `Hookd` for the native API (generated code under `hookd._generated`, a thin
hand-written layer here), and `hookd.webhooks` for receivers verifying hookd's callbacks."""

from . import webhooks
from .client import Hookd, Page, Published
from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    HookdError,
    MethodNotAllowed,
    NetworkError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "Hookd",
    "HookdError",
    "MethodNotAllowed",
    "NetworkError",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "Published",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationError",
    "webhooks",
]
