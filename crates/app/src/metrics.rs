//! Prometheus metrics. One [`Metrics`] per running app (not a global recorder), so every test
//! server counts for itself. Counters move where the thing happens (the HTTP layer, the device
//! sessions, the webhook worker); gauges are read at scrape time (`services::metrics`).
//!
//! Every metric is listed in the README ("Metrics"); the API test `metrics_need_the_token_and_count_what_happens` keeps the
//! two in step.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (`/api/outlets/{id}`), never the raw path: ids would make a series
    /// per resource. `unmatched` for paths no route serves.
    pub route: String,
    /// `2xx`, `3xx`, `4xx` or `5xx`.
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    pub queue: &'static str,
}

/// The `event` values of `kewhats_messages_total`.
pub const MESSAGE_EVENTS: [&str; 3] = ["sent", "failed", "received"];
/// The `result` values of `kewhats_webhook_deliveries_total`.
pub const DELIVERY_RESULTS: [&str; 3] = ["delivered", "retry", "failed"];

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_buckets() -> Histogram {
    // 5 ms … 10 s
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

fn webhook_buckets() -> Histogram {
    // 10 ms … 20 s (a receiver has `webhook_timeout_secs` to answer)
    Histogram::new(exponential_buckets(0.01, 2.0, 12))
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Histograms<RouteLabels>,
    messages: Family<EventLabels, Counter>,
    webhook_deliveries: Family<ResultLabels, Counter>,
    webhook_latency: Histogram,
    pub(crate) devices: Family<StatusLabels, Gauge>,
    pub(crate) devices_live: Gauge,
    pub(crate) outbox_depth: Gauge,
    pub(crate) queue_depth: Family<QueueLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("kewhats"),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(request_buckets),
            messages: Family::default(),
            webhook_deliveries: Family::default(),
            webhook_latency: webhook_buckets(),
            devices: Family::default(),
            devices_live: Gauge::default(),
            outbox_depth: Gauge::default(),
            queue_depth: Family::default(),
        };
        let r = &mut m.registry;
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            m.http_requests.clone(),
        );
        r.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (to the response head; event streams count until they open)",
            Unit::Seconds,
            m.http_duration.clone(),
        );
        r.register(
            "messages",
            "WhatsApp messages: event=sent (accepted by WhatsApp), failed (will not be sent), received",
            m.messages.clone(),
        );
        r.register(
            "webhook_deliveries",
            "Webhook delivery attempts by result: delivered, retry (failed, tried again later), failed (given up)",
            m.webhook_deliveries.clone(),
        );
        r.register_with_unit(
            "webhook_delivery_duration",
            "Time from posting a webhook to the receiver's answer (or the timeout)",
            Unit::Seconds,
            m.webhook_latency.clone(),
        );
        r.register("devices", "Devices by stored status (read at scrape time)", m.devices.clone());
        r.register(
            "devices_live",
            "Devices whose socket is open and logged in now, in this process",
            m.devices_live.clone(),
        );
        r.register("outbox_depth", "Outgoing messages waiting to be sent (status pending)", m.outbox_depth.clone());
        r.register(
            "worker_queue_depth",
            "Work waiting per queue: webhook_deliveries (pending deliveries), session_commands (commands queued to device sessions)",
            m.queue_depth.clone(),
        );
        // Every series exists from the start at 0, so a rate over it never starts from nothing.
        for event in MESSAGE_EVENTS {
            m.messages.get_or_create(&EventLabels { event }).inc_by(0);
        }
        for result in DELIVERY_RESULTS {
            m.webhook_deliveries.get_or_create(&ResultLabels { result }).inc_by(0);
        }
        m
    }

    pub fn message(&self, event: &'static str, n: u64) {
        self.messages.get_or_create(&EventLabels { event }).inc_by(n);
    }

    pub fn webhook_delivery(&self, result: &'static str, took: Duration) {
        self.webhook_deliveries.get_or_create(&ResultLabels { result }).inc();
        self.webhook_latency.observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition format (0.0.4).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
