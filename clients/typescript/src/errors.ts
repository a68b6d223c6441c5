/**
 * Errors of the client: one {@link HookdError} per error answer of the API (with a subclass per family of
 * statuses), carrying the error envelope's `code`, `message`, `field` and `request_id`, and
 * {@link HookdConnectionError} when no answer came at all.
 */
import type { ErrorDetail } from "./generated/openapi.js";

/** What an error answer carried: the envelope's detail (when the body was one) and its headers. */
export interface ErrorAnswer {
  status: number;
  detail?: Partial<ErrorDetail> | undefined;
  headers: Headers;
  body?: unknown;
}

/** An error answer of hookd's API (any status that is not 2xx). */
export class HookdError extends Error {
  override name = "HookdError";
  /** The HTTP status. */
  readonly status: number;
  /** The envelope's stable snake_case code (`app_not_found`, `validation_failed`, …); `http_<status>` when the body was not an envelope. */
  readonly code: string;
  /** The request id: the envelope's `request_id`, else the `X-Request-Id` header. */
  readonly requestId: string | undefined;
  /** The offending input of a validation error. */
  readonly field: string | undefined;
  /** The whole error detail as sent (`violations` of a `schema_violation`, …). */
  readonly detail: Partial<ErrorDetail> | undefined;

  constructor(answer: ErrorAnswer) {
    const detail = answer.detail;
    super(detail?.message ?? `hookd answered HTTP ${answer.status}`);
    this.status = answer.status;
    this.code = detail?.code ?? `http_${answer.status}`;
    this.requestId = detail?.request_id ?? answer.headers.get("x-request-id") ?? undefined;
    this.field = detail?.field ?? undefined;
    this.detail = detail;
  }
}

/** 400: malformed JSON, a bad request line. */
export class BadRequestError extends HookdError {
  override name = "BadRequestError";
}
/** 401: missing or invalid credentials. */
export class UnauthorizedError extends HookdError {
  override name = "UnauthorizedError";
}
/** 403: the key's policy lacks an action (the message names it). */
export class ForbiddenError extends HookdError {
  override name = "ForbiddenError";
}
/** 404: no such resource in the account the call acts in (another account's resources are "not found" too). */
export class NotFoundError extends HookdError {
  override name = "NotFoundError";
}
/** 409: the resource exists already, its state does not allow the change, or an idempotency key was reused. */
export class ConflictError extends HookdError {
  override name = "ConflictError";
}
/** 413: the body is over the server's limit. */
export class PayloadTooLargeError extends HookdError {
  override name = "PayloadTooLargeError";
}
/** 422: a field failed validation; `field` names it. */
export class ValidationError extends HookdError {
  override name = "ValidationError";
}
/** 429: the account is over its rate or concurrency; raised once the client's retries are used up. */
export class RateLimitedError extends HookdError {
  override name = "RateLimitedError";
  /** The wait the server asked for, in milliseconds (from `Retry-After`). */
  readonly retryAfterMs: number | undefined;
  constructor(answer: ErrorAnswer) {
    super(answer);
    this.retryAfterMs = parseRetryAfter(answer.headers.get("retry-after"));
  }
}
/** 503: storage unavailable (nothing was stored); raised once the client's retries are used up. */
export class UnavailableError extends HookdError {
  override name = "UnavailableError";
  /** The wait the server asked for, in milliseconds (from `Retry-After`). */
  readonly retryAfterMs: number | undefined;
  constructor(answer: ErrorAnswer) {
    super(answer);
    this.retryAfterMs = parseRetryAfter(answer.headers.get("retry-after"));
  }
}
/** Any other 5xx. */
export class ServerError extends HookdError {
  override name = "ServerError";
}

/** No answer: the connection failed, or the request took longer than the client's timeout. */
export class HookdConnectionError extends Error {
  override name = "HookdConnectionError";
  /** True when the client's timeout ended the request. */
  readonly timedOut: boolean;
  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut ?? false;
  }
}

const BY_STATUS: Record<number, new (answer: ErrorAnswer) => HookdError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: ValidationError,
  429: RateLimitedError,
  503: UnavailableError,
};

/** The error for an answer: the family's subclass, else {@link ServerError} for 5xx, else {@link HookdError}. */
export function errorFor(answer: ErrorAnswer): HookdError {
  const Class = BY_STATUS[answer.status] ?? (answer.status >= 500 ? ServerError : HookdError);
  return new Class(answer);
}

/** The envelope's detail, if `body` is `{"error": {...}}`. */
export function envelopeDetail(body: unknown): Partial<ErrorDetail> | undefined {
  if (body && typeof body === "object" && "error" in body) {
    const error = (body as { error: unknown }).error;
    if (error && typeof error === "object") return error as Partial<ErrorDetail>;
  }
  return undefined;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
