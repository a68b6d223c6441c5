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
    api::ApiState,
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
    pub state: &'a ApiState,
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
            .allow(service.store().as_ref(), &scope.account_id, action)
            .await
            .map_err(|e| AcsError::from_service(e.into(), "InvalidParameter"))?;
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
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let request_id = crate::api::error::current_request_id();
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
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Value, AcsError> {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let principal = authenticate(state, method, uri.path(), &query, headers, body).await?;
    let mut params: BTreeMap<String, String> = query.into_iter().collect();
    if is_form {
        params.extend(url::form_urlencoded::parse(body).into_owned());
    }
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

/// Verifies ACS3-HMAC-SHA256 (Authorization header) or the RPC signature (`Signature` parameter),
/// the timestamp's freshness and the nonce's first use.
async fn authenticate(
    state: &ApiState,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Principal, AcsError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (key_id, nonce, timestamp) = if let Some(auth) = header("authorization") {
        let auth = signature::Acs3::parse(auth).ok_or_else(|| {
            err(
                400,
                "IncompleteSignature",
                "the Authorization header is not an ACS3-HMAC-SHA256 signature",
            )
        })?;
        let content_sha256 = header("x-acs-content-sha256").unwrap_or("");
        if content_sha256 != signature::sha256_hex(body) {
            return Err(err(
                400,
                "SignatureDoesNotMatch",
                "x-acs-content-sha256 does not match the request body",
            ));
        }
        let key = key(state, auth.access_key_id).await?;
        let expected = signature::acs3_signature(
            &key.secret,
            method.as_str(),
            path,
            query,
            headers,
            auth.signed_headers,
            content_sha256,
        );
        if !expected.is_some_and(|e| {
            crate::crypto::constant_time_eq(e.as_bytes(), auth.signature.as_bytes())
        }) {
            return Err(err(
                400,
                "SignatureDoesNotMatch",
                "the request signature does not conform to Alibaba Cloud standards",
            ));
        }
        (key, header("x-acs-signature-nonce"), header("x-acs-date"))
    } else if let Some(sig) = param("Signature") {
        let key = key(state, param("AccessKeyId").unwrap_or("")).await?;
        let expected = signature::rpc_signature(&key.secret, method.as_str(), query);
        if !crate::crypto::constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
            return Err(err(
                400,
                "SignatureDoesNotMatch",
                "the request signature does not conform to Alibaba Cloud standards",
            ));
        }
        (key, param("SignatureNonce"), param("Timestamp"))
    } else {
        return Err(err(400, "MissingSignature", "the request is not signed"));
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
        .store()
        .first_use(&format!("acs:{id}:{nonce}"), now, now + 2 * MAX_SKEW_MS)
        .await
        .map_err(|e| AcsError::from_service(e.into(), "InvalidParameter"))?;
    if !first {
        return Err(err(
            400,
            "SignatureNonceUsed",
            "the request signature nonce has been used",
        ));
    }
    Ok(key_id.principal)
}

async fn key(state: &ApiState, id: &str) -> Result<service::KeyMaterial, AcsError> {
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
