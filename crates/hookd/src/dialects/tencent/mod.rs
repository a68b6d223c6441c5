//! Tencent Cloud API 3.0 at `/`, as the ESS 2020-11-11 SDKs call it: TC3-HMAC-SHA256 (`X-TC-Action`,
//! POST with a JSON body or GET with the query string) or the parameter signature (HmacSHA1/HmacSHA256,
//! every parameter in the query string or a form body) verification, the `{"Response":{…,"RequestId"}}` envelope (errors inside it, HTTP 200),
//! and `ModifyApplicationCallbackInfo`, which adds or removes callback URLs on the `ess` app of the caller's
//! account (or of a child named by `Agent.ProxyOrganizationId`).

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
    api::ApiState,
    domain::{now_ms, Format, Product},
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
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let request_id = crate::api::error::current_request_id();
    envelope(&request_id, serve(state, method, uri, headers, body).await)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A request whose signature holds: the key's principal, the action and version it names, and the
/// action's input (the JSON body, or the parameters unflattened: `Operator.UserId=u` is
/// `{"Operator":{"UserId":"u"}}`).
struct Signed {
    principal: Principal,
    action: String,
    version: String,
    input: Value,
}

async fn serve(
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Value, TcError> {
    let signed = if headers.contains_key("x-tc-action") {
        authenticate_tc3(state, method, uri, headers, body).await?
    } else {
        authenticate_v1(state, method, uri, headers, body).await?
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

/// The host values a signature may cover: the `Host` header as sent and, when it carries a port, the
/// same host without it (tencentcloud-sdk-nodejs signs the host name but sends `host:port`). A host with
/// any other port is not among them.
fn signable_hosts(headers: &HeaderMap) -> Result<Vec<String>, TcError> {
    let host = header(headers, "host").ok_or_else(|| {
        err(
            "AuthFailure.InvalidAuthorization",
            "the request carries no Host header",
        )
    })?;
    let mut hosts = vec![host.to_owned()];
    if let Some(bare) = without_port(host) {
        hosts.push(bare.to_owned());
    }
    Ok(hosts)
}

/// `name:port` or `[v6]:port` without `:port`; `None` when there is no port.
fn without_port(host: &str) -> Option<&str> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        (&host[..=end], host[end + 1..].strip_prefix(':')?)
    } else {
        let (name, port) = host.rsplit_once(':')?;
        (name, port)
    };
    port.parse::<u16>().ok()?;
    Some(name)
}

/// `X-TC-Timestamp`/`Timestamp` within five minutes of now.
fn check_fresh(timestamp: i64) -> Result<(), TcError> {
    if (now_ms() / 1000 - timestamp).abs() > MAX_SKEW_SECS {
        return Err(err(
            "AuthFailure.SignatureExpire",
            format!(
                "the signature expired: its timestamp {timestamp} is more than 5 minutes from now"
            ),
        ));
    }
    Ok(())
}

async fn key(state: &ApiState, secret_id: &str) -> Result<service::KeyMaterial, TcError> {
    state
        .service
        .access_key(secret_id)
        .await
        .map_err(TcError::from)?
        .ok_or_else(|| {
            err(
                "AuthFailure.SecretIdNotFound",
                "the SecretId does not exist",
            )
        })
}

/// Verifies a TC3-HMAC-SHA256 request: the Authorization header, the timestamp, the credential's
/// service (`ess`, or the first label of the host the request was sent to, which is what the SDKs derive
/// from a custom endpoint, as Tencent's own endpoints `ess.tencentcloudapi.com` give `ess`), then the
/// signature over the host as sent or without its port.
async fn authenticate_tc3(
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Signed, TcError> {
    let auth = header(headers, "authorization")
        .and_then(tc3::Authorization::parse)
        .ok_or_else(|| {
            err(
                "AuthFailure.InvalidAuthorization",
                "the Authorization header is not `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=…, Signature=…`",
            )
        })?;
    let signed_headers: Vec<String> = auth
        .signed_headers
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    for required in ["content-type", "host"] {
        if !signed_headers.iter().any(|h| h == required) {
            return Err(err(
                "AuthFailure.InvalidAuthorization",
                format!("SignedHeaders must include {required}"),
            ));
        }
    }
    if header(headers, "x-tc-content-sha256")
        .is_some_and(|v| v.eq_ignore_ascii_case("UNSIGNED-PAYLOAD"))
    {
        return Err(err(
            "AuthFailure.InvalidAuthorization",
            "X-TC-Content-SHA256: UNSIGNED-PAYLOAD is not accepted; sign the body",
        ));
    }
    let timestamp: i64 = header(headers, "x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            err(
                "AuthFailure.InvalidAuthorization",
                "X-TC-Timestamp is missing or not a number",
            )
        })?;
    check_fresh(timestamp)?;
    let hosts = signable_hosts(headers)?;
    let first_label = |h: &String| h.split('.').next().unwrap_or_default().to_owned();
    if auth.service != SOURCE && !hosts.iter().map(first_label).any(|l| l == auth.service) {
        return Err(err(
            "AuthFailure.InvalidAuthorization",
            format!(
                "the credential scope names the service `{}`; sign with `{SOURCE}` or `{}`, the first label of the host this request was sent to",
                auth.service,
                first_label(&hosts[0])
            ),
        ));
    }
    let key = key(state, auth.secret_id).await?;
    let query = uri.query().unwrap_or("");
    let mut shown = None;
    let mut matched = false;
    for host in &hosts {
        let input = tc3::tc3_input(
            method.as_str(),
            query,
            headers,
            host,
            body,
            &auth,
            timestamp,
        )
        .map_err(|why| match why {
            tc3::Unsignable::Date(date) => err(
                "AuthFailure.SignatureFailure",
                format!(
                    "the credential date {} is not {date}, the UTC date of X-TC-Timestamp",
                    auth.date
                ),
            ),
            tc3::Unsignable::MissingHeader(name) => err(
                "AuthFailure.SignatureFailure",
                format!("SignedHeaders names {name}, which the request does not carry"),
            ),
        })?;
        let expected = tc3::signature(&key.secret, auth.date, auth.service, &input.string_to_sign);
        if crate::crypto::constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            matched = true;
            break;
        }
        shown.get_or_insert(input);
    }
    if !matched {
        let input = shown.expect("at least one host was tried");
        return Err(err(
            "AuthFailure.SignatureFailure",
            format!(
                "the request signature does not match. hookd's canonical request is:{:?} and its string to sign is:{:?} (with the Host header as sent; the host without its port was tried as well)",
                input.canonical_request, input.string_to_sign
            ),
        ));
    }
    let input = if *method == Method::GET {
        unflatten(url::form_urlencoded::parse(query.as_bytes()).into_owned())?
    } else if body.is_empty() {
        json!({})
    } else {
        let kind = header(headers, "content-type").unwrap_or("");
        if !kind.starts_with("application/json") {
            return Err(err(
                "InvalidParameter.ParamError",
                format!("a TC3 POST body must be application/json for {ACTION}, not `{kind}`"),
            ));
        }
        serde_json::from_slice(body).map_err(|e| {
            err(
                "InvalidParameter.ParamError",
                format!("the request body is not valid JSON: {e}"),
            )
        })?
    };
    Ok(Signed {
        principal: key.principal,
        action: header(headers, "x-tc-action")
            .unwrap_or_default()
            .to_owned(),
        version: header(headers, "x-tc-version")
            .unwrap_or_default()
            .to_owned(),
        input,
    })
}

/// The common parameters of the parameter signature, which are not the action's input.
const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Token",
    "Language",
    "RequestClient",
];

/// Verifies a request signed with the parameter signature: every parameter in the query string (GET) or a
/// form body (POST, with the query's parameters, if any, signed alike), the timestamp, the signature over
/// the host as sent or without its port, and that it is the first use of the request (its signature: the
/// SDKs' nonces are small random numbers, so two different requests may share one).
async fn authenticate_v1(
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Signed, TcError> {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned();
    let form: Vec<(String, String)> = if body.is_empty() {
        Vec::new()
    } else if super::is_form(headers) {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else {
        return Err(err(
            "InvalidParameter.ParamError",
            "with the parameter signature a body must be application/x-www-form-urlencoded",
        ));
    };
    for (k, v) in query.chain(form) {
        if params.get(&k).is_some_and(|previous| *previous != v) {
            return Err(err(
                "InvalidParameter.ParamError",
                format!("the parameter {k} is given twice with different values"),
            ));
        }
        params.insert(k, v);
    }
    let required = |name: &str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
            .ok_or_else(|| {
                err(
                    "MissingParameter",
                    format!("the request is missing the required parameter {name}"),
                )
            })
    };
    let signature = required("Signature")?;
    let sign_method = v1::Method::parse(params.get("SignatureMethod").map(String::as_str))
        .ok_or_else(|| {
            err(
                "InvalidParameterValue",
                "SignatureMethod must be HmacSHA1 or HmacSHA256 (or send TC3-HMAC-SHA256 in the Authorization header)",
            )
        })?;
    let timestamp: i64 = required("Timestamp")?.parse().map_err(|_| {
        err(
            "InvalidParameterValue",
            "Timestamp must be a Unix time in seconds",
        )
    })?;
    required("Nonce")?;
    check_fresh(timestamp)?;
    let key = key(state, required("SecretId")?).await?;
    let hosts = signable_hosts(headers)?;
    let strings: Vec<String> = hosts
        .iter()
        .map(|host| v1::string_to_sign(method.as_str(), host, uri.path(), &params))
        .collect();
    let matched = strings.iter().any(|sts| {
        crate::crypto::constant_time_eq(
            v1::sign(&key.secret, sign_method, sts).as_bytes(),
            signature.as_bytes(),
        )
    });
    if !matched {
        return Err(err(
            "AuthFailure.SignatureFailure",
            format!(
                "the request signature does not match. hookd's string to sign is:{:?} (with the Host header as sent; the host without its port was tried as well)",
                strings[0]
            ),
        ));
    }
    let Principal::Key { key_id, .. } = &key.principal else {
        return Err(err(
            "AuthFailure.InvalidAuthorization",
            "only access keys may call this API",
        ));
    };
    let now = now_ms();
    let first = state
        .service
        .store()
        .first_use(
            &format!("tc1:{key_id}:{signature}"),
            now,
            now + 2 * MAX_SKEW_SECS * 1000,
        )
        .await
        .map_err(|e| TcError::from(service::Error::from(e)))?;
    if !first {
        return Err(err(
            "AuthFailure.SignatureFailure",
            "this signed request was already accepted: each is accepted once (sign every request anew, with a new Nonce)",
        ));
    }
    let (action, version) = (
        required("Action")?.to_owned(),
        required("Version")?.to_owned(),
    );
    let input = unflatten(
        params
            .into_iter()
            .filter(|(k, _)| !COMMON.contains(&k.as_str())),
    )?;
    Ok(Signed {
        principal: key.principal,
        action,
        version,
        input,
    })
}

/// Dotted parameter names as nested objects: `CallbackInfo.CallbackUrl=u` is
/// `{"CallbackInfo":{"CallbackUrl":"u"}}`; every value stays text.
fn unflatten(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Value, TcError> {
    let conflict = |name: &str| {
        err(
            "InvalidParameter.ParamError",
            format!("the parameter {name} is both a value and an object"),
        )
    };
    let mut root = serde_json::Map::new();
    for (name, value) in pairs {
        let mut parts: Vec<&str> = name.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut node = &mut root;
        for part in parts {
            node = node
                .entry(part.to_owned())
                .or_insert_with(|| Value::Object(serde_json::Map::new()))
                .as_object_mut()
                .ok_or_else(|| conflict(&name))?;
        }
        if node.contains_key(last) {
            return Err(conflict(&name));
        }
        node.insert(last.to_owned(), Value::String(value));
    }
    Ok(Value::Object(root))
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
    state: &ApiState,
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
        .allow(state.service.store().as_ref(), &scope.account_id, &action)
        .await
        .map_err(|e| TcError::from(service::Error::from(e)))?;
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
    state: &ApiState,
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
