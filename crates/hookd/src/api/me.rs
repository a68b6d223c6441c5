//! `/api/v1/me`: who the caller is, so a client can tell the operator's token from an account's key.

use axum::{extract::State, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{error::ApiResult, extract::Caller, ApiState, ErrorResponses};
use crate::service::Principal;

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_me))
}

/// The caller: the admin token, or an access key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    /// The operator's admin token.
    Admin,
    /// An access key of an account.
    Key {
        account_id: String,
        /// The account's name.
        account_name: String,
        key_id: String,
        /// The actions the key may take.
        policy: Vec<String>,
    },
}

/// Who the caller is. Needs no policy action.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), ErrorResponses), security(("bearer" = [])))]
async fn get_me(State(state): State<ApiState>, Caller(principal): Caller) -> ApiResult<Json<Me>> {
    Ok(Json(match principal {
        Principal::Admin => Me::Admin,
        Principal::Key {
            key_id,
            account_id,
            policy,
            ..
        } => Me::Key {
            account_name: state.service.get_account(&account_id).await?.name,
            account_id,
            key_id,
            policy: policy.entries().map(str::to_owned).collect(),
        },
    }))
}
