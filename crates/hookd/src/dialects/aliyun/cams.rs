//! CAMS 2020-06-06 `UpdateAccountWebhook`: the status-callback URL of an account (the caller's, or a child
//! named by `CustSpaceId`), kept as the `cams` subscription of that account's `cams` app.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{err, AcsError, Call, Codes};
use crate::{
    domain::{Product, SubscriptionStatus},
    service::{self, NewSubscription, SubscriptionPatch},
};

pub const VERSION: &str = "2020-06-06";
/// The app and the subscription source of CAMS account webhooks.
pub const SOURCE: &str = "cams";
const ACTION: &str = "cams:UpdateAccountWebhook";
/// The event type CAMS status callbacks carry.
pub const STATUS_EVENT: &str = "cams.status";

const CODES: Codes = Codes {
    unknown_account: (400, "Unknown.ResourceOwnerId"),
    denied: "Ram.PermissionDeny",
    unsubscribed: "Product.Unsubscript",
    throttled: "System.LimitControl",
};

fn flag(call: &Call<'_>, name: &str) -> Result<Option<bool>, AcsError> {
    match call.params.get(name) {
        None => Ok(None),
        Some("Y") => Ok(Some(true)),
        Some("N") => Ok(Some(false)),
        Some(other) => Err(err(
            400,
            "InvalidParameter",
            format!("{name} must be Y or N, not `{other}`"),
        )),
    }
}

fn invalid_url(e: service::Error) -> AcsError {
    match e {
        service::Error::Invalid(i) => err(
            400,
            "InvalidParameter",
            format!("StatusCallbackUrl: {}", i.message),
        ),
        other => AcsError::from_service(other, "InvalidParameter"),
    }
}

pub async fn update_account_webhook(call: &Call<'_>) -> Result<Value, AcsError> {
    let scope = call
        .scope(
            call.params.get("CustSpaceId"),
            ACTION,
            Product::Cams,
            &CODES,
        )
        .await?;
    let http = flag(call, "HttpFlag")?;
    let queue = flag(call, "QueueFlag")?;
    let url = call.params.get("StatusCallbackUrl");
    let service = &call.state.service;
    let existing = service
        .dialect_subscriptions(&scope, SOURCE, SOURCE)
        .await
        .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?
        .into_iter()
        .next();
    let mut settings = BTreeMap::new();
    match existing {
        Some(current) => {
            let id = current.subscription.id.clone();
            settings = current.vendor_secrets;
            if let Some(q) = queue {
                settings.insert("QueueFlag".to_owned(), if q { "Y" } else { "N" }.to_owned());
            }
            let patch = SubscriptionPatch {
                url: url.map(str::to_owned),
                vendor_secrets: Some(settings),
                ..SubscriptionPatch::default()
            };
            service
                .change_subscription(&scope, SOURCE, &id, patch)
                .await
                .map_err(invalid_url)?;
            if let Some(http) = http {
                let status = if http {
                    SubscriptionStatus::Enabled
                } else {
                    SubscriptionStatus::Disabled
                };
                service
                    .change_subscription_status(&scope, SOURCE, &id, status)
                    .await
                    .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
            }
        }
        None => {
            let url = url.ok_or_else(|| {
                err(
                    400,
                    "MissingParameter",
                    "StatusCallbackUrl is mandatory when no webhook is configured yet",
                )
            })?;
            settings.insert(
                "QueueFlag".to_owned(),
                if queue.unwrap_or(false) { "Y" } else { "N" }.to_owned(),
            );
            let new = NewSubscription {
                url: url.to_owned(),
                event_types: vec![STATUS_EVENT.to_owned()],
                enabled: Some(http.unwrap_or(true)),
                description: Some("CAMS status callback".to_owned()),
                source: Some(SOURCE.to_owned()),
                vendor_secrets: settings,
                ..NewSubscription::default()
            };
            service
                .insert_subscription(&scope, SOURCE, new)
                .await
                .map_err(invalid_url)?;
        }
    }
    Ok(json!({ "Code": "OK", "Message": "SUCCESS" }))
}
