//! Webhook delivery end to end: the sim engine produces events, the real worker signs and posts
//! them to a real local receiver, which verifies them with the official Standard Webhooks crate.

use crate::helpers::*;
use crate::receiver::{Hit, Receiver};
use domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};
use store::both_backends;

async fn webhook(s: &Session, url: &str, events: &[&str]) -> (i64, String) {
    let created =
        expect_json(s.post("/api/webhooks", json!({"url": url, "events": events})).await, StatusCode::CREATED).await;
    (created["webhook"]["id"].as_i64().unwrap(), created["secret"].as_str().unwrap().to_string())
}

/// Polls a delivery through the API until `check` holds.
async fn wait_delivery(s: &Session, hook: i64, id: i64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let d = expect_json(s.get(&format!("/api/webhooks/{hook}/deliveries/{id}")).await, StatusCode::OK).await;
        if check(&d) {
            return d;
        }
        assert!(Instant::now() < deadline, "delivery never got {what}: {d}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn test_event(s: &Session, hook: i64) -> (i64, String) {
    let d = expect_json(s.post(&format!("/api/webhooks/{hook}/test"), json!({})).await, StatusCode::ACCEPTED).await;
    assert_eq!((d["event"].as_str(), d["status"].as_str()), (Some("webhook.test"), Some("pending")));
    (d["id"].as_i64().unwrap(), d["event_id"].as_str().unwrap().to_string())
}

/// Waits until every delivery in the webhook's log is delivered or failed (and, given `n`, there
/// are that many). The log is what the worker posts from, and it never posts a finished
/// delivery again: once this holds, no further post can come, so the receiver's count is final.
async fn settled(s: &Session, hook: i64, n: Option<usize>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log =
            expect_json(s.get(&format!("/api/webhooks/{hook}/deliveries?per_page=200")).await, StatusCode::OK).await;
        let items = log["items"].as_array().unwrap();
        if n.is_none_or(|n| items.len() == n)
            && items.iter().all(|d| d["status"] == "delivered" || d["status"] == "failed")
        {
            return log;
        }
        assert!(Instant::now() < deadline, "the log never settled at {n:?}: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn with_id<'a>(hits: &'a [Hit], id: &str) -> Vec<&'a Hit> {
    hits.iter().filter(|h| h.id() == id).collect()
}

/// Lets retry time pass: moves the app's clock and wakes the worker.
fn pass(app: &TestApp, secs: i64) {
    app.clock.advance_secs(secs);
    app.store.deliveries_waiting().notify_one();
}

fn local_hooks(c: &mut kewhats::Config) {
    c.webhooks_allow_private = true;
    c.webhook_retry_base_ms = 1000;
}

both_backends! {
    async fn message_status_webhooks_follow_a_send_and_are_signed(db) {
        let app = TestApp::start_with(db, local_hooks).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let rx = Receiver::start().await;
        let (hook, secret) = webhook(&s, &rx.url(), &["message.status"]).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let m = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": "Pesanan siap"})).await, StatusCode::ACCEPTED).await;
        let mid = m["id"].as_i64().unwrap();

        let hits = rx.wait_until("sent, delivered and read", |h| h.len() >= 3).await;
        // `read` is the last status a message reaches, so the log cannot grow past these three.
        wait_message(&s, mid, "read").await;
        settled(&s, hook, Some(3)).await;
        assert_eq!(rx.hits().len(), 3, "one post per status change, nothing else (device.status not subscribed)");
        let mut statuses = BTreeSet::new();
        for hit in &hits {
            let body = hit.verified(&secret);
            assert_eq!(body["event"], "message.status");
            assert_eq!(body["id"], hit.id(), "the body's id is the webhook-id header");
            assert_eq!(body["data"]["id"], mid);
            assert!(body["timestamp"].is_string());
            statuses.insert(body["data"]["status"].as_str().unwrap().to_string());
        }
        assert_eq!(statuses, BTreeSet::from(["sent".to_string(), "delivered".into(), "read".into()]));
        assert_eq!(hits.iter().map(Hit::id).collect::<BTreeSet<_>>().len(), 3, "each event has its own id");

        // What a receiver must refuse: another secret, or a body changed on the way.
        let other = standardwebhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert!(other.verify(hits[0].body.as_bytes(), &hits[0].headers).is_err());
        let mine = standardwebhooks::Webhook::new(&secret).unwrap();
        let forged = hits[0].body.replace(&format!("\"id\":{mid}"), "\"id\":999999");
        assert_ne!(forged, hits[0].body);
        assert!(mine.verify(forged.as_bytes(), &hits[0].headers).is_err());

        let log = expect_json(s.get(&format!("/api/webhooks/{hook}/deliveries")).await, StatusCode::OK).await;
        assert_eq!(log["total"], 3);
        for d in log["items"].as_array().unwrap() {
            assert_eq!((d["status"].as_str(), d["attempts"].as_i64(), d["last_status_code"].as_i64()), (Some("delivered"), Some(1), Some(200)), "{d}");
        }
        app.stop().await;
    }

    async fn an_inbound_message_is_stored_once_and_posted_once(db) {
        let app = TestApp::start_with(db, local_hooks).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let rx = Receiver::start().await;
        let (hook, secret) = webhook(&s, &rx.url(), &["message.received", "device.status"]).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let sent = expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), json!({"from": "081399998888", "text": "Masih buka?"})).await, StatusCode::ACCEPTED).await;
        let wa_id = sent["message_id"].as_str().unwrap();
        // WhatsApp delivers the same message again after a reconnect.
        expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), json!({"from": "081399998888", "text": "Masih buka?", "message_id": wa_id})).await, StatusCode::ACCEPTED).await;

        // A third message, after the replay: the device's session handles its events in order,
        // so once this one is posted the replay has been handled (and any post of it queued).
        expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), json!({"from": "081399998888", "text": "Halo?"})).await, StatusCode::ACCEPTED).await;
        let received = |h: &[Hit]| h.iter().filter(|h| h.body.contains("\"message.received\"")).count();
        rx.wait_until("the later message", |h| h.iter().any(|h| h.body.contains("Halo?"))).await;
        let log = settled(&s, hook, None).await;
        let hits = rx.hits();
        assert_eq!(hits.len(), log["items"].as_array().unwrap().len(), "every post is one logged delivery");
        assert_eq!(received(&hits), 2, "the replay was stored once and posted once; the later message once");
        let inbox = expect_json(s.get(&format!("/api/messages?direction=in&outlet_id={o}")).await, StatusCode::OK).await;
        assert_eq!(inbox["total"], 2);
        let bodies: Vec<Value> = hits.iter().map(|h| h.verified(&secret)).collect();
        let message = bodies.iter().find(|b| b["event"] == "message.received" && b["data"]["wa_message_id"] == wa_id).unwrap();
        assert_eq!((message["data"]["peer"].as_str(), message["data"]["body"].as_str()), (Some("+6281399998888"), Some("Masih buka?")));
        assert_eq!(message["data"]["wa_message_id"].as_str(), Some(wa_id));
        assert_eq!(message["data"]["id"], inbox["items"][1]["id"], "newest first: the first message is second");
        let connected = bodies.iter().find(|b| b["event"] == "device.status" && b["data"]["status"] == "connected");
        let connected = connected.unwrap_or_else(|| panic!("no device.status connected in {bodies:#?}"));
        assert_eq!(connected["data"]["outlet_id"], o);
        app.stop().await;
    }

    async fn a_receiver_that_is_down_gets_the_event_when_it_is_back(db) {
        let app = TestApp::start_with(db, |c| { local_hooks(c); c.webhook_max_attempts = 3; }).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let addr = Receiver::vacant_addr().await;
        let (hook, secret) = webhook(&s, &format!("http://{addr}/hooks/kewhats"), &["message.received"]).await;

        // Nobody listens: the attempt fails, is logged, and is scheduled again.
        let (d1, id1) = test_event(&s, hook).await;
        let failed = wait_delivery(&s, hook, d1, "a failed attempt", |d| d["attempts"] == 1 && d["status"] == "pending").await;
        assert!(failed["last_error"].as_str().unwrap().contains("could not connect"), "{failed}");
        assert!(failed["last_status_code"].is_null());

        let rx = Receiver::start_on(addr).await;
        pass(&app, 5);
        wait_delivery(&s, hook, d1, "delivered", |d| d["status"] == "delivered").await;
        let hits = rx.accepted();
        assert_eq!(with_id(&hits, &id1).len(), 1);
        assert_eq!(with_id(&hits, &id1)[0].verified(&secret)["event"], "webhook.test");

        // 5xx and 429 are retried.
        rx.answer(503);
        let (d2, id2) = test_event(&s, hook).await;
        let d = wait_delivery(&s, hook, d2, "a 503", |d| d["last_status_code"] == 503).await;
        assert_eq!(d["status"], "pending");
        assert_eq!(d["last_error"], "HTTP 503 Service Unavailable: refused by receiver", "printable excerpt of the answer");
        rx.answer(200);
        pass(&app, 5);
        let d = wait_delivery(&s, hook, d2, "delivered", |d| d["status"] == "delivered").await;
        assert_eq!((d["attempts"].as_i64(), d["last_status_code"].as_i64()), (Some(2), Some(200)));
        assert_eq!(with_id(&rx.hits(), &id2).len(), 2, "the retry carries the same webhook-id");

        // Other 4xx: the receiver refuses the request itself; no retry.
        rx.answer(410);
        let (d3, id3) = test_event(&s, hook).await;
        let d = wait_delivery(&s, hook, d3, "failed", |d| d["status"] == "failed").await;
        assert_eq!((d["attempts"].as_i64(), d["last_status_code"].as_i64()), (Some(1), Some(410)));
        pass(&app, 10);
        // A failed delivery is finished: the worker never claims it again, whatever the time.
        // The next event is posted after that time passed; by then a retry would have been too.
        rx.answer(200);
        let (marker, marker_id) = test_event(&s, hook).await;
        rx.wait_until("the next event", |h| !with_id(h, &marker_id).is_empty()).await;
        wait_delivery(&s, hook, marker, "delivered", |d| d["status"] == "delivered").await;
        let d = wait_delivery(&s, hook, d3, "still failed", |d| d["status"] == "failed").await;
        assert_eq!(d["attempts"], 1);
        assert_eq!(with_id(&rx.hits(), &id3).len(), 1, "not retried");

        // 429 is retried, until the attempts run out.
        rx.answer(429);
        let (d4, id4) = test_event(&s, hook).await;
        wait_delivery(&s, hook, d4, "a 429", |d| d["last_status_code"] == 429 && d["status"] == "pending").await;
        pass(&app, 10);
        wait_delivery(&s, hook, d4, "a second attempt", |d| d["attempts"] == 2 && d["status"] == "pending").await;
        pass(&app, 10);
        let d = wait_delivery(&s, hook, d4, "failed", |d| d["status"] == "failed").await;
        assert_eq!(d["attempts"], 3, "webhook_max_attempts");
        assert_eq!(with_id(&rx.hits(), &id4).len(), 3);

        // A failed delivery can be sent again by hand, with the same id; not while it is queued.
        rx.answer(503);
        let queued = expect_json(s.post(&format!("/api/webhooks/{hook}/deliveries/{d3}/redeliver"), json!({})).await, StatusCode::ACCEPTED).await;
        assert_eq!((queued["status"].as_str(), queued["attempts"].as_i64()), (Some("pending"), Some(0)));
        wait_delivery(&s, hook, d3, "a retry scheduled", |d| d["attempts"] == 1 && d["status"] == "pending").await;
        expect_error(s.post(&format!("/api/webhooks/{hook}/deliveries/{d3}/redeliver"), json!({})).await, StatusCode::CONFLICT).await;
        rx.answer(200);
        pass(&app, 5);
        wait_delivery(&s, hook, d3, "delivered", |d| d["status"] == "delivered").await;
        assert_eq!(with_id(&rx.accepted(), &id3).len(), 1);

        let failed_only = expect_json(s.get(&format!("/api/webhooks/{hook}/deliveries?status=failed")).await, StatusCode::OK).await;
        assert_eq!(failed_only["total"], 1);
        assert_eq!(failed_only["items"][0]["id"], d4);
        let all = expect_json(s.post(&format!("/api/webhooks/{hook}/redeliver-failed"), json!({})).await, StatusCode::ACCEPTED).await;
        assert_eq!(all["queued"], 1);
        let d = wait_delivery(&s, hook, d4, "delivered", |d| d["status"] == "delivered").await;
        assert_eq!((d["attempts"].as_i64(), d["last_error"].as_str()), (Some(1), Some("")));
        app.stop().await;
    }

    async fn a_restart_with_work_in_flight_loses_nothing_and_sends_nothing_twice(db) {
        let app = TestApp::start_with(db, local_hooks).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let rx = Receiver::start().await;
        rx.answer(503);
        let (hook, secret) = webhook(&s, &rx.url(), &["message.status"]).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            let m = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": format!("Pesan {n}")})).await, StatusCode::ACCEPTED).await;
            ids.push(m["id"].as_i64().unwrap());
        }
        rx.wait_until("the first refusals", |h| h.len() >= 3).await;
        // Two more are still queued or on their way when the server stops.
        for n in 3..5 {
            let m = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": format!("Pesan {n}")})).await, StatusCode::ACCEPTED).await;
            ids.push(m["id"].as_i64().unwrap());
        }
        app.stop().await;

        // A worker that died mid-post leaves its claim behind; the lease frees it.
        let store = store::Store::open(&db.url, &Default::default()).await.unwrap();
        let later = domain::Clock::now(&domain::SystemClock).plus_secs(5); // past the first retry delays
        let stranded = store.claim_deliveries(later, 1_000, 1, &[]).await.unwrap();
        assert_eq!(stranded.len(), 1, "a refused delivery waits for its retry");
        store.close().await;

        let app = TestApp::start_with(db, local_hooks).await;
        let s = app.login("ana@shop.id").await;
        rx.answer(200);
        // Every message went out exactly once. Receipts the phone sent while the server was down
        // are not replayed by the sim, so some stop at sent or delivered.
        let deadline = Instant::now() + Duration::from_secs(20);
        let reached = loop {
            let out = expect_json(s.get(&format!("/api/messages?direction=out&outlet_id={o}")).await, StatusCode::OK).await;
            let items = out["items"].as_array().unwrap();
            if items.iter().all(|m| ["sent", "delivered", "read"].contains(&m["status"].as_str().unwrap())) {
                assert_eq!(out["total"], 5, "nothing lost");
                // Receipts come at most the sim's `read_after` (40 ms) after a send, and only for
                // messages sent by this process: 300 ms is ample for the statuses to stop moving.
                tokio::time::sleep(Duration::from_millis(300)).await;
                let out = expect_json(s.get(&format!("/api/messages?direction=out&outlet_id={o}")).await, StatusCode::OK).await;
                let mut reached = Vec::new();
                for m in out["items"].as_array().unwrap() {
                    assert_eq!(m["attempts"], 1, "each sent once: {m}");
                    let steps = match m["status"].as_str().unwrap() { "sent" => 1, "delivered" => 2, _ => 3 };
                    reached.push((m["id"].as_i64().unwrap(), steps));
                }
                break reached;
            }
            assert!(Instant::now() < deadline, "messages never all sent: {out}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        pass(&app, 60); // past the stranded lease and every retry delay
        let deadline = Instant::now() + Duration::from_secs(20);
        let log = loop {
            let log = expect_json(s.get(&format!("/api/webhooks/{hook}/deliveries?per_page=100")).await, StatusCode::OK).await;
            if log["items"].as_array().unwrap().iter().all(|d| d["status"] == "delivered") {
                break log;
            }
            assert!(Instant::now() < deadline, "deliveries never all delivered: {log}");
            pass(&app, 2);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let expected: usize = reached.iter().map(|(_, steps)| steps).sum();
        assert_eq!(log["total"], expected, "one event per status each message reached");
        let accepted = rx.accepted();
        let mut per_id: HashMap<&str, usize> = HashMap::new();
        for h in &accepted {
            *per_id.entry(h.id()).or_default() += 1;
        }
        assert_eq!(per_id.len(), expected);
        assert!(per_id.values().all(|n| *n == 1), "each event accepted exactly once: {per_id:?}");
        let mut seen = BTreeSet::new();
        for h in &accepted {
            let b = h.verified(&secret);
            seen.insert((b["data"]["id"].as_i64().unwrap(), b["data"]["status"].as_str().unwrap().to_string()));
        }
        assert_eq!(reached.len(), ids.len());
        for (id, steps) in &reached {
            for status in ["sent", "delivered", "read"].iter().take(*steps) {
                assert!(seen.contains(&(*id, status.to_string())), "missing {status} of message {id}");
            }
        }
        let after = app.store.delivery(ana, hook, stranded[0].id).await.unwrap().unwrap();
        assert_eq!(after.status, domain::DeliveryStatus::Delivered);
        assert_eq!(after.attempts, stranded[0].attempts + 1, "claimed again once its lease ran out");
        app.stop().await;
    }

    async fn a_slow_receiver_does_not_hold_up_other_webhooks(db) {
        // Four slots, so each webhook may have about one post in flight.
        let app = TestApp::start_with(db, |c| { local_hooks(c); c.webhook_concurrency = 4; }).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let slow = Receiver::start().await;
        slow.answer_after(Duration::from_millis(1500));
        let fast = Receiver::start().await;
        let (slow_hook, _) = webhook(&ana, &slow.url(), &["message.received"]).await;
        let (fast_hook, _) = webhook(&bob, &fast.url(), &["message.received"]).await;
        let mut backlog = Vec::new();
        for _ in 0..8 {
            backlog.push(test_event(&ana, slow_hook).await.0);
        }
        let (quick, _) = test_event(&bob, fast_hook).await;
        wait_delivery(&bob, fast_hook, quick, "delivered", |d| d["status"] == "delivered").await;
        let log = expect_json(ana.get(&format!("/api/webhooks/{slow_hook}/deliveries?status=delivered")).await, StatusCode::OK).await;
        assert!(log["total"].as_i64().unwrap() < 4, "the other tenant's event went out before the slow backlog: {log}");
        slow.answer_after(Duration::ZERO);
        for d in backlog {
            wait_delivery(&ana, slow_hook, d, "delivered", |d| d["status"] == "delivered").await;
        }
        app.stop().await;
    }

    async fn delivery_logs_belong_to_their_owner(db) {
        let app = TestApp::start_with(db, local_hooks).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let (_, eye) = app.as_new("eye@shop.id", Role::Monitoring).await;
        let rx = Receiver::start().await;
        let (hook, _) = webhook(&ana, &rx.url(), &["device.status"]).await;
        let (d, _) = test_event(&ana, hook).await;
        wait_delivery(&ana, hook, d, "delivered", |d| d["status"] == "delivered").await;
        expect_error(bob.get(&format!("/api/webhooks/{hook}/deliveries")).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.get(&format!("/api/webhooks/{hook}/deliveries/{d}")).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.post(&format!("/api/webhooks/{hook}/deliveries/{d}/redeliver"), json!({})).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.post(&format!("/api/webhooks/{hook}/test"), json!({})).await, StatusCode::NOT_FOUND).await;
        expect_error(eye.get(&format!("/api/webhooks/{hook}/deliveries")).await, StatusCode::FORBIDDEN).await;
        let bad = expect_error(ana.get(&format!("/api/webhooks/{hook}/deliveries?status=lost")).await, StatusCode::BAD_REQUEST).await;
        assert!(bad["message"].as_str().unwrap().contains("status"), "{bad}");

        expect_json(ana.patch(&format!("/api/webhooks/{hook}"), json!({"active": false})).await, StatusCode::OK).await;
        let off = expect_error(ana.post(&format!("/api/webhooks/{hook}/test"), json!({})).await, StatusCode::CONFLICT).await;
        assert!(off["message"].as_str().unwrap().contains("inactive"));
        assert_eq!(ana.delete(&format!("/api/webhooks/{hook}")).await.status(), StatusCode::NO_CONTENT);
        expect_error(ana.get(&format!("/api/webhooks/{hook}/deliveries/{d}")).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }
}
