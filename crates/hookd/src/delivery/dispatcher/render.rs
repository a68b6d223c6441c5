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
    store::{DeliveryJob, Enabled, JobEvent, JobSubscription},
};

/// The most subscriptions whose opened settings are kept; past it the map starts over.
const OPENED_MAX: usize = 10_000;

impl Dispatcher {
    /// The subscription's secrets and settings, opened once per change of the stored fields.
    pub(super) fn open(&self, job: &DeliveryJob) -> Result<Arc<Opened>, RenderError> {
        let lock = || self.inner.opened.lock().unwrap_or_else(|e| e.into_inner());
        let subscription = &job.subscription;
        if let Some((sealed, opened)) = lock().get(&subscription.id) {
            // Jobs of one claim or one cache entry share their copy; others compare the stored fields.
            if Arc::ptr_eq(sealed, subscription) || **sealed == **subscription {
                return Ok(opened.clone());
            }
        }
        let opened = Arc::new(open_sealed(&self.inner.sealer, subscription)?);
        let mut cache = lock();
        if cache.len() >= OPENED_MAX {
            cache.clear();
        }
        cache.insert(
            subscription.id.clone(),
            (subscription.clone(), opened.clone()),
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

/// Opens a subscription's sealed secrets and settings.
fn open_sealed(sealer: &Sealer, job: &JobSubscription) -> Result<Opened, RenderError> {
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
    fn compile(job: &JobSubscription) -> Result<Self, Corrupt> {
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
        subscription_id: &job.subscription.id,
        app_id: &job.event.app_id,
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
    let opened = open_sealed(sealer, &job.subscription)?;
    let rendered = render_opened(&opened, job, now)?;
    Ok((rendered, opened.headers))
}

fn event_view(job: &DeliveryJob) -> formats::EventView<'_> {
    let event = &job.event;
    formats::EventView {
        id: &event.id,
        event_type: &event.event_type,
        payload: &event.payload,
        channel_id: event.channel_id.as_deref(),
        user_id: event.user_id.as_deref(),
        created_at_ms: event.created_at,
    }
}

/// The job of a delivery just published: what the claim would read back, built from what is in hand.
pub fn fresh_job(event: &Arc<JobEvent>, subscription: &Enabled, delivery_id: &str) -> DeliveryJob {
    DeliveryJob {
        delivery_id: delivery_id.to_owned(),
        attempts: 0,
        event: event.clone(),
        subscription: subscription.job().clone(),
    }
}
