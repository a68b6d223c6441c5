//! Subscriptions: where and how an app's events are called back.

use std::collections::BTreeMap;

use super::{paged, Error, PageParams, Paged, Result, Scope, Service};
use crate::domain::{batch::BatchPolicy, retry::RetryPolicy};
use crate::{
    domain::{
        new_id, now_ms, payload_filter::PayloadFilter, url::CAMS_QUEUE, Action, AsymmetricKey,
        CallbackUrl, ExtraHeaders, Filter, Format, Invalid, Ordering, SecretSet,
        SubscriptionStatus, WebhookSecret,
    },
    sealed,
    store::{AppRow, StoreError, SubscriptionRow},
    views::{corrupt, Subscription, SubscriptionWithSecret},
};

/// A subscription as the caller asks for it, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    pub url: String,
    pub event_types: Vec<String>,
    pub channel_id: Option<String>,
    pub users: Vec<String>,
    pub format: Option<Format>,
    pub secret: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// Set by dialects: which vendor config this is.
    pub source: Option<String>,
    /// Set by dialects: vendor secrets, sealed at rest.
    pub vendor_secrets: BTreeMap<String, String>,
    /// `None`: the format's retry profile.
    pub retry: Option<RetryPolicy>,
    /// `None`: the server's request timeout (or the profile's).
    pub timeout_ms: Option<u64>,
    /// Also sign with a fresh ed25519 key (`v1a`).
    pub asymmetric_signing: bool,
    /// Deliveries per second at most; `None`: unlimited.
    pub rate_limit: Option<u32>,
    pub ordering: Option<Ordering>,
    pub batch: Option<BatchPolicy>,
    /// Only events whose payload matches (docs/FILTERS.md); `None`: every payload.
    pub payload_filter: Option<serde_json::Value>,
}

/// Changes to a subscription; `None` leaves a field as it is, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub channel_id: Option<Option<String>>,
    pub users: Option<Vec<String>>,
    pub format: Option<Format>,
    pub headers: Option<BTreeMap<String, String>>,
    pub description: Option<Option<String>>,
    /// Replaces the vendor secrets (dialects only).
    pub vendor_secrets: Option<BTreeMap<String, String>>,
    /// `Some(None)` returns to the format's profile.
    pub retry: Option<Option<RetryPolicy>>,
    /// `Some(None)` returns to the server's timeout.
    pub timeout_ms: Option<Option<u64>>,
    /// `Some(true)` adds an ed25519 signing key (keeping one that exists), `Some(false)` removes it.
    pub asymmetric_signing: Option<bool>,
    /// `Some(None)` removes the limit.
    pub rate_limit: Option<Option<u32>>,
    pub ordering: Option<Ordering>,
    /// `Some(None)` sends one event per request again.
    pub batch: Option<Option<BatchPolicy>>,
    /// `Some(None)` removes the payload filter.
    pub payload_filter: Option<Option<serde_json::Value>>,
}

/// A payload filter checked and compiled (`filter` in the API), kept as the JSON it was given.
fn check_payload_filter(filter: Option<&serde_json::Value>) -> Result<Option<String>> {
    match filter {
        Some(source) => {
            PayloadFilter::compile(source)?;
            Ok(Some(source.to_string()))
        }
        None => Ok(None),
    }
}

fn check_retry(policy: Option<&RetryPolicy>) -> Result<Option<String>> {
    match policy {
        Some(p) => {
            p.schedule()?;
            Ok(Some(p.to_json()))
        }
        None => Ok(None),
    }
}

/// Batching is for formats whose body is an array.
fn check_batch(batch: Option<BatchPolicy>, format: &str) -> Result<Option<String>> {
    let Some(policy) = batch else {
        return Ok(None);
    };
    policy.check()?;
    if format != Format::Cams.as_str() {
        return Err(Invalid::new(
            "batch",
            format!("is only for formats whose body is an array (cams), not `{format}`"),
        )
        .into());
    }
    Ok(Some(policy.to_json()))
}

/// Most deliveries per second a subscription may be limited to.
pub const MAX_RATE_LIMIT: u32 = 10_000;

fn check_rate_limit(limit: Option<u32>) -> Result<Option<i32>> {
    match limit {
        Some(n) if n == 0 || n > MAX_RATE_LIMIT => Err(Invalid::new(
            "rate_limit",
            format!("must be 1 to {MAX_RATE_LIMIT} deliveries per second, or null for no limit"),
        )
        .into()),
        Some(n) => Ok(i32::try_from(n).ok()),
        None => Ok(None),
    }
}

fn check_description(d: Option<String>) -> Result<Option<String>> {
    match d {
        Some(d) if d.len() > 1000 => {
            Err(Invalid::new("description", "must be at most 1000 characters").into())
        }
        other => Ok(other),
    }
}

/// Vendor secrets: at most 10, names 1–64 letters/digits, values 1–256 characters.
fn check_vendor_secrets(secrets: &BTreeMap<String, String>) -> Result<()> {
    if secrets.len() > 10 {
        return Err(Invalid::new("vendor_secrets", "at most 10 entries").into());
    }
    for (name, value) in secrets {
        if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new(
                format!("vendor_secrets.{name}"),
                "names are 1 to 64 letters and digits",
            )
            .into());
        }
        if value.is_empty() || value.len() > 256 {
            return Err(Invalid::new(
                format!("vendor_secrets.{name}"),
                "values are 1 to 256 characters",
            )
            .into());
        }
    }
    Ok(())
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Whether the caller may see the subscription: a portal session limited to some event types sees only
/// subscriptions whose types all lie within them. (A row whose type list does not parse is left to the
/// view's conversion, which reports it as corrupt.)
fn sees_subscription(scope: &Scope, row: &SubscriptionRow) -> bool {
    if scope.portal().is_none() {
        return true;
    }
    serde_json::from_str::<Vec<String>>(&row.event_types)
        .map_or(true, |types| scope.sees_subscription(&types))
}

fn filter_columns(filter: &Filter) -> (String, Option<String>, String) {
    let types: Vec<&str> = filter.event_types.iter().map(|t| t.as_str()).collect();
    (json(&types), filter.channel_id.clone(), json(&filter.users))
}

impl Service {
    /// A subscription's request timeout: at least 100 ms, at most the server's (`delivery.timeout_ms`),
    /// which also bounds how long a delivery stays leased.
    fn check_timeout(&self, timeout_ms: Option<u64>) -> Result<Option<i64>> {
        let Some(ms) = timeout_ms else {
            return Ok(None);
        };
        let max = self.sender.timeout().as_millis();
        if ms < 100 || u128::from(ms) > max {
            return Err(Invalid::new(
                "timeout_ms",
                format!("must be between 100 and {max} (the server's delivery timeout)"),
            )
            .into());
        }
        Ok(i64::try_from(ms).ok())
    }

    /// An app that keeps subscriptions to its catalog (`catalog_only`) refuses a type that is not in it or
    /// is archived, and a wildcard that takes no such type.
    async fn check_catalog_types(
        &self,
        scope: &Scope,
        app: &AppRow,
        filter: &Filter,
    ) -> Result<()> {
        if let Some(portal) = scope.portal() {
            let types: Vec<&str> = filter.event_types.iter().map(|t| t.as_str()).collect();
            portal.check_subscription_types(&types)?;
        }
        if !app.catalog_only {
            return Ok(());
        }
        let catalog = self.store.catalog(&app.account_id, &app.id).await?;
        for pattern in &filter.event_types {
            if !catalog.offers(pattern.as_str()) {
                let what = if pattern.is_wildcard() {
                    "takes no type of the app's catalog that is not archived"
                } else {
                    "is not a type of the app's catalog, or is archived"
                };
                return Err(
                    Invalid::new("event_types", format!("`{}` {what}", pattern.as_str())).into(),
                );
            }
        }
        Ok(())
    }

    /// Save-time URL check: syntax, then the SSRF guard.
    async fn callback_url(&self, scope: &Scope, raw: &str) -> Result<CallbackUrl> {
        let url = CallbackUrl::parse(raw)?;
        if scope.portal().is_some()
            && !matches!(url.as_str().split_once("://"), Some(("http" | "https", _)))
        {
            return Err(Invalid::new(
                "url",
                "an endpoint added in the portal must be an http(s) URL",
            )
            .into());
        }
        self.guard.check_url(&url).await.map_err(|blocked| {
            Invalid::new(
                "url",
                format!("`{raw}` is not an allowed target: {blocked}"),
            )
        })?;
        Ok(url)
    }

    pub(super) fn open_secrets(&self, row: &SubscriptionRow) -> Result<SecretSet> {
        let raw = self
            .sealer
            .unseal(&row.secrets)
            .map_err(|e| corrupt("subscription secrets", e))?;
        Ok(SecretSet::from_json(&raw).map_err(|e| corrupt("subscription secrets", e))?)
    }

    pub(super) fn open_headers(&self, row: &SubscriptionRow) -> Result<BTreeMap<String, String>> {
        Ok(sealed::open_headers(&self.sealer, &row.headers).map_err(|e| corrupt("headers", e))?)
    }

    pub(super) fn open_url(&self, row: &SubscriptionRow) -> Result<String> {
        Ok(sealed::open_url(&self.sealer, &row.url).map_err(|e| corrupt("url", e))?)
    }

    fn seal_vendor_secrets(&self, secrets: &BTreeMap<String, String>) -> Option<Vec<u8>> {
        // Checked by `check_vendor_secrets` at the edge of every write.
        (!secrets.is_empty()).then(|| self.sealer.seal(json(secrets).as_bytes()))
    }

    pub(super) fn open_vendor_secrets(
        &self,
        row: &SubscriptionRow,
    ) -> Result<BTreeMap<String, String>> {
        let Some(sealed) = &row.vendor_secrets else {
            return Ok(BTreeMap::new());
        };
        let raw = self
            .sealer
            .unseal(sealed)
            .map_err(|e| corrupt("vendor secrets", e))?;
        Ok(serde_json::from_slice(&raw).map_err(|e| corrupt("vendor secrets", e))?)
    }

    pub async fn create_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        new: NewSubscription,
    ) -> Result<SubscriptionWithSecret> {
        scope.require(Action::SubscriptionsWrite)?;
        self.insert_subscription(scope, app_id, new).await
    }

    /// Creates a subscription without checking a native action: dialects check their vendor action first.
    pub(crate) async fn insert_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        new: NewSubscription,
    ) -> Result<SubscriptionWithSecret> {
        let app = self.app_row(scope, app_id).await?;
        check_vendor_secrets(&new.vendor_secrets)?;
        // Only dialects make subscriptions into the operator's CAMS queue.
        let url = if new.source.is_some() && new.url == CAMS_QUEUE {
            new.url.clone()
        } else {
            let url = self.callback_url(scope, &new.url).await?;
            sealed::seal_url(&self.sealer, url.as_str())
        };
        let filter = Filter::parse(&new.event_types, new.channel_id.as_deref(), &new.users)?;
        self.check_catalog_types(scope, &app, &filter).await?;
        let headers = ExtraHeaders::parse(&new.headers)?;
        let secret = match new.secret.as_deref() {
            Some(raw) => WebhookSecret::parse(raw)?,
            None => WebhookSecret::generate(),
        };
        let status = if new.enabled.unwrap_or(true) {
            SubscriptionStatus::Enabled
        } else {
            SubscriptionStatus::Disabled
        };
        let (event_types, channel_id, users) = filter_columns(&filter);
        let mut secrets = SecretSet::new(secret.clone());
        if new.asymmetric_signing {
            secrets.asymmetric = Some(AsymmetricKey::generate());
        }
        let now = now_ms();
        let row = SubscriptionRow {
            id: new_id("sub"),
            account_id: scope.account_id.clone(),
            app_id: app.id.clone(),
            url,
            status: status.as_str().to_owned(),
            event_types,
            channel_id,
            users,
            format: new.format.unwrap_or(Format::Native).as_str().to_owned(),
            secrets: self.sealer.seal(&secrets.to_json()),
            headers: sealed::seal_headers(&self.sealer, &headers),
            description: check_description(new.description)?,
            created_at: now,
            updated_at: now,
            source: new.source,
            vendor_secrets: self.seal_vendor_secrets(&new.vendor_secrets),
            retry: check_retry(new.retry.as_ref())?,
            timeout_ms: self.check_timeout(new.timeout_ms)?,
            public_key: secrets.asymmetric.as_ref().map(AsymmetricKey::public_key),
            rate_limit: check_rate_limit(new.rate_limit)?,
            ordering: new.ordering.unwrap_or(Ordering::None).as_str().to_owned(),
            batch: None,
            payload_filter: check_payload_filter(new.payload_filter.as_ref())?,
            failing_since: None,
        };
        let row = SubscriptionRow {
            batch: check_batch(new.batch, &row.format)?,
            ..row
        };
        self.store
            .insert_subscription(&row, app.max_subscriptions)
            .await
            .map_err(|e| match e {
                StoreError::QuotaExceeded => Error::QuotaExceeded(format!(
                    "app `{}` already has its maximum of {} subscriptions",
                    app.id, app.max_subscriptions
                )),
                other => other.into(),
            })?;
        Ok(SubscriptionWithSecret {
            subscription: Subscription::try_from(&row)?,
            secret: secret.expose(),
        })
    }

    pub(super) async fn subscription_row(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
    ) -> Result<SubscriptionRow> {
        self.app_row(scope, app_id).await?;
        self.store
            .get_subscription(&scope.account_id, app_id, id)
            .await?
            .filter(|row| sees_subscription(scope, row))
            .ok_or(Error::NotFound("subscription"))
    }

    pub async fn get_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
    ) -> Result<Subscription> {
        scope.require(Action::SubscriptionsRead)?;
        Ok(Subscription::try_from(
            &self.subscription_row(scope, app_id, id).await?,
        )?)
    }

    pub async fn list_subscriptions(
        &self,
        scope: &Scope,
        app_id: &str,
        params: &PageParams,
    ) -> Result<Paged<Subscription>> {
        scope.require(Action::SubscriptionsRead)?;
        self.app_row(scope, app_id).await?;
        let page = params.to_page()?;
        let rows = self
            .store
            .list_subscriptions(&scope.account_id, app_id, &page)
            .await?;
        let mut listed = paged(&page, rows, |r| &r.id, Ok)?;
        listed.data.retain(|r| sees_subscription(scope, r));
        Ok(Paged {
            data: listed
                .data
                .iter()
                .map(Subscription::try_from)
                .collect::<Result<_, _>>()?,
            next_cursor: listed.next_cursor,
        })
    }

    pub(super) async fn save(&self, mut row: SubscriptionRow) -> Result<Subscription> {
        row.updated_at = now_ms();
        if !self.store.update_subscription(&row).await? {
            return Err(Error::NotFound("subscription"));
        }
        Ok(Subscription::try_from(&row)?)
    }

    pub async fn update_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
        patch: SubscriptionPatch,
    ) -> Result<Subscription> {
        scope.require(Action::SubscriptionsWrite)?;
        self.change_subscription(scope, app_id, id, patch).await
    }

    /// Applies a patch without checking a native action (dialects check their vendor action first).
    pub(crate) async fn change_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
        patch: SubscriptionPatch,
    ) -> Result<Subscription> {
        let mut row = self.subscription_row(scope, app_id, id).await?;
        if let Some(url) = patch
            .url
            .as_deref()
            .filter(|u| !sealed::is_shown_form(u, &row.url))
        {
            let url = self.callback_url(scope, url).await?;
            row.url = sealed::seal_url(&self.sealer, url.as_str());
        }
        if patch.event_types.is_some() || patch.channel_id.is_some() || patch.users.is_some() {
            let current = Subscription::try_from(&row)?;
            let filter = Filter::parse(
                patch.event_types.as_deref().unwrap_or(&current.event_types),
                match &patch.channel_id {
                    Some(c) => c.as_deref(),
                    None => current.channel_id.as_deref(),
                },
                patch.users.as_deref().unwrap_or(&current.users),
            )?;
            if patch.event_types.is_some() {
                let app = self.app_row(scope, app_id).await?;
                self.check_catalog_types(scope, &app, &filter).await?;
            }
            (row.event_types, row.channel_id, row.users) = filter_columns(&filter);
        }
        if let Some(payload_filter) = &patch.payload_filter {
            row.payload_filter = check_payload_filter(payload_filter.as_ref())?;
        }
        if let Some(format) = patch.format {
            row.format = format.as_str().to_owned();
        }
        if let Some(headers) = &patch.headers {
            let headers = sealed::unmask(headers, &self.open_headers(&row)?)?;
            row.headers = sealed::seal_headers(&self.sealer, &ExtraHeaders::parse(&headers)?);
        }
        if let Some(description) = patch.description {
            row.description = check_description(description)?;
        }
        if let Some(secrets) = &patch.vendor_secrets {
            check_vendor_secrets(secrets)?;
            row.vendor_secrets = self.seal_vendor_secrets(secrets);
        }
        if let Some(retry) = &patch.retry {
            row.retry = check_retry(retry.as_ref())?;
        }
        if let Some(timeout) = patch.timeout_ms {
            row.timeout_ms = self.check_timeout(timeout)?;
        }
        if let Some(batch) = patch.batch {
            row.batch = batch.map(|b| b.to_json());
        }
        if row.batch.is_some() || patch.format.is_some() {
            let current = row.batch.as_deref().and_then(BatchPolicy::from_json);
            row.batch = check_batch(current, &row.format)?;
        }
        if let Some(ordering) = patch.ordering {
            row.ordering = ordering.as_str().to_owned();
        }
        if let Some(limit) = patch.rate_limit {
            row.rate_limit = check_rate_limit(limit)?;
        }
        if let Some(wanted) = patch.asymmetric_signing {
            let mut set = self.open_secrets(&row)?;
            if wanted != set.asymmetric.is_some() {
                set.asymmetric = wanted.then(AsymmetricKey::generate);
                row.public_key = set.asymmetric.as_ref().map(AsymmetricKey::public_key);
                row.secrets = self.sealer.seal(&set.to_json());
            }
        }
        self.save(row).await
    }

    pub async fn set_subscription_status(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
        status: SubscriptionStatus,
    ) -> Result<Subscription> {
        scope.require(Action::SubscriptionsWrite)?;
        self.change_subscription_status(scope, app_id, id, status)
            .await
    }

    /// Sets the status without checking a native action (dialects check their vendor action first).
    pub(crate) async fn change_subscription_status(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
        status: SubscriptionStatus,
    ) -> Result<Subscription> {
        let mut row = self.subscription_row(scope, app_id, id).await?;
        row.status = status.as_str().to_owned();
        let saved = self.save(row).await?;
        if status == SubscriptionStatus::Enabled {
            // Deliveries held back while it was disabled may be due now.
            self.dispatcher.wake();
        }
        Ok(saved)
    }

    pub async fn delete_subscription(&self, scope: &Scope, app_id: &str, id: &str) -> Result<()> {
        scope.require(Action::SubscriptionsWrite)?;
        self.remove_subscription(scope, app_id, id).await
    }

    /// Deletes without checking a native action (dialects check their vendor action first).
    pub(crate) async fn remove_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
    ) -> Result<()> {
        // Read first: a caller that may not see the subscription may not delete it either.
        self.subscription_row(scope, app_id, id).await?;
        if self
            .store
            .delete_subscription(&scope.account_id, app_id, id, now_ms())
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound("subscription"))
        }
    }
}
