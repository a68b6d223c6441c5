//! Tencent Cloud API 3.0 at `/`, as the ESS 2020-11-11 SDKs call it: authentication (`auth`: TC3 or
//! the parameter signature), the `{"Response":{…,"RequestId"}}` envelope (errors inside it, HTTP 200), and `ModifyApplicationCallbackInfo`, which adds or removes callback URLs on the `ess` app of the caller's
//! account (or of a child named by `Agent.ProxyOrganizationId`).

mod auth;
pub mod tc3;
pub mod v1;

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    http::{header, HeaderMap, HeaderValue, Method, Uri},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    dialects::DialectState,
    domain::{Format, Product},
    service::{self, NewSubscription, Principal, Scope},
};

const VERSION: &str = "2020-11-11";
const ACTION: &str = "ModifyApplicationCallbackInfo";
/// Requests signed more than this far from now are refused (`AuthFailure.SignatureExpire`).
const MAX_SKEW_SECS: i64 = 300;
/// The source marking subscriptions made through this dialect.
pub const SOURCE: &str = "ess";
/// ESS's code for an operator the caller may not act as: 操作者权限不足, "the operator lacks the
/// permission" (ESS 2020-11-11 error codes; `OPERATIONDENIED_OPERATORHASNOPERMISSION` in the SDKs'
/// error list). `ModifyApplicationCallbackInfo` documents no operator-specific code of its own; the SDKs
/// raise any code the same way.
const OPERATOR_DENIED: &str = "OperationDenied.OperatorHasNoPermission";

/// An error as the Tencent SDK reads it.
#[derive(Debug)]
pub struct TcError {
    code: &'static str,
    message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> TcError {
    TcError {
        code,
        message: message.into(),
    }
}

impl From<service::Error> for TcError {
    fn from(e: service::Error) -> Self {
        use service::Error as E;
        match e {
            E::Invalid(i) => err("InvalidParameterValue", i.to_string()),
            E::NotFound(what) => err("InvalidParameterValue", format!("{what} not found")),
            E::Forbidden(action) => err(
                "UnauthorizedOperation.NoPermissionFeature",
                format!("the key's policy does not allow {action}"),
            ),
            E::QuotaExceeded(m) => err("LimitExceeded", m),
            E::Conflict { message, .. } => err("FailedOperation", message),
            // A storage fault: nothing was stored, and the caller may retry (logged once per episode).
            E::Store(e) if e.is_unavailable() => err(
                "ServiceUnavailable",
                "the service is temporarily unavailable",
            ),
            other => {
                tracing::error!(error = %other, "ESS dialect call failed");
                err("InternalError", "internal error")
            }
        }
    }
}

/// Answers with Tencent's envelope. The SDK only parses errors when the content type is exactly
/// `application/json`.
fn envelope(request_id: &str, result: Result<Value, TcError>) -> Response {
    let body = match result {
        Ok(mut fields) => {
            fields["RequestId"] = json!(request_id);
            json!({ "Response": fields })
        }
        Err(e) => {
            json!({ "Response": { "Error": { "Code": e.code, "Message": e.message }, "RequestId": request_id } })
        }
    };
    let mut response = body.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub async fn handle(
    state: &DialectState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let request_id = crate::telemetry::current_request_id();
    envelope(&request_id, serve(state, method, uri, headers, body).await)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn serve(
    state: &DialectState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Value, TcError> {
    let signed = if headers.contains_key("x-tc-action") {
        auth::authenticate_tc3(state, method, uri, headers, body).await?
    } else {
        auth::authenticate_v1(state, method, uri, headers, body).await?
    };
    if signed.version != VERSION {
        return Err(err(
            "NoSuchVersion",
            format!(
                "version `{}` is not supported; use {VERSION}",
                signed.version
            ),
        ));
    }
    if signed.action != ACTION {
        return Err(err(
            "InvalidAction",
            format!("action `{}` is not supported", signed.action),
        ));
    }
    modify_application_callback_info(state, &signed.principal, signed.input).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyRequest {
    operator: Option<UserInfo>,
    #[serde(default, deserialize_with = "integer_or_text")]
    operate_type: Option<i64>,
    callback_info: Option<CallbackInfo>,
    agent: Option<Agent>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserInfo {
    user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CallbackInfo {
    callback_url: Option<String>,
    callback_key: Option<String>,
    callback_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Agent {
    proxy_organization_id: Option<String>,
}

/// An integer sent as a JSON number, or as text (every parameter of the parameter signature is text).
fn integer_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected an integer, got {n}"))),
        Some(Value::String(t)) => t
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected an integer, got {t:?}"))),
        Some(other) => Err(D::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

async fn modify_application_callback_info(
    state: &DialectState,
    principal: &Principal,
    input: Value,
) -> Result<Value, TcError> {
    let request: ModifyRequest = serde_json::from_value(input).map_err(|e| {
        err(
            "InvalidParameter.ParamError",
            format!("the request is not valid: {e}"),
        )
    })?;
    let user_id = request
        .operator
        .and_then(|o| o.user_id)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| err("InvalidParameter.ParamError", "Operator.UserId is required"))?;
    if !may_act_as(principal, &user_id) {
        return Err(err(
            OPERATOR_DENIED,
            format!(
                "this key is bound to another user and may not act as Operator.UserId {user_id}"
            ),
        ));
    }
    let child = request
        .agent
        .and_then(|a| a.proxy_organization_id)
        .filter(|p| !p.is_empty());
    let scope = scope(state, principal, child.as_deref()).await?;
    let action = format!("ess:{ACTION}");
    scope.require_named(&action).map_err(TcError::from)?;
    if !state
        .service
        .has_product(&scope.account_id, Product::Ess)
        .await
        .map_err(TcError::from)?
    {
        return Err(err(
            "UnauthorizedOperation.NoPermissionFeature",
            "the account has not enabled ESS callbacks",
        ));
    }
    let allowed = state
        .dialect_limits
        .allow(&state.service, &scope.account_id, &action)
        .await
        .map_err(TcError::from)?;
    if !allowed {
        return Err(err(
            "RequestLimitExceeded",
            "too many requests; the limit is 20 per second",
        ));
    }
    let info = request
        .callback_info
        .ok_or_else(|| err("InvalidParameter.ParamError", "CallbackInfo is required"))?;
    let url = info.callback_url.filter(|u| !u.is_empty()).ok_or_else(|| {
        err(
            "InvalidParameter.ParamError",
            "CallbackInfo.CallbackUrl is required",
        )
    })?;
    let existing = state
        .service
        .dialect_subscriptions(&scope, SOURCE, SOURCE)
        .await
        .map_err(TcError::from)?
        .into_iter()
        .find(|s| {
            s.subscription.url == url
                || url::Url::parse(&url).is_ok_and(|u| u.as_str() == s.subscription.url)
        });
    match request.operate_type {
        Some(1) => {
            if existing.is_some() {
                return Ok(json!({}));
            }
            let mut vendor_secrets = BTreeMap::new();
            if let Some(key) = info.callback_key.filter(|k| !k.is_empty()) {
                if key.len() != 32 {
                    return Err(err(
                        "InvalidParameterValue",
                        "CallbackInfo.CallbackKey must be 32 characters (an AES-256 key)",
                    ));
                }
                vendor_secrets.insert("CallbackKey".to_owned(), key);
            }
            if let Some(token) = info.callback_token.filter(|t| !t.is_empty()) {
                if token.len() > 128 {
                    return Err(err(
                        "InvalidParameterValue",
                        "CallbackInfo.CallbackToken must be at most 128 characters",
                    ));
                }
                vendor_secrets.insert("CallbackToken".to_owned(), token);
            }
            let new = NewSubscription {
                url: url.clone(),
                description: Some(format!("ESS callback set by Operator.UserId {user_id}")),
                format: Some(Format::Ess),
                source: Some(SOURCE.to_owned()),
                vendor_secrets,
                ..NewSubscription::default()
            };
            state
                .service
                .insert_subscription(&scope, SOURCE, new)
                .await
                .map_err(|e| match e {
                    service::Error::Invalid(i) => err(
                        "InvalidParameterValue",
                        format!("CallbackInfo.CallbackUrl: {}", i.message),
                    ),
                    other => other.into(),
                })?;
            Ok(json!({}))
        }
        Some(2) => {
            let found = existing.ok_or_else(|| err("FailedOperation", "当前配置不存在"))?;
            state
                .service
                .remove_subscription(&scope, SOURCE, &found.subscription.id)
                .await
                .map_err(TcError::from)?;
            Ok(json!({}))
        }
        Some(other) => Err(err(
            "InvalidParameterValue",
            format!("OperateType must be 1 (add) or 2 (delete), got {other}"),
        )),
        None => Err(err(
            "InvalidParameter.ParamError",
            "OperateType is required",
        )),
    }
}

/// Whether the caller may act as the operator a request names: a key bound to a user (its `user_id`)
/// acts only as that user; a key without one acts as any operator of its account.
fn may_act_as(principal: &Principal, operator: &str) -> bool {
    match principal {
        Principal::Key {
            user_id: Some(bound),
            ..
        } => bound == operator,
        _ => true,
    }
}

/// The caller's account, or the child account named by `Agent.ProxyOrganizationId`.
async fn scope(
    state: &DialectState,
    principal: &Principal,
    child: Option<&str>,
) -> Result<Scope, TcError> {
    state
        .service
        .scope(principal, child)
        .await
        .map_err(|e| match e {
            service::Error::NotFound(_) => err(
                "InvalidParameterValue",
                "Agent.ProxyOrganizationId is not an organization this key may act for",
            ),
            other => other.into(),
        })
}
