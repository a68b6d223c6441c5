//! Extractors that turn requests into typed inputs with envelope errors: JSON bodies and query strings
//! (unknown fields refused, the offending field named), the caller's credentials, and the account the
//! call acts in.

use axum::{
    body::Bytes,
    extract::{rejection::JsonRejection, FromRequest, FromRequestParts, Query, Request},
    http::{header, request::Parts, StatusCode},
};
use serde::de::DeserializeOwned;

use super::{error::ApiError, ApiState};
use crate::service::{Principal, Scope};

/// The header a parent key (or the admin) uses to act in another account.
pub const ACCOUNT_HEADER: &str = "hookd-account";

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                ApiError::new(r.status(), "bad_request", r.body_text())
            }
        })?;
        if nesting_depth(&bytes) > MAX_JSON_DEPTH {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: it nests deeper than {MAX_JSON_DEPTH} levels (recursion limit)"),
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// The deepest JSON nesting a body may have. Payloads are stored and forwarded as they came (not parsed
/// into values), so the parser's own recursion limit does not see them; this bound does.
pub const MAX_JSON_DEPTH: usize = 128;

/// `application/json` or any `application/*+json`, parameters aside.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// How deeply `[` and `{` nest in `json`, outside strings (the body may be invalid: this only bounds it).
pub fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    // serde's message names the field ("unknown field `x`", "missing field `url`").
    let detail = detail
        .split_once(": ")
        .map(|(_, d)| d.to_owned())
        .unwrap_or(detail);
    match rejection {
        JsonRejection::JsonDataError(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", detail)
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {detail}"),
        ),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        JsonRejection::BytesRejection(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        other => ApiError::new(other.status(), "bad_request", other.body_text()),
    }
}

/// A JSON body that may be absent (empty); present bodies are checked like `ApiJson`.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let has_body = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_none_or(|v| v.as_bytes() != b"0")
            && req.headers().contains_key(header::CONTENT_TYPE);
        if !has_body {
            return Ok(Self(None));
        }
        ApiJson::from_request(req, state)
            .await
            .map(|ApiJson(v)| Self(Some(v)))
    }
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|e| {
                let text = e.body_text();
                let detail = text
                    .split_once(": ")
                    .map(|(_, d)| d.to_owned())
                    .unwrap_or(text);
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", detail)
            })
    }
}

/// The authenticated caller.
pub struct Caller(pub Principal);

/// The principal the admission middleware authenticated, handed to [`Caller`].
#[derive(Clone)]
pub struct Authenticated(pub Principal);

/// The token of `Authorization: Bearer <token>`, if the header has that form.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if let Some(Authenticated(principal)) = parts.extensions.get::<Authenticated>() {
            return Ok(Self(principal.clone()));
        }
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(unauthorized(
                "missing Authorization header; send `Authorization: Bearer <token>`",
            ));
        }
        let token = bearer(&parts.headers)
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
        Ok(Self(state.service.authenticate(token).await?))
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// The caller and the account it names in `Hookd-Account`, if any, for routes that decide themselves
/// what acting in no account means.
pub struct Naming {
    pub principal: Principal,
    pub account: Option<String>,
}

impl FromRequestParts<ApiState> for Naming {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let account = match parts.headers.get(ACCOUNT_HEADER) {
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| ApiError::invalid("Hookd-Account", "must be an account id"))?
                    .to_owned(),
            ),
            None => None,
        };
        Ok(Self { principal, account })
    }
}

/// The caller and the account it acts in (its own, or one named by `Hookd-Account`).
pub struct Acting(pub Scope);

impl FromRequestParts<ApiState> for Acting {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let Naming { principal, account } = Naming::from_request_parts(parts, state).await?;
        Ok(Self(
            state.service.scope(&principal, account.as_deref()).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_nesting_outside_strings() {
        assert_eq!(nesting_depth(b"{}"), 1);
        assert_eq!(nesting_depth(br#"{"a":[1,{"b":[]}]}"#), 4);
        assert_eq!(
            nesting_depth(br#"{"s":"[[[[{{{\"[["}"#),
            1,
            "brackets in strings do not count"
        );
        assert_eq!(nesting_depth(b"[[[[[[[[[["), 10, "unclosed brackets count");
        assert_eq!(nesting_depth(b"not json"), 0);
    }
}
