//! What the dialects need of subscriptions beyond the native operations: the configs a dialect made (with
//! their vendor secrets), the operator's CAMS queue, and Meeting's `meeting.verify` handshake.

use std::collections::BTreeMap;

use super::{Result, Scope, Service};
use crate::{
    delivery::formats::meeting,
    domain::{now_ms, ExtraHeaders, Invalid, SubscriptionStatus},
    views::Subscription,
};

/// A dialect-made subscription with its vendor secrets opened.
#[derive(Debug, Clone)]
pub struct DialectSubscription {
    pub subscription: Subscription,
    pub vendor_secrets: BTreeMap<String, String>,
}

impl Service {
    /// The dialect subscriptions of an app whose source starts with `prefix`, with their vendor secrets
    /// (dialects check their vendor action first).
    pub(crate) async fn dialect_subscriptions(
        &self,
        scope: &Scope,
        app_id: &str,
        prefix: &str,
    ) -> Result<Vec<DialectSubscription>> {
        let rows = self
            .store
            .subscriptions_by_source(&scope.account_id, app_id, prefix)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DialectSubscription {
                    subscription: Subscription::try_from(row)?,
                    vendor_secrets: self.open_vendor_secrets(row)?,
                })
            })
            .collect()
    }

    /// Whether the operator configured a queue for CAMS receipts (`QueueFlag=Y`).
    pub(crate) fn has_cams_queue(&self) -> bool {
        self.sender.has_cams_queue()
    }

    /// Enables a Meeting webhook config only after its receiver passes the `meeting.verify` handshake:
    /// a signed `meeting.verify` callback whose answer must echo the nonce. On failure the status stays.
    pub(crate) async fn enable_after_meeting_handshake(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
    ) -> Result<Subscription> {
        let row = self.subscription_row(scope, app_id, id).await?;
        let vendor = self.open_vendor_secrets(&row)?;
        let key = vendor
            .get("subscriberKey")
            .map(String::as_str)
            .unwrap_or_default();
        let app = vendor
            .get("subscriberId")
            .map(String::as_str)
            .unwrap_or_default();
        let (request, nonce) = meeting::render(
            app,
            key.as_bytes(),
            "meeting.verify",
            &serde_json::json!({}),
            now_ms(),
        );
        let reply = self
            .sender
            .send_url(
                &self.open_url(&row)?,
                &nonce,
                &request,
                &ExtraHeaders::default(),
                None,
            )
            .await;
        let failed = |why: String| {
            Invalid::new(
                "url",
                format!(
                    "`{}` did not pass the meeting.verify handshake: {why}",
                    crate::domain::url::redact(&row.url)
                ),
            )
        };
        if !reply.is_success() {
            let why = match (reply.status, reply.error) {
                (_, Some(error)) => error,
                (Some(status), None) => format!("it answered HTTP {status}"),
                (None, None) => "no answer".to_owned(),
            };
            return Err(failed(why).into());
        }
        if !reply
            .excerpt
            .as_deref()
            .is_some_and(|body| meeting::echoes(body, &nonce))
        {
            return Err(failed("the answer did not echo the nonce".to_owned()).into());
        }
        self.change_subscription_status(scope, app_id, id, SubscriptionStatus::Enabled)
            .await
    }
}
