//! CAMS 2020-06-06 `UpdateAccountWebhook`: the status-callback URL of an account (the caller's, or a child
//! named by `CustSpaceId`), kept as the `cams` subscription of that account's `cams` app.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{err, AcsError, Call, Codes};
use crate::{
    domain::{url::CAMS_QUEUE, Format, Product, SubscriptionStatus},
    service::{self, NewSubscription, SubscriptionPatch},
};

pub const VERSION: &str = "2020-06-06";
/// The app and the subscription source of CAMS account webhooks.
pub const SOURCE: &str = "cams";
const ACTION: &str = "cams:UpdateAccountWebhook";
const PHONE_ACTION: &str = "cams:UpdatePhoneWebhook";
/// The event types of CAMS status reports and inbound messages.
pub const STATUS_EVENT: &str = "cams.status";
pub const INBOUND_EVENT: &str = "cams.inbound";

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

pub async fn update_account_webhook(call: &Call<'_>) -> Result<Value, AcsError> {
    let scope = call
        .scope(
            call.params.get("CustSpaceId"),
            ACTION,
            Product::Cams,
            &CODES,
        )
        .await?;
    let flags = Flags::read(call)?;
    let target = Target {
        source: SOURCE.to_owned(),
        url: call.params.get("StatusCallbackUrl"),
        url_name: "StatusCallbackUrl",
        event_type: STATUS_EVENT,
        channel: None,
    };
    upsert(call, &scope, target, flags).await?;
    Ok(json!({ "Code": "OK", "Message": "SUCCESS" }))
}

/// `UpdatePhoneWebhook`: a phone number's status callback (`cams.status` events of that number) and
/// inbound-message callback (`cams.inbound` events), each a subscription filtered on the number.
pub async fn update_phone_webhook(call: &Call<'_>) -> Result<Value, AcsError> {
    let scope = call
        .scope(
            call.params.get("CustSpaceId"),
            PHONE_ACTION,
            Product::Cams,
            &CODES,
        )
        .await?;
    let phone = call.params.require("PhoneNumber")?.to_owned();
    let flags = Flags::read(call)?;
    let status_url = call.params.get("StatusCallbackUrl");
    let up_url = call.params.get("UpCallbackUrl");
    if status_url.is_none() && up_url.is_none() {
        return Err(err(
            400,
            "MissingParameter",
            "StatusCallbackUrl or UpCallbackUrl is mandatory for this action",
        ));
    }
    for (url, url_name, kind, event_type) in [
        (status_url, "StatusCallbackUrl", "status", STATUS_EVENT),
        (up_url, "UpCallbackUrl", "inbound", INBOUND_EVENT),
    ] {
        if url.is_none() {
            continue;
        }
        let target = Target {
            source: format!("{SOURCE}:phone:{kind}:{phone}"),
            url,
            url_name,
            event_type,
            channel: Some(phone.clone()),
        };
        upsert(call, &scope, target, flags).await?;
    }
    Ok(json!({ "Code": "OK", "Message": "SUCCESS" }))
}

/// HttpFlag (deliver over HTTP) and QueueFlag (deliver into the operator's queue), each optional.
#[derive(Clone, Copy)]
struct Flags {
    http: Option<bool>,
    queue: Option<bool>,
}

impl Flags {
    fn read(call: &Call<'_>) -> Result<Self, AcsError> {
        Ok(Self {
            http: flag(call, "HttpFlag")?,
            queue: flag(call, "QueueFlag")?,
        })
    }
}

/// One CAMS callback: the subscription of `source` on the account's `cams` app.
struct Target<'a> {
    source: String,
    url: Option<&'a str>,
    url_name: &'static str,
    event_type: &'static str,
    channel: Option<String>,
}

/// Creates the callback's subscription, or changes its URL and flags; then the subscription into the
/// operator's queue, enabled while `QueueFlag=Y`.
async fn upsert(
    call: &Call<'_>,
    scope: &service::Scope,
    target: Target<'_>,
    flags: Flags,
) -> Result<(), AcsError> {
    let service = &call.state.service;
    if flags.queue == Some(true) && !service.has_cams_queue() {
        return Err(err(
            400,
            "InvalidParameter",
            "QueueFlag=Y needs the operator's CAMS queue, and this server has none configured \
             (HOOKD_CAMS_QUEUE)",
        ));
    }
    let invalid_url = |e: service::Error| match e {
        service::Error::Invalid(i) => err(
            400,
            "InvalidParameter",
            format!("{}: {}", target.url_name, i.message),
        ),
        other => AcsError::from_service(other, "InvalidParameter"),
    };
    let queue_source = format!("{}#queue", target.source);
    let existing = service
        .dialect_subscriptions(scope, SOURCE, &target.source)
        .await
        .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
    let find = |source: &str| {
        existing
            .iter()
            .find(|s| s.subscription.source.as_deref() == Some(source))
            .cloned()
    };
    let (http, queue) = (find(&target.source), find(&queue_source));
    let queue_flag = |q: bool| if q { "Y" } else { "N" }.to_owned();
    match http {
        Some(current) => {
            let id = current.subscription.id.clone();
            let mut settings = current.vendor_secrets;
            if let Some(q) = flags.queue {
                settings.insert("QueueFlag".to_owned(), queue_flag(q));
            }
            let patch = SubscriptionPatch {
                url: target.url.map(str::to_owned),
                vendor_secrets: Some(settings),
                ..SubscriptionPatch::default()
            };
            service
                .change_subscription(scope, SOURCE, &id, patch)
                .await
                .map_err(invalid_url)?;
            if let Some(http) = flags.http {
                set_enabled(call, scope, &id, http).await?;
            }
        }
        // Receipts that only go to the queue need no URL.
        None if target.url.is_none() && flags.queue == Some(true) => {}
        None => {
            let url = target.url.ok_or_else(|| {
                err(
                    400,
                    "MissingParameter",
                    format!(
                        "{} is mandatory when no webhook is configured yet",
                        target.url_name
                    ),
                )
            })?;
            let new = NewSubscription {
                url: url.to_owned(),
                event_types: vec![target.event_type.to_owned()],
                channel_id: target.channel.clone(),
                enabled: Some(flags.http.unwrap_or(true)),
                description: Some(format!("CAMS {} callback", target.event_type)),
                format: Some(Format::Cams),
                source: Some(target.source.clone()),
                vendor_secrets: BTreeMap::from([(
                    "QueueFlag".to_owned(),
                    queue_flag(flags.queue.unwrap_or(false)),
                )]),
                ..NewSubscription::default()
            };
            service
                .insert_subscription(scope, SOURCE, new)
                .await
                .map_err(invalid_url)?;
        }
    }
    match (queue, flags.queue) {
        (Some(current), Some(enabled)) => {
            set_enabled(call, scope, &current.subscription.id, enabled).await?
        }
        (None, Some(true)) => {
            let new = NewSubscription {
                url: CAMS_QUEUE.to_owned(),
                event_types: vec![target.event_type.to_owned()],
                channel_id: target.channel,
                description: Some(format!(
                    "CAMS {} receipts into the queue",
                    target.event_type
                )),
                format: Some(Format::Cams),
                source: Some(queue_source),
                ..NewSubscription::default()
            };
            service
                .insert_subscription(scope, SOURCE, new)
                .await
                .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
        }
        _ => {}
    }
    Ok(())
}

async fn set_enabled(
    call: &Call<'_>,
    scope: &service::Scope,
    id: &str,
    enabled: bool,
) -> Result<(), AcsError> {
    let status = if enabled {
        SubscriptionStatus::Enabled
    } else {
        SubscriptionStatus::Disabled
    };
    call.state
        .service
        .change_subscription_status(scope, SOURCE, id, status)
        .await
        .map_err(|e| AcsError::from_service(e, "InvalidParameter"))?;
    Ok(())
}
