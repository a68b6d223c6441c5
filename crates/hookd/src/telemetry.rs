//! Logging, metrics and trace set-up. Log fields use dotted names (`delivery.id`, `account.id`); secrets and
//! payloads are never logged.
//!
//! Traces: with `otlp_endpoint` set, the spans of target [`SPANS`] (one per API request, per publish and per
//! delivery attempt) are exported as OpenTelemetry traces over OTLP/HTTP (protobuf). A publish's W3C
//! `traceparent` is stored with its event, so that every attempt of its deliveries, on whichever node and
//! however much later, is a child of the publish. Without an endpoint no subscriber takes these spans: the
//! log filter turns their target off, so creating one is a cached check, and nothing is stored.
//!
//! The same spans are the context of the log lines within them: with their target turned on in the logs
//! (`RUST_LOG=info,hookd::otel=info`; add `hookd=debug` for every attempt's line), each line of a request,
//! a publish or an attempt shows its span's fields (request id, event, delivery, subscription, attempt
//! number, outcome), so a delivery can be followed from its publish to its last attempt in the logs alone.

use std::{sync::OnceLock, time::Duration};

use anyhow::Context as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::{
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{
    filter::Targets, fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer,
};

use crate::config::LogFormat;

/// The target of the spans exported as traces, and shown as the context of log lines when `RUST_LOG` turns
/// it on. Their integer fields are `i64`: the OpenTelemetry layer records unsigned ones as text.
pub const SPANS: &str = "hookd::otel";

tokio::task_local! {
    /// The id of the request being served (`X-Request-Id`), for error bodies in every API's format.
    pub static REQUEST_ID: String;
}

/// The id of the request being served, or empty outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// How long the exporter waits for the collector's answer to one batch of spans.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Colours only on a terminal: not in files, `podman logs` or a log collector.
fn colours() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// Installs the global log subscriber (`RUST_LOG` overrides the default `info`), without traces.
pub fn init_logging(format: LogFormat) {
    let builder = fmt()
        .with_env_filter(log_filter())
        .with_writer(std::io::stderr)
        .with_ansi(colours());
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Installs the global subscriber: logs as [`init_logging`] does and, with an `otlp_endpoint`
/// (`http://collector:4318`), the [`SPANS`] exported to `<endpoint>/v1/traces`. Call from within the Tokio
/// runtime, which sends the exports; keep the returned [`Traces`] and shut it down before exiting.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> anyhow::Result<Traces> {
    let Some(endpoint) = otlp_endpoint else {
        init_logging(format);
        return Ok(Traces { provider: None });
    };
    let provider = tracer_provider(endpoint)?;
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("hookd"))
        .with_location(false)
        .with_threads(false)
        .with_level(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(Targets::new().with_target(SPANS, tracing::Level::TRACE));
    let logs = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colours());
    let logs = match format {
        LogFormat::Json => logs.json().with_filter(log_filter()).boxed(),
        LogFormat::Text => logs.with_filter(log_filter()).boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(spans)
        .try_init();
    tracing::info!(endpoint, "exporting traces over OTLP/HTTP");
    Ok(Traces {
        provider: Some(provider),
    })
}

/// `RUST_LOG` or the default; the spans are left out of the logs unless `RUST_LOG` names their target.
fn log_filter() -> EnvFilter {
    filter_of(std::env::var("RUST_LOG").ok().as_deref())
}

fn filter_of(rust_log: Option<&str>) -> EnvFilter {
    let wanted = rust_log.filter(|v| !v.trim().is_empty());
    let filter = wanted
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
    if wanted.is_some_and(|v| v.contains(SPANS)) {
        return filter;
    }
    filter.add_directive(
        format!("{SPANS}=off")
            .parse()
            .expect("a valid filter directive"),
    )
}

/// The trace exporter, if one runs.
pub struct Traces {
    provider: Option<SdkTracerProvider>,
}

impl Traces {
    /// Exports the spans still waiting in memory (bounded by the export timeout) and stops exporting.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The exporter's thread sends through this runtime while the provider waits for it.
        let stopped = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(e)) = stopped {
            tracing::warn!(error = %e, "exporting the last spans failed");
        }
    }
}

fn tracer_provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let client = ExportClient {
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(EXPORT_TIMEOUT)
            .build()
            .context("building the trace exporter's HTTP client")?,
        runtime: tokio::runtime::Handle::current(),
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .context("building the OTLP trace exporter")?;
    let mut resource = Resource::builder();
    // The SDK reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; without a name, ours.
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("hookd");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

/// Sends the exporter's requests with hookd's own HTTP client (the exporter's client features would bring
/// a second copy of reqwest). The SDK exports from a thread of its own, outside the runtime, so each
/// request runs as a task on the runtime and the exporter waits for it.
#[derive(Debug)]
struct ExportClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<
        opentelemetry_http::Response<opentelemetry_http::Bytes>,
        opentelemetry_http::HttpError,
    > {
        let request = reqwest::Request::try_from(request)?;
        let http = self.http.clone();
        let (status, headers, body) = self
            .runtime
            .spawn(async move {
                let response = http.execute(request).await?;
                let (status, headers) = (response.status(), response.headers().clone());
                Ok::<_, reqwest::Error>((status, headers, response.bytes().await?))
            })
            .await??;
        let mut response = opentelemetry_http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

/// The W3C `traceparent` of `span`, to store for its children to come; `None` when traces are not exported.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = Traceparent(None);
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.0
}

/// Makes the span that `traceparent` (as stored by [`traceparent`]) names the parent of `span`.
pub fn set_stored_parent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(value) = traceparent.filter(|_| !span.is_disabled()) {
        let _ = span.set_parent(stored_context(value));
    }
}

/// Continues the trace of a request's `traceparent` (and `tracestate`) header in `span`, if it has one.
pub fn set_remote_parent(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    if !span.is_disabled() && headers.contains_key("traceparent") {
        let parent =
            TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers));
        let _ = span.set_parent(parent);
    }
}

/// Renames `span` (started already: a field cannot rename it any more).
pub fn rename(span: &tracing::Span, name: String) {
    if !span.is_disabled() {
        span.context().span().update_name(name);
    }
}

/// Links `span` to the span a stored `traceparent` names (the other events of a batch).
pub fn add_stored_link(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(value) = traceparent.filter(|_| !span.is_disabled()) {
        let linked = stored_context(value);
        span.add_link(linked.span().span_context().clone());
    }
}

/// The context a stored `traceparent` names.
fn stored_context(traceparent: &str) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&Traceparent(Some(traceparent.to_owned())))
}

/// A carrier of the `traceparent` value alone.
struct Traceparent(Option<String>);

impl Injector for Traceparent {
    fn set(&mut self, key: &str, value: String) {
        if key == "traceparent" {
            self.0 = Some(value);
        }
    }
}

impl Extractor for Traceparent {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent")
            .then_some(self.0.as_deref())
            .flatten()
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every server in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("hookd_attempt_duration_seconds".into()),
                    &[
                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
                    ],
                )
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed, in which case ours just stays unused.
            if metrics::set_global_recorder(recorder).is_ok() {
                keep_up(handle.clone());
            }
            handle
        })
        .clone()
}

/// How often the recorder folds the histograms' recorded values into their buckets.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds recorded histogram values into their buckets every few seconds, on a thread of its own. The
/// recorder keeps every value recorded until it is rendered or upkept, so without this (or a scrape of
/// `/metrics`) each attempt's duration would be kept for good: memory growing with every delivery.
fn keep_up(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_INTERVAL);
            handle.run_upkeep();
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "starting the metrics upkeep thread failed; histograms are folded only when /metrics is read");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_histogram_values_are_folded_without_a_scrape() {
        let handle = metrics_handle();
        // The thread that keeps the recorder from holding every recorded value runs in this process (it
        // names itself once it runs, so it is looked for a few times).
        let threads = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        };
        let found = (0..100).any(|_| {
            let found = threads().iter().any(|name| name == "metrics-upkeep");
            if !found {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            found
        });
        assert!(found, "no upkeep thread among {:?}", threads());
        // What it does: a value recorded and upkept is counted in the histogram's buckets.
        metrics::histogram!("hookd_attempt_duration_seconds").record(0.007);
        handle.run_upkeep();
        let rendered = handle.render();
        assert!(
            rendered.contains("hookd_attempt_duration_seconds_bucket{le=\"0.01\"}"),
            "{rendered}"
        );
    }

    #[test]
    fn without_an_exporter_spans_are_disabled_and_nothing_is_stored() {
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_writer(std::io::sink)
                .with_filter(log_filter()),
        );
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(target: SPANS, "publish");
            assert!(span.is_disabled());
            assert_eq!(traceparent(&span), None);
            // A span some other subscriber enabled, with no OpenTelemetry layer, has no trace either.
            let logged = tracing::error_span!("other");
            assert!(!logged.is_disabled());
            assert_eq!(traceparent(&logged), None);
        });
    }

    #[test]
    fn a_stored_traceparent_becomes_the_parent() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry().with(
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("test"))
                .with_filter(Targets::new().with_target(SPANS, tracing::Level::TRACE)),
        );
        tracing::subscriber::with_default(subscriber, || {
            let stored = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            let span = tracing::info_span!(target: SPANS, parent: None, "attempt");
            set_stored_parent(&span, Some(stored));
            let own = traceparent(&span).expect("a traceparent");
            assert!(
                own.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
                "{own}"
            );
            assert!(
                own.ends_with("-01") && !own.contains("b7ad6b7169203331"),
                "{own}"
            );
        });
    }
}
