//! `/api/v1/accounts`: tenants and their access keys. Admin token only.

use axum::{extract::Path, extract::State, http::StatusCode, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::ApiResult,
    extract::{ApiJson, ApiQuery, Caller},
    ApiState, ErrorResponses, ListQuery, ListResponse,
};
use crate::{
    domain::Product,
    service::Service,
    views::{AccessKey, Account, CreatedKey},
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(get_account))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(delete_key))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub name: String,
    /// An account this one belongs to (an ISV or group account that may act for it).
    pub parent_id: Option<String>,
    /// Dialect products enabled; all when absent.
    pub products: Option<Vec<Product>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// Action patterns: `*`, `hookd:*`, `hookd:subscriptions.write`, `live:UpdateEventSub`, …
    pub policy: Vec<String>,
    /// The user this key acts as (Tencent `Operator.UserId`).
    pub user_id: Option<String>,
}

/// Create an account with its reserved apps (`cams`, `ess`, `meeting`, `ops`).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = CreateAccount,
    responses((status = 201, body = Account), ErrorResponses), security(("bearer" = ["admin"])))]
async fn create_account(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateAccount>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    Service::require_admin(&caller)?;
    let account = state
        .service
        .create_account(&body.name, body.parent_id.as_deref(), body.products)
        .await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// List accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(ListQuery),
    responses((status = 200, body = ListResponse<Account>), ErrorResponses), security(("bearer" = ["admin"])))]
async fn list_accounts(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResponse<Account>>> {
    Service::require_admin(&caller)?;
    Ok(Json(
        state.service.list_accounts(&query.page()).await?.into(),
    ))
}

/// Get an account.
#[utoipa::path(get, path = "/api/v1/accounts/{account}", tag = "accounts", params(("account" = String, Path)),
    responses((status = 200, body = Account), ErrorResponses), security(("bearer" = ["admin"])))]
async fn get_account(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(account): Path<String>,
) -> ApiResult<Json<Account>> {
    Service::require_admin(&caller)?;
    Ok(Json(state.service.get_account(&account).await?))
}

/// Create an access key; its secret is returned only here.
#[utoipa::path(post, path = "/api/v1/accounts/{account}/keys", tag = "accounts", params(("account" = String, Path)),
    request_body = CreateKey, responses((status = 201, body = CreatedKey), ErrorResponses), security(("bearer" = ["admin"])))]
async fn create_key(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(account): Path<String>,
    ApiJson(body): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    Service::require_admin(&caller)?;
    let key = state
        .service
        .create_key(&account, &body.policy, body.user_id.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// List an account's access keys (without secrets).
#[utoipa::path(get, path = "/api/v1/accounts/{account}/keys", tag = "accounts",
    params(("account" = String, Path), ListQuery),
    responses((status = 200, body = ListResponse<AccessKey>), ErrorResponses), security(("bearer" = ["admin"])))]
async fn list_keys(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(account): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResponse<AccessKey>>> {
    Service::require_admin(&caller)?;
    Ok(Json(
        state
            .service
            .list_keys(&account, &query.page())
            .await?
            .into(),
    ))
}

/// Revoke an access key.
#[utoipa::path(delete, path = "/api/v1/accounts/{account}/keys/{key}", tag = "accounts",
    params(("account" = String, Path), ("key" = String, Path)),
    responses((status = 204), ErrorResponses), security(("bearer" = ["admin"])))]
async fn delete_key(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path((account, key)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    Service::require_admin(&caller)?;
    state.service.delete_key(&account, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}
