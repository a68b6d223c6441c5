//! ApsaraVideo Live 2016-11-01: snapshot callback configs (one per `live-domain` app) and RTC event
//! subscriptions (up to 20 per `live-rtc` app, one of them for all channels).

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use serde_json::{json, Value};

use super::{err, AcsError, Call, Codes};
use crate::{
    domain::{AppKind, Format, Product},
    service::{self, DialectSubscription, NewSubscription, Scope, SubscriptionPatch},
};

pub const VERSION: &str = "2016-11-01";
pub const ACTIONS: &[&str] = &[
    "AddLiveSnapshotNotifyConfig",
    "UpdateLiveSnapshotNotifyConfig",
    "DescribeLiveSnapshotNotifyConfig",
    "DeleteLiveSnapshotNotifyConfig",
    "CreateEventSub",
    "UpdateEventSub",
    "ListEventSub",
    "DeleteEventSub",
];
/// Subscription sources and the event types they receive.
pub const SNAPSHOT_SOURCE: &str = "live-snapshot";
pub const SNAPSHOT_EVENT: &str = "live.snapshot";
pub const RTC_SOURCE: &str = "live-rtc";
const RTC_EVENTS: [&str; 2] = ["ChannelEvent", "UserEvent"];
const MAX_RTC_SUBSCRIPTIONS: usize = 20;
const MAX_USERS: usize = 30;
const MAX_EVENTS: usize = 5;
const MAX_NOTIFY_URL: usize = 500;

const SNAPSHOT_CODES: Codes = Codes {
    unknown_account: (404, "InvalidDomain.NotFound"),
    denied: "Forbidden.RAM",
    unsubscribed: "Forbidden.RAM",
    throttled: "Throttling.User",
};
const RTC_CODES: Codes = Codes {
    unknown_account: (404, "ResourceNotExist"),
    denied: "NoAuth",
    unsubscribed: "NoAuth",
    throttled: "Throttling.User",
};

pub async fn dispatch(call: &Call<'_>, action: &str) -> Result<Value, AcsError> {
    let named = format!("live:{action}");
    let codes = if action.contains("Snapshot") {
        &SNAPSHOT_CODES
    } else {
        &RTC_CODES
    };
    let scope = call.scope(None, &named, Product::Live, codes).await?;
    match action {
        "AddLiveSnapshotNotifyConfig" => add_snapshot(call, &scope).await,
        "UpdateLiveSnapshotNotifyConfig" => update_snapshot(call, &scope).await,
        "DescribeLiveSnapshotNotifyConfig" => describe_snapshot(call, &scope).await,
        "DeleteLiveSnapshotNotifyConfig" => delete_snapshot(call, &scope).await,
        "CreateEventSub" => create_event_sub(call, &scope).await,
        "UpdateEventSub" => update_event_sub(call, &scope).await,
        "ListEventSub" => list_event_sub(call, &scope).await,
        _ => delete_event_sub(call, &scope).await,
    }
}

fn missing(name: &str) -> AcsError {
    err(
        400,
        "MissingParam",
        format!("{name} is mandatory for this action"),
    )
}

fn service_error(e: service::Error) -> AcsError {
    AcsError::from_service(e, "MalformedParam")
}

/// The dialect subscriptions of `source` on `app`, if `app` is one of the caller's apps of `kind`.
async fn configs(
    call: &Call<'_>,
    scope: &Scope,
    app: &str,
    kind: AppKind,
    source: &str,
    missing_app: &AcsError,
) -> Result<Vec<DialectSubscription>, AcsError> {
    let found = call
        .state
        .service
        .dialect_app(scope, app)
        .await
        .map_err(service_error)?;
    if !found.is_some_and(|a| a.kind == kind) {
        return Err(err(
            missing_app.status.as_u16(),
            &missing_app.code,
            missing_app.message.clone(),
        ));
    }
    call.state
        .service
        .dialect_subscriptions(scope, app, source)
        .await
        .map_err(service_error)
}

// --- snapshot callbacks -------------------------------------------------------------------------------

fn no_domain(domain: &str) -> AcsError {
    err(
        404,
        "InvalidDomain.NotFound",
        format!("the domain `{domain}` does not exist"),
    )
}

async fn snapshot_config(
    call: &Call<'_>,
    scope: &Scope,
) -> Result<(String, Option<DialectSubscription>), AcsError> {
    let domain = call
        .params
        .get("DomainName")
        .ok_or_else(|| missing("DomainName"))?
        .to_owned();
    let mut found = configs(
        call,
        scope,
        &domain,
        AppKind::LiveDomain,
        SNAPSHOT_SOURCE,
        &no_domain(&domain),
    )
    .await?;
    Ok((domain, found.pop()))
}

fn config_not_found(domain: &str) -> AcsError {
    err(
        400,
        "ConfigNotFound",
        format!("no snapshot callback is configured for `{domain}`"),
    )
}

/// NotifyUrl: an http(s) URL of at most 500 characters.
fn notify_url(raw: &str) -> Result<String, AcsError> {
    let ok = raw.len() <= MAX_NOTIFY_URL
        && url::Url::parse(raw)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok {
        return Err(err(
            400,
            "MalformedParam",
            format!(
                "NotifyUrl `{raw}` must be an http(s) URL of at most {MAX_NOTIFY_URL} characters"
            ),
        ));
    }
    Ok(raw.to_owned())
}

/// NotifyReqAuth and NotifyAuthKey: the key (16–32 letters and digits) is given exactly when auth is `yes`.
fn notify_auth(req_auth: &str, key: Option<&str>) -> Result<BTreeMap<String, String>, AcsError> {
    let mut settings = BTreeMap::from([("NotifyReqAuth".to_owned(), req_auth.to_owned())]);
    match (req_auth, key) {
        ("yes", None) => return Err(missing("NotifyAuthKey")),
        ("yes", Some(k)) => {
            if !(16..=32).contains(&k.len()) || !k.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(err(
                    400,
                    "MalformedParam",
                    "NotifyAuthKey must be 16 to 32 letters and digits",
                ));
            }
            settings.insert("NotifyAuthKey".to_owned(), k.to_owned());
        }
        ("no", None) => {}
        ("no", Some(_)) => {
            return Err(err(
                400,
                "MalformedParam",
                "NotifyAuthKey is only allowed when NotifyReqAuth is yes",
            ))
        }
        (other, _) => {
            return Err(err(
                400,
                "MalformedParam",
                format!("NotifyReqAuth must be yes or no, not `{other}`"),
            ))
        }
    }
    Ok(settings)
}

async fn add_snapshot(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (domain, existing) = snapshot_config(call, scope).await?;
    let url = notify_url(
        call.params
            .get("NotifyUrl")
            .ok_or_else(|| missing("NotifyUrl"))?,
    )?;
    let settings = notify_auth(
        call.params.get("NotifyReqAuth").unwrap_or("no"),
        call.params.get("NotifyAuthKey"),
    )?;
    if existing.is_some() {
        return Err(err(
            409,
            "ConfigAlreadyExists",
            format!("a snapshot callback is already configured for `{domain}`"),
        ));
    }
    let new = NewSubscription {
        url,
        event_types: vec![SNAPSHOT_EVENT.to_owned()],
        description: Some("ApsaraVideo Live snapshot callback".to_owned()),
        format: Some(Format::LiveSnapshot),
        source: Some(SNAPSHOT_SOURCE.to_owned()),
        vendor_secrets: settings,
        ..NewSubscription::default()
    };
    call.state
        .service
        .insert_subscription(scope, &domain, new)
        .await
        .map_err(service_error)?;
    Ok(json!({}))
}

async fn update_snapshot(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (domain, existing) = snapshot_config(call, scope).await?;
    let current = existing.ok_or_else(|| config_not_found(&domain))?;
    let url = call.params.get("NotifyUrl").map(notify_url).transpose()?;
    let req_auth = call
        .params
        .get("NotifyReqAuth")
        .or(current
            .vendor_secrets
            .get("NotifyReqAuth")
            .map(String::as_str))
        .unwrap_or("no")
        .to_owned();
    let key = call
        .params
        .get("NotifyAuthKey")
        .map(str::to_owned)
        .or_else(|| {
            // Turning auth off drops the stored key; otherwise it is kept.
            (req_auth == "yes")
                .then(|| current.vendor_secrets.get("NotifyAuthKey").cloned())
                .flatten()
        });
    let settings = notify_auth(&req_auth, key.as_deref())?;
    let patch = SubscriptionPatch {
        url,
        vendor_secrets: Some(settings),
        ..SubscriptionPatch::default()
    };
    call.state
        .service
        .change_subscription(scope, &domain, &current.subscription.id, patch)
        .await
        .map_err(service_error)?;
    Ok(json!({}))
}

async fn describe_snapshot(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (domain, existing) = snapshot_config(call, scope).await?;
    let current = existing.ok_or_else(|| config_not_found(&domain))?;
    let setting = |k: &str| current.vendor_secrets.get(k).cloned().unwrap_or_default();
    Ok(json!({
        "DomainName": domain,
        "NotifyUrl": current.subscription.url,
        "NotifyReqAuth": setting("NotifyReqAuth"),
        "NotifyAuthKey": setting("NotifyAuthKey"),
    }))
}

async fn delete_snapshot(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (domain, existing) = snapshot_config(call, scope).await?;
    let current = existing.ok_or_else(|| config_not_found(&domain))?;
    call.state
        .service
        .remove_subscription(scope, &domain, &current.subscription.id)
        .await
        .map_err(service_error)?;
    Ok(json!({}))
}

// --- RTC event subscriptions --------------------------------------------------------------------------

fn input_invalid(message: impl Into<String>) -> AcsError {
    err(400, "InputInvalid", message)
}

async fn rtc_subscriptions(
    call: &Call<'_>,
    scope: &Scope,
) -> Result<(String, Vec<DialectSubscription>), AcsError> {
    let app = call
        .params
        .get("AppId")
        .ok_or_else(|| input_invalid("AppId is mandatory for this action"))?
        .to_owned();
    let missing_app = err(
        404,
        "ResourceNotExist",
        format!("the RTC app `{app}` does not exist"),
    );
    let subs = configs(
        call,
        scope,
        &app,
        AppKind::LiveRtc,
        RTC_SOURCE,
        &missing_app,
    )
    .await?;
    Ok((app, subs))
}

fn users(call: &Call<'_>) -> Result<Option<Vec<String>>, AcsError> {
    let users = call.params.list("Users")?;
    if users.len() > MAX_USERS {
        return Err(input_invalid(format!(
            "Users may list at most {MAX_USERS} users"
        )));
    }
    Ok((!users.is_empty()).then_some(users))
}

fn events(call: &Call<'_>) -> Result<Option<Vec<String>>, AcsError> {
    let events = call.params.list("Events")?;
    if events.len() > MAX_EVENTS {
        return Err(input_invalid(format!(
            "Events may list at most {MAX_EVENTS} events"
        )));
    }
    if let Some(bad) = events.iter().find(|e| !RTC_EVENTS.contains(&e.as_str())) {
        return Err(input_invalid(format!(
            "Events: `{bad}` is not one of {}",
            RTC_EVENTS.join(", ")
        )));
    }
    Ok((!events.is_empty()).then_some(events))
}

fn rtc_error(e: service::Error) -> AcsError {
    match e {
        service::Error::Invalid(i) if i.field == "url" => {
            err(400, "ErrorInvalidCallBackUrl", i.message)
        }
        service::Error::Invalid(i) => input_invalid(i.to_string()),
        other => service_error(other),
    }
}

fn find(subs: Vec<DialectSubscription>, call: &Call<'_>) -> Result<DialectSubscription, AcsError> {
    let id = call
        .params
        .get("SubscribeId")
        .ok_or_else(|| input_invalid("SubscribeId is mandatory for this action"))?;
    subs.into_iter()
        .find(|s| s.subscription.id == id)
        .ok_or_else(|| {
            err(
                404,
                "ResourceNotExist",
                format!("the subscription `{id}` does not exist"),
            )
        })
}

async fn create_event_sub(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (app, existing) = rtc_subscriptions(call, scope).await?;
    let url = call
        .params
        .get("CallbackUrl")
        .ok_or_else(|| err(400, "ErrorInvalidCallBackUrl", "CallbackUrl is mandatory"))?;
    let events =
        events(call)?.ok_or_else(|| input_invalid("Events must name at least one event"))?;
    let users = users(call)?.unwrap_or_default();
    let channel = call.params.get("ChannelId").map(str::to_owned);
    if existing.len() >= MAX_RTC_SUBSCRIPTIONS {
        return Err(err(
            400,
            "QuotaLimitError",
            format!("an RTC app has at most {MAX_RTC_SUBSCRIPTIONS} event subscriptions"),
        ));
    }
    if channel.is_none() && existing.iter().any(|s| s.subscription.channel_id.is_none()) {
        return Err(err(
            400,
            "QuotaLimitError",
            "an RTC app has at most one subscription for all channels",
        ));
    }
    let new = NewSubscription {
        url: url.to_owned(),
        event_types: events,
        channel_id: channel,
        users,
        description: Some("ApsaraVideo Live RTC event subscription".to_owned()),
        format: Some(Format::LiveRtc),
        source: Some(RTC_SOURCE.to_owned()),
        ..NewSubscription::default()
    };
    let created = call
        .state
        .service
        .insert_subscription(scope, &app, new)
        .await
        .map_err(rtc_error)?;
    Ok(json!({ "SubscribeId": created.subscription.id }))
}

async fn update_event_sub(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (app, existing) = rtc_subscriptions(call, scope).await?;
    let current = find(existing, call)?;
    let patch = SubscriptionPatch {
        url: call.params.get("CallbackUrl").map(str::to_owned),
        event_types: events(call)?,
        users: users(call)?,
        channel_id: call.params.get("ChannelId").map(|c| Some(c.to_owned())),
        ..SubscriptionPatch::default()
    };
    call.state
        .service
        .change_subscription(scope, &app, &current.subscription.id, patch)
        .await
        .map_err(rtc_error)?;
    Ok(json!({}))
}

async fn list_event_sub(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (_, subs) = rtc_subscriptions(call, scope).await?;
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let subscribers: Vec<Value> = subs
        .iter()
        .map(|s| {
            let s = &s.subscription;
            json!({
                "SubId": s.id,
                "CallbackUrl": s.url,
                "ChannelId": s.channel_id.clone().unwrap_or_default(),
                "Users": s.users,
                "Events": s.event_types,
                "Roles": 0,
                "CreateTime": time(s.created_at),
                "ModifyTime": time(s.updated_at),
            })
        })
        .collect();
    Ok(json!({ "Subscribers": subscribers }))
}

async fn delete_event_sub(call: &Call<'_>, scope: &Scope) -> Result<Value, AcsError> {
    let (app, existing) = rtc_subscriptions(call, scope).await?;
    let current = find(existing, call)?;
    call.state
        .service
        .remove_subscription(scope, &app, &current.subscription.id)
        .await
        .map_err(service_error)?;
    Ok(json!({}))
}
