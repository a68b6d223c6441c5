//! Rendering: a subscription's sealed secrets and settings opened (and kept while unchanged), and the
//! request of a delivery or a batch built in its format.

use std::{collections::BTreeMap, sync::Arc};

use super::Dispatcher;
use crate::{
    crypto::Sealer,
    delivery::formats::{self, RenderError},
    domain::{
        batch::BatchPolicy, compiled::Stored, retry::Schedule, Corrupt, ExtraHeaders, Format,
        Invalid, SecretSet, Settings, Target,
    },
    sealed,
    store::{DeliveryJob, EventRow, SubscriptionRow},
};

/// The most subscriptions whose opened settings are kept; past it the map starts over.
const OPENED_MAX: usize = 10_000;

/// The stored fields a subscription's `Opened` is made from.
#[derive(PartialEq, Eq)]
pub(super) struct Sealed {
    secrets: Vec<u8>,
    format: String,
    url: String,
    headers: String,
    vendor_secrets: Option<Vec<u8>>,
    retry: Option<String>,
    batch: Option<String>,
    rate_limit: Option<i32>,
    timeout_ms: Option<i64>,
}

impl Sealed {
    pub(super) fn of(job: &DeliveryJob) -> Self {
        Self {
            secrets: job.secrets.clone(),
            format: job.format.clone(),
            url: job.url.clone(),
            headers: job.headers.clone(),
            vendor_secrets: job.vendor_secrets.clone(),
            retry: job.retry.clone(),
            batch: job.batch.clone(),
            rate_limit: job.rate_limit,
            timeout_ms: job.timeout_ms,
        }
    }

    pub(super) fn matches(&self, job: &DeliveryJob) -> bool {
        self.secrets == job.secrets
            && self.format == job.format
            && self.url == job.url
            && self.headers == job.headers
            && self.vendor_secrets == job.vendor_secrets
            && self.retry == job.retry
            && self.batch == job.batch
            && self.rate_limit == job.rate_limit
            && self.timeout_ms == job.timeout_ms
    }
}

impl Dispatcher {
    /// The subscription's secrets and settings, opened once per change of the stored fields.
    pub(super) fn open(&self, job: &DeliveryJob) -> Result<Arc<Opened>, RenderError> {
        let lock = || self.inner.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((sealed, opened)) = lock().get(&job.subscription_id) {
            if sealed.matches(job) {
                return Ok(opened.clone());
            }
        }
        let opened = Arc::new(open_sealed(&self.inner.sealer, job)?);
        let mut cache = lock();
        if cache.len() >= OPENED_MAX {
            cache.clear();
        }
        cache.insert(
            job.subscription_id.clone(),
            (Sealed::of(job), opened.clone()),
        );
        Ok(opened)
    }
}

/// Builds the request of a unit: one delivery, or a batch (all of one subscription).
pub(super) fn render_unit(
    opened: &Opened,
    jobs: &[DeliveryJob],
    now: i64,
) -> Result<formats::Rendered, RenderError> {
    match jobs {
        [job] => render_opened(opened, job, now),
        _ => {
            let events: Vec<formats::EventView<'_>> = jobs.iter().map(event_view).collect();
            formats::render_batch(opened.format, &events, &opened.secrets, now)
        }
    }
}

/// A subscription's secrets and settings, opened for one attempt.
pub(super) struct Opened {
    pub(super) secrets: SecretSet,
    pub(super) format: Format,
    /// What the attempt's outcome follows: retry schedule, timeout, batch policy.
    pub(super) delivery: Delivery,
    /// The target with a queue URL's password.
    pub(super) url: String,
    /// `url` parsed; an unreadable one fails each attempt as a `Destination` failure.
    pub(super) target: Result<Target, Invalid>,
    pub(super) headers: ExtraHeaders,
    pub(super) vendor: BTreeMap<String, String>,
}

/// Opens a job's sealed secrets and settings.
fn open_sealed(sealer: &Sealer, job: &DeliveryJob) -> Result<Opened, RenderError> {
    let secrets = sealer
        .unseal(&job.secrets)
        .map_err(|e| e.to_string())
        .and_then(|raw| SecretSet::from_json(&raw).map_err(|e| e.to_string()))?;
    let delivery = Delivery::compile(job)?;
    let format = delivery.format;
    let url = sealed::open_url(sealer, &job.url).map_err(|e| format!("url: {e}"))?;
    let headers = sealed::open_headers(sealer, &job.headers)
        .and_then(|map| ExtraHeaders::parse(&map).map_err(|e| e.to_string()))?;
    let vendor: BTreeMap<String, String> = match &job.vendor_secrets {
        Some(sealed) => {
            let raw = sealer.unseal(sealed).map_err(|e| e.to_string())?;
            serde_json::from_slice(&raw).map_err(|e| e.to_string())?
        }
        None => BTreeMap::new(),
    };
    Ok(Opened {
        secrets,
        format,
        delivery,
        target: Target::parse(&url),
        url,
        headers,
        vendor,
    })
}

/// The settings a delivery's attempts follow, compiled from the job's copy of its subscription's.
pub(super) struct Delivery {
    pub(super) format: Format,
    pub(super) schedule: Schedule,
    pub(super) batch: Option<BatchPolicy>,
    pub(super) timeout: Option<std::time::Duration>,
}

impl Delivery {
    fn compile(job: &DeliveryJob) -> Result<Self, Corrupt> {
        // A job carries only the settings an attempt needs; the filter and ordering were the publish's.
        let settings = Settings::compile(Stored {
            event_types: "[]",
            channel_id: None,
            users: "[]",
            format: &job.format,
            retry: job.retry.as_deref(),
            batch: job.batch.as_deref(),
            ordering: "none",
            rate_limit: job.rate_limit,
            timeout_ms: job.timeout_ms,
            payload_filter: None,
        })?;
        Ok(Self {
            format: settings.format,
            schedule: settings.schedule,
            batch: settings.batch,
            timeout: settings.timeout,
        })
    }
}

/// Builds the request of one delivery with its subscription's opened secrets and settings.
fn render_opened(
    opened: &Opened,
    job: &DeliveryJob,
    now: i64,
) -> Result<formats::Rendered, RenderError> {
    let target = formats::TargetView {
        subscription_id: &job.subscription_id,
        app_id: &job.app_id,
        url: &opened.url,
        vendor: &opened.vendor,
    };
    formats::render(
        opened.format,
        &event_view(job),
        &target,
        &opened.secrets,
        now,
    )
}

/// The request an attempt of `job` made at `now` sends, built as the dispatcher builds it: the format's
/// body and headers (signatures included), and the subscription's extra headers, which the sender adds
/// after them.
pub fn render_request(
    sealer: &Sealer,
    job: &DeliveryJob,
    now: i64,
) -> Result<(formats::Rendered, ExtraHeaders), RenderError> {
    let opened = open_sealed(sealer, job)?;
    let rendered = render_opened(&opened, job, now)?;
    Ok((rendered, opened.headers))
}

fn event_view(job: &DeliveryJob) -> formats::EventView<'_> {
    formats::EventView {
        id: &job.event_id,
        event_type: &job.event_type,
        payload: &job.payload,
        channel_id: job.channel_id.as_deref(),
        user_id: job.user_id.as_deref(),
        created_at_ms: job.event_created_at,
    }
}

/// The job of a delivery just published: what the claim would read back, built from the rows in hand.
pub fn fresh_job(
    event: &EventRow,
    subscription: &SubscriptionRow,
    delivery_id: &str,
) -> DeliveryJob {
    DeliveryJob {
        delivery_id: delivery_id.to_owned(),
        event_id: event.id.clone(),
        account_id: event.account_id.clone(),
        app_id: event.app_id.clone(),
        subscription_id: subscription.id.clone(),
        attempts: 0,
        event_type: event.event_type.clone(),
        payload: event.payload.clone(),
        event_created_at: event.created_at,
        channel_id: event.channel_id.clone(),
        user_id: event.user_id.clone(),
        traceparent: event.traceparent.clone(),
        url: subscription.url.clone(),
        format: subscription.format.clone(),
        secrets: subscription.secrets.clone(),
        headers: subscription.headers.clone(),
        vendor_secrets: subscription.vendor_secrets.clone(),
        retry: subscription.retry.clone(),
        timeout_ms: subscription.timeout_ms,
        rate_limit: subscription.rate_limit,
        payload_expired_at: None,
        batch: subscription.batch.clone(),
    }
}
