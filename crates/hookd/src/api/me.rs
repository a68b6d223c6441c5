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
    /// A customer-portal session: one app of one account, until `expires_at`.
    Portal {
        session_id: String,
        account_id: String,
        account_name: String,
        app_id: String,
        /// The app's name, if it has one.
        app_name: Option<String>,
        /// `manage` or `read-only`.
        capability: String,
        /// The event types the session is limited to; null for every type.
        event_types: Option<Vec<String>>,
        expires_at: chrono::DateTime<chrono::Utc>,
        /// The actions the session may take (within its app).
        policy: Vec<String>,
        /// How the account's portal looks.
        theme: Theme,
    },
}

/// The portal's look, from the account's portal settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct Theme {
    pub product_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
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
        Principal::Portal(grant) => {
            let scope = state
                .service
                .scope(&Principal::Portal(grant.clone()), None)
                .await?;
            let app = state.service.get_app(&scope, &grant.app_id).await?;
            let theme = state.service.portal_theme(&grant).await?;
            Me::Portal {
                session_id: grant.session_id.clone(),
                account_name: state.service.get_account(&grant.account_id).await?.name,
                account_id: grant.account_id.clone(),
                app_id: grant.app_id.clone(),
                app_name: app.name,
                capability: grant.capability.as_str().to_owned(),
                event_types: grant
                    .types
                    .as_ref()
                    .map(|t| t.entries().map(str::to_owned).collect()),
                expires_at: crate::views::time(grant.expires_at),
                policy: grant.policy.entries().map(str::to_owned).collect(),
                theme: Theme {
                    product_name: theme.product_name,
                    logo_url: theme.logo_url,
                    primary_color: theme.primary_color,
                },
            }
        }
    }))
}
