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

use crate::api::{error::ApiError, ApiState};

/// The dialect routes. `POST|GET /` is shared by the RPC-style vendors and told apart by their headers.
pub fn router() -> Router<ApiState> {
    Router::new()
        .route("/", post(root).get(root))
        .merge(huawei::router())
}

async fn root(
    State(state): State<ApiState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers.contains_key("x-tc-action") {
        return tencent::handle(&state, &method, &uri, &headers, &body).await;
    }
    let rpc_query = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    if headers.contains_key("x-acs-action") || rpc_query {
        return aliyun::handle(&state, &method, &uri, &headers, &body).await;
    }
    ApiError::for_status(StatusCode::NOT_FOUND).into_response()
}
