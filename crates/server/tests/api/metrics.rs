//! `/metrics`: off without a token, guarded by it, Prometheus text that a Prometheus parser
//! reads, and counters that move with the traffic they count.

use crate::helpers::*;
use crate::receiver::Receiver;
use app::config::Secret;
use domain::{DeviceStatus, Role};
use prometheus_parse::{Scrape, Value as Sample};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use store::both_backends;

const TOKEN: &str = "scrape-me-please-0123456789";

async fn scrape(app: &TestApp) -> (String, Scrape) {
    let res = app.client().get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = res.text().await.unwrap();
    let parsed = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format");
    (text, parsed)
}

/// The value of one series (a counter or gauge); 0 when the series does not exist yet.
fn value(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => *v,
            Sample::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Sample::Summary(_) => 0.0,
        })
        .sum()
}

/// Scrapes until `metric` reaches `at_least`; the counters move after the work is recorded.
async fn wait_for(app: &TestApp, metric: &str, labels: &[(&str, &str)], at_least: f64) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, s) = scrape(app).await;
        if value(&s, metric, labels) >= at_least {
            return s;
        }
        assert!(Instant::now() < deadline, "{metric}{labels:?} never reached {at_least}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn metrics_are_off_until_a_token_is_set(db) {
        let app = TestApp::start(db).await;
        let res = app.client().get(app.url("/metrics")).send().await.unwrap();
        let err = expect_error(res, StatusCode::NOT_FOUND).await;
        assert_eq!(err["code"], "metrics_off");
        app.stop().await;
    }

    async fn metrics_need_the_token_and_count_what_happens(db) {
        let app = TestApp::start_with(db, |c| {
            c.metrics_token = Some(Secret::new(TOKEN.into()));
            c.webhooks_allow_private = true;
        })
        .await;
        let c = app.client();
        expect_error(c.get(app.url("/metrics")).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let wrong = c.get(app.url("/metrics")).bearer_auth("scrape-me-please-0123456780").send().await.unwrap();
        expect_error(wrong, StatusCode::UNAUTHORIZED).await;

        let (text, before) = scrape(&app).await;
        // Every metric is documented in the README.
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        for name in before.docs.keys() {
            assert!(readme.contains(&format!("`{name}`")), "README does not list the metric {name}:\n{text}");
        }
        assert_eq!(value(&before, "kewhats_messages_total", &[("event", "sent")]), 0.0);

        let made_up = reqwest::Method::from_bytes(b"BREW").unwrap();
        c.request(made_up, app.url("/api/outlets")).send().await.unwrap();
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let receiver = Receiver::start().await;
        let hook = json!({"url": receiver.url(), "events": ["message.received"]});
        expect_json(ana.post("/api/webhooks", hook).await, StatusCode::CREATED).await;
        let outlet = create_outlet(&ana, "Bandung", "Bandung", "081200000001").await;
        let waiting = create_outlet(&ana, "Bogor", "Bogor", "081200000002").await;
        let device = pair_sim(&app, &ana, outlet).await;
        app.wait_status(device, DeviceStatus::Connected).await;

        // One sent, one failed, one received, one waiting in the outbox.
        let send = |o: i64, text: &str| json!({"outlet_id": o, "to": "081311112222", "text": text});
        let sent = expect_json(ana.post("/api/messages", send(outlet, "Pesanan siap")).await, StatusCode::ACCEPTED).await;
        wait_message(&ana, sent["id"].as_i64().unwrap(), "read").await;
        let fault = json!({"kind": "fail_sends", "count": 1});
        expect_json(ana.post(&format!("/api/sandbox/outlets/{outlet}/fault"), fault).await, StatusCode::ACCEPTED).await;
        let failed = expect_json(ana.post("/api/messages", send(outlet, "Gagal")).await, StatusCode::ACCEPTED).await;
        wait_message(&ana, failed["id"].as_i64().unwrap(), "failed").await;
        let inbound = json!({"from": "081322223333", "text": "Halo kak"});
        expect_json(ana.post(&format!("/api/sandbox/outlets/{outlet}/inbound"), inbound).await, StatusCode::ACCEPTED).await;
        expect_json(ana.post("/api/messages", send(waiting, "Nanti")).await, StatusCode::ACCEPTED).await;

        let after = wait_for(&app, "kewhats_webhook_deliveries_total", &[("result", "delivered")], 1.0).await;
        assert_eq!(value(&after, "kewhats_messages_total", &[("event", "sent")]), 1.0);
        assert_eq!(value(&after, "kewhats_messages_total", &[("event", "failed")]), 1.0);
        assert_eq!(value(&after, "kewhats_messages_total", &[("event", "received")]), 1.0);
        assert!(value(&after, "kewhats_webhook_delivery_duration_seconds", &[]) >= 1.0, "latency observed");
        assert_eq!(value(&after, "kewhats_outbox_depth", &[]), 1.0, "the message of the outlet without a device waits");
        assert_eq!(value(&after, "kewhats_devices", &[("status", "connected")]), 1.0);
        assert_eq!(value(&after, "kewhats_devices", &[("status", "banned")]), 0.0, "every status has a series");
        assert_eq!(value(&after, "kewhats_devices_live", &[]), 1.0);
        assert_eq!(value(&after, "kewhats_worker_queue_depth", &[("queue", "webhook_deliveries")]), 0.0);
        // Requests are counted by route template, not by their ids.
        // (Read from the text: `prometheus-parse` splits labels naively and trips on the braces
        // of a route template, which the format allows in a quoted value.)
        let (text, _) = scrape(&app).await;
        let series = r#"kewhats_http_requests_total{method="GET",route="/api/messages/{id}",status="2xx"} "#;
        let polled = text.lines().find_map(|l| l.strip_prefix(series)).and_then(|n| n.parse::<f64>().ok());
        assert!(polled.is_some_and(|n| n >= 2.0), "{text}");
        assert!(!text.contains("BREW") && text.contains(r#"method="other""#), "made-up methods share one series");
        let routes: Vec<&str> = text.lines().filter_map(|l| l.split("route=\"").nth(1)?.split('"').next()).collect();
        assert!(!routes.is_empty() && routes.iter().all(|r| !r.contains(|c: char| c.is_ascii_digit())), "{routes:?}");
        let sends = r#"kewhats_http_request_duration_seconds_count{method="POST",route="/api/messages"} "#;
        assert!(text.lines().any(|l| l.strip_prefix(sends) == Some("3")), "{text}");
        app.stop().await;
    }
}
