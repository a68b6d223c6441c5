//! Alibaba Cloud RPC APIs at `/`, routed by `x-acs-action`/`x-acs-version` (or `Action`/`Version`
//! parameters): CAMS 2020-06-06 account webhooks and ApsaraVideo Live 2016-11-01 snapshot callbacks and
//! RTC event subscriptions. Requests are authenticated with ACS3-HMAC-SHA256 or the RPC signature; errors
//! are `{RequestId, HostId, Code, Message}` with the vendor's HTTP status.

mod cams;
mod live;
pub mod signature;

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use crate::{
    dialects::DialectState,
    domain::{now_ms, Product},
    service::{self, Principal, Scope},
};

/// Signed requests older or newer than this are refused, and nonces are remembered this long.
const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// An error as the Alibaba SDKs read it.
#[derive(Debug)]
pub struct AcsError {
    status: StatusCode,
    code: String,
    message: String,
    /// `AccessDeniedDetail` of RAM denials.
    detail: Option<Value>,
}

pub fn err(status: u16, code: &str, message: impl Into<String>) -> AcsError {
    AcsError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        code: code.to_owned(),
        message: message.into(),
        detail: None,
    }
}

impl AcsError {
    /// Maps a service error: validation to `invalid`, everything else to the vendor's generic codes.
    fn from_service(e: service::Error, invalid: &str) -> Self {
        use service::Error as E;
        match e {
            E::Invalid(i) => err(400, invalid, i.to_string()),
            E::QuotaExceeded(m) => err(400, "QuotaLimitError", m),
            E::Conflict { message, .. } => err(409, "Conflict", message),
            E::NotFound(what) => err(
                404,
                "ResourceNotExist",
                format!("the {what} does not exist"),
            ),
            E::Forbidden(action) => err(403, "Forbidden.RAM", format!("not allowed: {action}")),
            // A storage fault: nothing was stored, and the caller may retry (logged once per episode).
            E::Store(e) if e.is_unavailable() => err(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            ),
            other => {
                tracing::error!(error = %other, "Alibaba dialect call failed");
                err(
                    500,
                    "InternalError",
                    "the request processing has failed due to some unknown error",
                )
            }
        }
    }
}

/// The request's parameters: query string, plus a form body if one was sent.
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, AcsError> {
        self.get(name).ok_or_else(|| {
            err(
                400,
                "MissingParameter",
                format!("{name} is mandatory for this action"),
            )
        })
    }

    /// A list in `Name.1=a&Name.2=b` form or as a JSON array in `Name`.
    pub fn list(&self, name: &str) -> Result<Vec<String>, AcsError> {
        if let Some(raw) = self.get(name) {
            return serde_json::from_str::<Vec<String>>(raw).map_err(|_| {
                err(
                    400,
                    "InputInvalid",
                    format!("{name} must be a list (`{name}.1=…` or a JSON array)"),
                )
            });
        }
        let mut items: Vec<(usize, String)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let index = k.strip_prefix(name)?.strip_prefix('.')?.parse().ok()?;
                Some((index, v.clone()))
            })
            .collect();
        items.sort();
        Ok(items.into_iter().map(|(_, v)| v).collect())
    }
}

pub struct Call<'a> {
    pub state: &'a DialectState,
    pub principal: Principal,
    pub params: Params,
}

impl Call<'_> {
    /// The caller's account (or the child named by `account`) after the product, policy and rate checks of
    /// `action` (`product:Name`), each refused with the product's own codes.
    pub async fn scope(
        &self,
        account: Option<&str>,
        action: &str,
        product: Product,
        codes: &Codes,
    ) -> Result<Scope, AcsError> {
        let service = &self.state.service;
        let scope = service
            .scope(&self.principal, account)
            .await
            .map_err(|e| match e {
                service::Error::NotFound(_) => err(
                    codes.unknown_account.0,
                    codes.unknown_account.1,
                    "the account is not yours or a child of yours",
                ),
                other => AcsError::from_service(other, "InvalidParameter"),
            })?;
        if scope.require_named(action).is_err() {
            let mut e = err(
                403,
                codes.denied,
                format!("you are not authorized to perform {action}"),
            );
            e.detail = Some(
                json!({ "AuthAction": action, "NoPermissionType": "ImplicitDeny", "PolicyType": "AccountLevelIdentityBasedPolicy" }),
            );
            return Err(e);
        }
        let enabled = service
            .has_product(&scope.account_id, product)
            .await
            .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
        if !enabled {
            return Err(err(
                403,
                codes.unsubscribed,
                format!("the account has not enabled {product}"),
            ));
        }
        let allowed = self
            .state
            .dialect_limits
            .allow(service, &scope.account_id, action)
            .await
            .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
        if !allowed {
            return Err(err(
                429,
                codes.throttled,
                format!("the request rate of {action} exceeds its limit"),
            ));
        }
        Ok(scope)
    }
}

/// A product's error codes for the checks every action makes.
pub struct Codes {
    /// Status and code when the named account is not the caller's or a child.
    pub unknown_account: (u16, &'static str),
    pub denied: &'static str,
    pub unsubscribed: &'static str,
    pub throttled: &'static str,
}

pub async fn handle(
    state: &DialectState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let request_id = crate::telemetry::current_request_id();
    let result = serve(state, method, uri, headers, body).await;
    let (status, mut payload) = match result {
        Ok(mut fields) => {
            fields["RequestId"] = json!(request_id);
            (StatusCode::OK, fields)
        }
        Err(e) => {
            let mut body = json!({ "RequestId": request_id, "HostId": host(headers), "Code": e.code, "Message": e.message });
            if let Some(detail) = e.detail {
                body["AccessDeniedDetail"] = detail;
            }
            (e.status, body)
        }
    };
    if !payload.is_object() {
        payload = json!({ "RequestId": request_id });
    }
    let mut response = (status, payload.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

fn host(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("hookd")
        .to_owned()
}

async fn serve(
    state: &DialectState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Value, AcsError> {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let from_body = body_params(headers, body)?;
    let params = super::merge_parameters(query.iter().chain(&from_body).cloned())
        .map_err(|e| err(400, "InvalidParameter", e.to_string()))?;
    let principal = authenticate(
        state,
        method,
        uri.path(),
        &query,
        &params,
        (body.is_empty() || super::is_form(headers)).then_some(from_body.as_slice()),
        headers,
        body,
    )
    .await?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let action = header("x-acs-action")
        .or_else(|| params.get("Action").cloned())
        .unwrap_or_default();
    let version = header("x-acs-version")
        .or_else(|| params.get("Version").cloned())
        .unwrap_or_default();
    let call = Call {
        state,
        principal,
        params: Params(params),
    };
    match (version.as_str(), action.as_str()) {
        (cams::VERSION, "UpdateAccountWebhook") => cams::update_account_webhook(&call).await,
        (cams::VERSION, "UpdatePhoneWebhook") => cams::update_phone_webhook(&call).await,
        (live::VERSION, _) if live::ACTIONS.contains(&action.as_str()) => {
            live::dispatch(&call, &action).await
        }
        _ => Err(err(
            404,
            "InvalidAction.NotFound",
            format!("the specified action `{action}` of version `{version}` is not found"),
        )),
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Parameters sent in the body: a form (`application/x-www-form-urlencoded`), or the members of a JSON
/// object (strings as they are, other values as JSON text, so a list arrives as a JSON array).
fn body_params(headers: &HeaderMap, body: &Bytes) -> Result<Vec<(String, String)>, AcsError> {
    let kind = content_type(headers);
    if body.is_empty() {
        return Ok(Vec::new());
    }
    if super::is_form(headers) {
        return Ok(url::form_urlencoded::parse(body).into_owned().collect());
    }
    if kind.starts_with("application/json") {
        let object: serde_json::Map<String, Value> = serde_json::from_slice(body).map_err(|e| {
            err(
                400,
                "InvalidParameter",
                format!("the JSON body is not an object of parameters: {e}"),
            )
        })?;
        return Ok(object
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect());
    }
    Ok(Vec::new())
}

/// `SignatureDoesNotMatch` showing what hookd signed (nothing secret: the request's own parts), so that
/// a client author can compare it with the client's.
fn signature_mismatch(what: &str) -> AcsError {
    err(
        400,
        "SignatureDoesNotMatch",
        format!("Specified signature is not matched with our calculation. {what}"),
    )
}

/// Verifies ACS3-HMAC-SHA256 (Authorization header) or the RPC signature (`Signature` parameter, in the
/// query string or a form body, over every parameter of both), the timestamp's freshness and the nonce's
/// first use. `form` is the body's parameters when the body is empty or a form (the RPC signature covers
/// nothing else), `None` otherwise.
#[allow(clippy::too_many_arguments)]
async fn authenticate(
    state: &DialectState,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    params: &BTreeMap<String, String>,
    form: Option<&[(String, String)]>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Principal, AcsError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let param = |name: &str| params.get(name).map(String::as_str);
    let (key_id, nonce, timestamp) = if let Some(auth) = header("authorization") {
        let auth = signature::Acs3::parse(auth).ok_or_else(|| {
            err(
                400,
                "IncompleteSignature",
                "the Authorization header is not `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`",
            )
        })?;
        let content_sha256 = header("x-acs-content-sha256").ok_or_else(|| {
            err(
                400,
                "MissingParameter",
                "x-acs-content-sha256 is mandatory with an ACS3-HMAC-SHA256 signature",
            )
        })?;
        let body_sha256 = signature::sha256_hex(body);
        if content_sha256 != body_sha256 {
            return Err(signature_mismatch(&format!(
                "x-acs-content-sha256 is {content_sha256}, the body's SHA-256 is {body_sha256}"
            )));
        }
        let key = key(state, auth.access_key_id).await?;
        let input = signature::acs3_input(
            method.as_str(),
            path,
            query,
            headers,
            auth.signed_headers,
            content_sha256,
        )
        .map_err(|signature::MissingHeader(name)| {
            err(
                400,
                "IncompleteSignature",
                format!("SignedHeaders names {name}, which the request does not carry"),
            )
        })?;
        let expected = signature::acs3_sign(&key.secret, &input.string_to_sign);
        if !crate::crypto::constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(signature_mismatch(&format!(
                "server string to sign is:{:?} canonical request is:{:?}",
                input.string_to_sign, input.canonical_request
            )));
        }
        (key, header("x-acs-signature-nonce"), header("x-acs-date"))
    } else if let Some(sig) = param("Signature") {
        let Some(form) = form else {
            return Err(err(
                400,
                "InvalidParameter",
                "the RPC signature covers the query string and a form body only; send the body as application/x-www-form-urlencoded",
            ));
        };
        if let Some(m) = param("SignatureMethod").filter(|m| *m != "HMAC-SHA1") {
            return Err(err(
                400,
                "InvalidParameter",
                format!("SignatureMethod {m} is not supported; the RPC signature is HMAC-SHA1"),
            ));
        }
        let id = param("AccessKeyId").ok_or_else(|| {
            err(
                400,
                "MissingParameter",
                "AccessKeyId is mandatory with a Signature parameter",
            )
        })?;
        let key = key(state, id).await?;
        // Over the parameters as sent; a client that merged a name repeated with one value into one
        // parameter (as the SDKs' maps do) signed them once, which is tried as well.
        let sent: Vec<(String, String)> = query.iter().chain(form).cloned().collect();
        let merged: Vec<(String, String)> =
            params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let string_to_sign = signature::rpc_string_to_sign(method.as_str(), &sent);
        let mut candidates = vec![string_to_sign.clone()];
        if merged.len() != sent.len() {
            candidates.push(signature::rpc_string_to_sign(method.as_str(), &merged));
        }
        let matched = candidates.iter().any(|candidate| {
            let expected = signature::rpc_sign(&key.secret, candidate);
            crate::crypto::constant_time_eq(expected.as_bytes(), sig.as_bytes())
        });
        if !matched {
            return Err(signature_mismatch(&format!(
                "server string to sign is:{string_to_sign}"
            )));
        }
        (key, param("SignatureNonce"), param("Timestamp"))
    } else {
        return Err(err(
            400,
            "MissingSignature",
            "the request is not signed: no Authorization header, and no Signature parameter in the query string or a form body",
        ));
    };
    let signed_at = timestamp
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| {
            err(
                400,
                "MissingTimestamp",
                "the signed request carries no valid timestamp (x-acs-date or Timestamp)",
            )
        })?
        .timestamp_millis();
    let now = now_ms();
    if (now - signed_at).abs() > MAX_SKEW_MS {
        return Err(err(
            400,
            "InvalidTimeStamp.Expired",
            "the specified timestamp or date is earlier or later than 15 minutes from now",
        ));
    }
    let nonce = nonce.filter(|n| !n.is_empty()).ok_or_else(|| {
        err(
            400,
            "MissingSignatureNonce",
            "the signed request carries no nonce",
        )
    })?;
    let Principal::Key { key_id: id, .. } = &key_id.principal else {
        return Err(err(403, "Forbidden", "only access keys may call this API"));
    };
    let first = state
        .service
        .first_use(&format!("acs:{id}:{nonce}"), now, now + 2 * MAX_SKEW_MS)
        .await
        .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
    if !first {
        return Err(err(
            400,
            "SignatureNonceUsed",
            "the request signature nonce has been used",
        ));
    }
    Ok(key_id.principal)
}

async fn key(state: &DialectState, id: &str) -> Result<service::KeyMaterial, AcsError> {
    state
        .service
        .access_key(id)
        .await
        .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?
        .ok_or_else(|| {
            err(
                404,
                "InvalidAccessKeyId.NotFound",
                "the specified access key is not found",
            )
        })
}
