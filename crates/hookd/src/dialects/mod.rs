//! Vendor dialects: the public clouds' callback-configuration APIs, served on the same listener as the
//! native API so that programs written with the vendors' SDKs work by changing only the endpoint. Each
//! dialect verifies the vendor's request signature, then translates the call onto the same `service`
//! operations the native API uses, and answers in the vendor's wire form. Business rules stay in
//! `service`; only vendor limits and wire shapes live here.
//!
//! Alibaba Cloud CAMS and ApsaraVideo Live (`aliyun`), Tencent Cloud ESS (`tencent`) and Huawei Cloud
//! Meeting (`huawei`).

pub mod aliyun;
pub mod huawei;
pub mod limits;
pub mod tencent;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};

use crate::service::Service;

/// What the dialects use of the server: the service operations and their per-account action rates.
#[derive(Clone)]
pub struct DialectState {
    pub service: std::sync::Arc<Service>,
    pub dialect_limits: std::sync::Arc<limits::ActionLimits>,
}

/// The dialect routes. `POST|GET /` is shared by the RPC-style vendors and told apart by their headers or,
/// for the signatures carried in parameters, by the parameters' names (in the query string or a form body).
pub fn router(state: DialectState) -> Router {
    Router::new()
        .route("/", post(root).get(root))
        .merge(huawei::router())
        .with_state(state)
}

async fn root(
    State(state): State<DialectState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers.contains_key("x-tc-action") {
        return tencent::handle(&state, &method, &uri, &headers, &body).await;
    }
    let names = parameter_names(&uri, &headers, &body);
    let has = |name: &str| names.iter().any(|n| n == name);
    // Tencent's parameter signature names the key `SecretId`; Alibaba's RPC signature `AccessKeyId`.
    if has("Action") && has("SecretId") && !has("AccessKeyId") {
        return tencent::handle(&state, &method, &uri, &headers, &body).await;
    }
    if headers.contains_key("x-acs-action") || has("Action") {
        return aliyun::handle(&state, &method, &uri, &headers, &body).await;
    }
    // A bare status: the request context gives it the native error envelope.
    StatusCode::NOT_FOUND.into_response()
}

/// The names of the query string's parameters and of a form body's.
fn parameter_names(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Vec<String> {
    let mut names: Vec<String> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, _)| k.into_owned())
        .collect();
    if is_form(headers) {
        names.extend(url::form_urlencoded::parse(body).map(|(k, _)| k.into_owned()));
    }
    names
}

/// A parameter given twice (in the query string and a form body, or twice in one) with different values:
/// which one was meant, and signed, cannot be told.
#[derive(Debug)]
pub struct RepeatedParameter(pub String);

impl std::fmt::Display for RepeatedParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the parameter {} is given twice with different values",
            self.0
        )
    }
}

/// The parameters by name; a name repeated with the same value counts once.
pub fn merge_parameters(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<std::collections::BTreeMap<String, String>, RepeatedParameter> {
    let mut params = std::collections::BTreeMap::new();
    for (k, v) in pairs {
        if let Some(previous) = params.get(&k) {
            if *previous != v {
                return Err(RepeatedParameter(k));
            }
            continue;
        }
        params.insert(k, v);
    }
    Ok(params)
}

/// Whether the body is `application/x-www-form-urlencoded`.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}
