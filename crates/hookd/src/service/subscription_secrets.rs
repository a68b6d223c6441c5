//! A subscription's secrets: rotating the signing secret, reading them all (the one read that shows them),
//! and sealing what an earlier version stored in clear.

use super::{Result, Scope, Service};
use crate::{
    domain::{now_ms, Action, WebhookSecret},
    sealed,
    views::{SubscriptionSecrets, SubscriptionWithSecret},
};

impl Service {
    /// Makes a new current secret (the given one, or a generated one); the previous secret keeps signing
    /// alongside it for the rotation grace period.
    pub async fn rotate_subscription_secret(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
        secret: Option<&str>,
    ) -> Result<SubscriptionWithSecret> {
        scope.require(Action::SubscriptionsWrite)?;
        let mut row = self.subscription_row(scope, app_id, id).await?;
        let next = match secret {
            Some(raw) => WebhookSecret::parse(raw)?,
            None => WebhookSecret::generate(),
        };
        let mut set = self.open_secrets(&row)?;
        let now = now_ms();
        set.rotate(next.clone(), now, now + self.rotation_grace_ms);
        row.secrets = self.sealer.seal(&set.to_json());
        Ok(SubscriptionWithSecret {
            subscription: self.save(row).await?,
            secret: next.expose(),
        })
    }

    /// A subscription's secrets: the current signing secret, the vendor secrets, and what reads mask (the
    /// extra headers' values, the target with its password).
    pub async fn subscription_secrets(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
    ) -> Result<SubscriptionSecrets> {
        scope.require(Action::SubscriptionsRead)?;
        let row = self.subscription_row(scope, app_id, id).await?;
        Ok(SubscriptionSecrets {
            secret: self.open_secrets(&row)?.current.expose(),
            vendor_secrets: self.open_vendor_secrets(&row)?,
            headers: self.open_headers(&row)?,
            url: self.open_url(&row)?,
        })
    }

    /// Seals the secrets that rows written by an earlier version keep in clear: custom header values and
    /// queue URL passwords. Run at start, before any delivery; idempotent (sealed values stay as they
    /// are). A row changed meanwhile by another node is left for the next start. Returns how many rows
    /// it sealed.
    pub async fn seal_stored_secrets(&self) -> Result<u64> {
        const PAGE: i64 = 500;
        let (mut after, mut sealed_rows) = (String::new(), 0);
        loop {
            let rows = self.store.subscriptions_with_secrets(&after, PAGE).await?;
            for row in &rows {
                let resealed = match sealed::seal_clear(&self.sealer, &row.url, &row.headers) {
                    Ok(resealed) => resealed,
                    Err(e) => {
                        // Its reads fail the same way; one unreadable row does not stop the server.
                        tracing::warn!(subscription.id = %row.id, error = %e, "stored headers are unreadable; not sealed");
                        continue;
                    }
                };
                if let Some((url, headers)) = resealed {
                    let was = (row.url.as_str(), row.headers.as_str());
                    if self
                        .store
                        .reseal_subscription(&row.id, was, &url, &headers)
                        .await?
                    {
                        sealed_rows += 1;
                    }
                }
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => after.clone_from(&last.id),
                _ => return Ok(sealed_rows),
            }
        }
    }
}
