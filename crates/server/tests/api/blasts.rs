//! Blasts on the sim engine with the manual clock: pacing gaps and the daily cap, the send
//! window, a disconnected outlet's share pausing while another goes on, pause and cancel,
//! recurring runs, exclusions, a restart mid-blast, and tenant isolation. No test sleeps for
//! pacing: the clock is moved, and the dispatcher (which looks at least every 250 ms) acts.

use crate::helpers::*;
use domain::{Clock, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use store::both_backends;

/// Polls the blast until `check` holds; panics with the last view after 15 s.
async fn wait_blast(s: &Session, id: i64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let b = expect_json(s.get(&format!("/api/blasts/{id}")).await, StatusCode::OK).await;
        if check(&b) {
            return b;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {b:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Recipients handed to a device so far.
fn handed(b: &Value) -> i64 {
    let c = &b["counters"];
    c["total"].as_i64().unwrap() - c["skipped"].as_i64().unwrap() - c["pending"].as_i64().unwrap()
}

/// The share of `outlet` has handed every recipient over.
fn settled_share(b: &Value, outlet: i64) -> bool {
    b["shares"].as_array().unwrap().iter().any(|sh| sh["outlet_id"] == outlet && sh["pending"] == 0)
}

/// No recipient left pending or queued.
fn settled(b: &Value) -> bool {
    b["counters"]["pending"] == 0 && b["counters"]["queued"] == 0
}

/// Lets the dispatcher look a few times (it looks at least every 250 ms), so that a hand-off
/// it should not make would have been made.
async fn several_rounds() {
    tokio::time::sleep(Duration::from_millis(700)).await;
}

/// Always open, fixed gap.
fn pacing(gap: i64) -> Value {
    json!({"gap_min_secs": gap, "gap_max_secs": gap, "window_start": "00:00", "window_end": "00:00"})
}

async fn create(s: &Session, body: Value) -> Value {
    expect_json(s.post("/api/blasts", body).await, StatusCode::CREATED).await
}

/// Moves the clock `step` seconds at a time until every one of `ids` has completed (one device
/// sends for one blast at a time, a gap apart).
async fn step_until_completed(app: &TestApp, s: &Session, ids: &[i64], step: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut done = true;
        for id in ids {
            done &=
                expect_json(s.get(&format!("/api/blasts/{id}")).await, StatusCode::OK).await["status"] == "completed";
        }
        if done {
            return;
        }
        assert!(Instant::now() < deadline, "blasts {ids:?} never completed");
        app.clock.advance_secs(step);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The kept counters agree with the recipient rows, once receipts have settled.
async fn assert_counters_agree(app: &TestApp, id: i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let kept = app.store.blast(domain::policy::system_scope(), id).await.unwrap().unwrap().counters;
        let counted = app.store.recount_blast(id).await.unwrap();
        if kept == counted {
            return;
        }
        assert!(Instant::now() < deadline, "kept {kept:?}, counted {counted:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Outgoing messages per number, from the API.
async fn sends_per_number(s: &Session) -> HashMap<String, usize> {
    let out = expect_json(s.get("/api/messages?direction=out&per_page=200").await, StatusCode::OK).await;
    let mut per = HashMap::new();
    for m in out["items"].as_array().unwrap() {
        *per.entry(m["peer"].as_str().unwrap().to_string()).or_default() += 1;
    }
    per
}

/// A client that acts with an API key of the session's user: keys do not expire when the
/// clock is moved by days, sessions do.
async fn keyed(s: &Session) -> Session {
    let key = expect_json(s.post("/api/keys", json!({"name": "blasts"})).await, StatusCode::CREATED).await;
    let secret = key["secret"].as_str().unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {secret}").parse().unwrap());
    let client = reqwest::Client::builder().default_headers(headers).build().unwrap();
    Session { client, csrf: String::new(), base: s.base.clone() }
}

async fn contact(s: &Session, name: &str, number: &str) -> i64 {
    let c = json!({"name": name, "wa_number": number});
    expect_json(s.post("/api/contacts", c).await, StatusCode::CREATED).await["id"].as_i64().unwrap()
}

both_backends! {
    async fn gaps_and_the_daily_cap_pace_a_device_and_exclusions_are_skipped_with_reasons(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let o = create_outlet(&s, "Toko Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let tag = expect_json(s.post("/api/tags", json!({"name": "vip"})).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let mut ids = Vec::new();
        for (name, number) in [("Sari", "081311110001"), ("Budi", "081311110002"), ("Tono", "081311110003"), ("Rina", "081311110004"), ("Dewi", "081311110005")] {
            ids.push(contact(&s, name, number).await);
        }
        expect_json(s.post("/api/contacts/bulk", json!({"action": "tag", "ids": ids, "tag_id": tag})).await, StatusCode::OK).await;
        // Rina is blocked; Dewi says STOP.
        expect_json(s.patch(&format!("/api/contacts/{}", ids[3]), json!({"blocked": true})).await, StatusCode::OK).await;
        let stop = json!({"from": "081311110005", "text": "STOP"});
        expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), stop).await, StatusCode::ACCEPTED).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while expect_json(s.get(&format!("/api/contacts/{}", ids[4])).await, StatusCode::OK).await["opted_out_at"].is_null() {
            assert!(Instant::now() < deadline, "never opted out");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let request = json!({
            "name": "Promo", "body": "{Halo|Hai} {{name}} dari {{outlet}}", "outlet_ids": [o],
            "recipients": {"tag_ids": [tag], "numbers": ["0813-1111-0001", "12345", "=1+1"]},
            "pacing": {"gap_min_secs": 10, "gap_max_secs": 10, "daily_cap": 2, "window_start": "00:00", "window_end": "00:00"},
        });
        // The preview counts what would go, per outlet, with a sample, and writes nothing.
        let preview = expect_json(s.post("/api/blasts/preview", request.clone()).await, StatusCode::OK).await;
        assert_eq!(preview["recipients"], 3, "{preview}");
        assert_eq!(preview["skipped"], json!({"blocked": 1, "invalid_number": 2, "opted_out": 1}));
        assert_eq!((preview["duplicates"].as_i64(), preview["per_outlet"][0]["recipients"].as_i64()), (Some(1), Some(3)));
        let sample = preview["sample"].as_str().unwrap();
        assert!(sample == "Halo Sari dari Toko Jakarta" || sample == "Hai Sari dari Toko Jakarta", "{sample}");
        assert_eq!(preview["sample_contact"]["name"], "Sari");
        // A sample for a chosen contact; another owner's or an unknown one is not found.
        let for_budi = expect_json(s.post(&format!("/api/blasts/preview?contact_id={}", ids[1]), request.clone()).await, StatusCode::OK).await;
        assert!(for_budi["sample"].as_str().unwrap().ends_with("i Budi dari Toko Jakarta"), "{for_budi}");
        assert_eq!((for_budi["sample_contact"]["id"].as_i64(), for_budi["sample_contact"]["wa_number"].as_str()), (Some(ids[1]), Some("+6281311110002")));
        expect_error(s.post("/api/blasts/preview?contact_id=999999", request.clone()).await, StatusCode::NOT_FOUND).await;
        assert_eq!(expect_json(s.get("/api/blasts").await, StatusCode::OK).await["total"], 0);

        let mut body = request.clone();
        body["start"] = json!("now");
        let created = create(&s, body).await;
        assert_eq!(created["duplicates"], 1);
        let id = created["blast"]["id"].as_i64().unwrap();
        assert_eq!(created["blast"]["status"], "running");
        assert_eq!(created["blast"]["counters"]["total"], 7);
        assert_eq!(created["blast"]["counters"]["skipped"], 4);

        // One at once; the next only after the gap.
        wait_blast(&s, id, "the first hand-off", |b| handed(b) == 1).await;
        several_rounds().await;
        app.clock.advance_secs(9);
        several_rounds().await;
        let b = wait_blast(&s, id, "still one", |_| true).await;
        assert_eq!(handed(&b), 1, "the gap is 10 s: {b:#}");
        app.clock.advance_secs(1);
        wait_blast(&s, id, "the second hand-off", |b| handed(b) == 2).await;
        // The daily cap (2) holds the third until the next local day.
        app.clock.advance_secs(60);
        several_rounds().await;
        let b = wait_blast(&s, id, "still two", |_| true).await;
        assert_eq!(handed(&b), 2, "the daily cap is 2: {b:#}");
        // The blast says it waits for the next local day (Jakarta), and its ETA knows it.
        let midnight = domain::next_local_midnight(app.clock.now(), "Asia/Jakarta");
        assert_eq!(b["waiting"], json!({"reason": "daily_cap", "until": midnight.to_rfc3339()}), "{b:#}");
        assert_eq!(b["eta"], json!(midnight.to_rfc3339()), "the last one goes when the day begins");
        let listed = expect_json(s.get("/api/blasts").await, StatusCode::OK).await;
        assert_eq!((listed["items"][0]["waiting"]["reason"].as_str(), &listed["items"][0]["eta"]), (Some("daily_cap"), &b["eta"]));
        app.clock.advance_secs(24 * 3600);
        let b = wait_blast(&s, id, "completed", |b| b["status"] == "completed").await;
        assert!(settled(&b) && b["counters"]["read"].as_i64().unwrap() + b["counters"]["delivered"].as_i64().unwrap() + b["counters"]["sent"].as_i64().unwrap() == 3, "{b:#}");

        // The report says why each was skipped; the CSV says the same.
        let skipped = expect_json(s.get(&format!("/api/blasts/{id}/recipients?status=skipped")).await, StatusCode::OK).await;
        let reasons: Vec<&str> = skipped["items"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
        assert_eq!((skipped["total"].as_i64(), reasons), (Some(4), vec!["blocked", "opted_out", "invalid_number", "invalid_number"]));
        let csv = s.get(&format!("/api/blasts/{id}/recipients.csv")).await;
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert_eq!(csv.lines().count(), 8, "{csv}");
        assert!(csv.contains("\n'=1+1,skipped,invalid_number"), "a formula is not left for Excel to run: {csv}");
        assert!(csv.starts_with("phone,status,reason,") && csv.contains("+6281311110004,skipped,blocked"), "{csv}");
        assert_counters_agree(&app, id).await;
        // Each number got one message, rendered for them.
        let per = sends_per_number(&s).await;
        assert_eq!(per.len(), 3, "{per:?}");
        assert!(per.values().all(|n| *n == 1), "{per:?}");
        app.stop().await;
    }

    async fn the_send_window_defers_and_pause_resume_cancel_take_effect(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let o = create_outlet(&s, "Toko", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        // A window that opens an hour from now (Jakarta time).
        let local_min = (app.clock.now().millis() / 60_000 + 7 * 60).rem_euclid(1440);
        let hhmm = |m: i64| format!("{:02}:{:02}", m.rem_euclid(1440) / 60, m.rem_euclid(1440) % 60);
        let numbers: Vec<String> = (1..=4).map(|n| format!("08131111000{n}")).collect();
        let body = json!({
            "name": "Malam", "body": "Halo", "outlet_ids": [o], "recipients": {"numbers": numbers}, "start": "now",
            "pacing": {"gap_min_secs": 5, "gap_max_secs": 5, "window_start": hhmm(local_min + 60), "window_end": hhmm(local_min + 180)},
        });
        let id = create(&s, body).await["blast"]["id"].as_i64().unwrap();
        several_rounds().await;
        let waits = wait_blast(&s, id, "nothing yet", |_| true).await;
        assert_eq!(handed(&waits), 0, "outside the window");
        assert_eq!(waits["waiting"]["reason"], "window", "{waits:#}");
        let opens = waits["waiting"]["until"].as_str().unwrap().to_string();
        let opens_ms = time::OffsetDateTime::parse(&opens, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp() * 1000;
        assert!((opens_ms - app.clock.now().millis() - 3_600_000).abs() < 60_000, "opens in an hour: {opens}");
        // Four sends 5 s apart from the opening.
        let eta = time::OffsetDateTime::parse(waits["eta"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!(eta.unix_timestamp() * 1000, opens_ms + 15_000, "{waits:#}");
        app.clock.advance_secs(61 * 60);
        wait_blast(&s, id, "the window opened", |b| handed(b) == 1).await;

        // Paused: nothing more goes, whatever the clock says.
        let paused = expect_json(s.post(&format!("/api/blasts/{id}/pause"), json!({})).await, StatusCode::OK).await;
        assert_eq!(paused["status"], "paused");
        app.clock.advance_secs(60);
        several_rounds().await;
        assert_eq!(handed(&wait_blast(&s, id, "still one", |_| true).await), 1, "paused");
        let again = expect_error(s.post(&format!("/api/blasts/{id}/pause"), json!({})).await, StatusCode::CONFLICT).await;
        assert_eq!(again["code"], "blast_state");
        expect_json(s.post(&format!("/api/blasts/{id}/resume"), json!({})).await, StatusCode::OK).await;
        wait_blast(&s, id, "resumed", |b| handed(b) == 2).await;

        // Cancelled: what was pending is skipped; what the device has still goes.
        let cancelled = expect_json(s.post(&format!("/api/blasts/{id}/cancel"), json!({})).await, StatusCode::OK).await;
        assert_eq!((cancelled["status"].as_str(), cancelled["counters"]["skipped"].as_i64(), cancelled["counters"]["pending"].as_i64()), (Some("cancelled"), Some(2), Some(0)));
        app.clock.advance_secs(60);
        let b = wait_blast(&s, id, "the queued ones end", |b| b["counters"]["queued"] == 0).await;
        assert_eq!(handed(&b), 2);
        assert_eq!(b["status"], "cancelled");
        expect_error(s.post(&format!("/api/blasts/{id}/resume"), json!({})).await, StatusCode::CONFLICT).await;
        let reasons = expect_json(s.get(&format!("/api/blasts/{id}/recipients?status=skipped")).await, StatusCode::OK).await;
        assert!(reasons["items"].as_array().unwrap().iter().all(|r| r["reason"] == "cancelled"), "{reasons}");
        assert_counters_agree(&app, id).await;

        // A duplicate is a new draft; a draft starts on request.
        let copy = expect_json(s.post(&format!("/api/blasts/{id}/duplicate"), json!({})).await, StatusCode::CREATED).await;
        assert_eq!((copy["blast"]["status"].as_str(), copy["blast"]["counters"]["total"].as_i64()), (Some("draft"), Some(4)));
        let listed = expect_json(s.get("/api/blasts?status=draft").await, StatusCode::OK).await;
        assert_eq!(listed["total"], 1);
        app.stop().await;
    }

    async fn a_disconnected_outlet_pauses_its_share_while_another_goes_on(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let a = create_outlet(&s, "A", "", "081200000001").await;
        let b = create_outlet(&s, "B", "", "081200000002").await;
        pair_sim(&app, &s, a).await;
        let device_b = pair_sim(&app, &s, b).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{b}/fault"), json!({"kind": "logout_from_phone"})).await, StatusCode::ACCEPTED).await;
        app.wait_status(device_b, domain::DeviceStatus::LoggedOut).await;

        let numbers: Vec<String> = (1..=4).map(|n| format!("08131111000{n}")).collect();
        let body = json!({"name": "Dua outlet", "body": "Halo", "outlet_ids": [a, b], "recipients": {"numbers": numbers}, "start": "now", "pacing": pacing(1)});
        let id = create(&s, body).await["blast"]["id"].as_i64().unwrap();
        let view = wait_blast(&s, id, "B's share paused", |v| v["shares"].as_array().unwrap().iter().any(|sh| sh["outlet_id"] == b && sh["paused_reason"] == "device_logged_out")).await;
        assert_eq!(view["shares"].as_array().unwrap().len(), 2);
        // A's two go, one a second after the other; B's wait.
        wait_blast(&s, id, "A's first", |v| handed(v) == 1).await;
        app.clock.advance_secs(1);
        let v = wait_blast(&s, id, "A's share done", |v| handed(v) == 2).await;
        app.clock.advance_secs(5);
        several_rounds().await;
        let v2 = wait_blast(&s, id, "B still paused", |_| true).await;
        assert_eq!((handed(&v2), v2["status"].as_str()), (2, Some("running")), "{v:#}");
        let share_b = v2["shares"].as_array().unwrap().iter().find(|sh| sh["outlet_id"] == b).unwrap().clone();
        assert_eq!((share_b["pending"].as_i64(), share_b["paused_reason"].as_str()), (Some(2), Some("device_logged_out")));
        // Only B's share is left and it waits for its device: no ETA, and the list says why.
        assert_eq!((&v2["waiting"], &v2["eta"]), (&json!({"reason": "devices", "until": null}), &Value::Null), "{v2:#}");
        let listed = expect_json(s.get("/api/blasts").await, StatusCode::OK).await;
        assert_eq!(listed["items"][0]["paused"], json!([{"outlet_id": b, "outlet_name": "B", "reason": "device_logged_out"}]));

        // B comes back: its share resumes and the blast completes.
        connect_sim(&app, &s, b).await;
        scan_sim(&app, &s, b, device_b).await;
        wait_blast(&s, id, "B resumed", |v| handed(v) == 3).await;
        app.clock.advance_secs(1);
        let done = wait_blast(&s, id, "completed", |v| v["status"] == "completed").await;
        assert!(done["shares"].as_array().unwrap().iter().all(|sh| sh["paused_reason"].is_null()), "{done:#}");
        assert!(sends_per_number(&s).await.values().all(|n| *n == 1));
        assert_counters_agree(&app, id).await;
        app.stop().await;
    }

    async fn a_recurring_schedule_makes_its_next_run_on_time(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let o = create_outlet(&s, "Toko", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let local_min = (app.clock.now().millis() / 60_000 + 7 * 60).rem_euclid(1440);
        let at = (local_min + 10).rem_euclid(1440);
        let body = json!({
            "name": "Harian", "body": "Selamat pagi", "outlet_ids": [o], "recipients": {"numbers": ["081311110001"]},
            "pacing": pacing(1), "start": "recurring",
            "schedule": {"rule": {"every": "daily"}, "time": format!("{:02}:{:02}", at / 60, at % 60), "max_runs": 2},
        });
        let created = create(&s, body).await;
        assert!(created["blast"].is_null());
        let schedule = created["schedule"].clone();
        let first = schedule["next_run_at"].as_str().unwrap().to_string();
        app.clock.advance_secs(5 * 60);
        several_rounds().await;
        assert_eq!(expect_json(s.get("/api/blasts").await, StatusCode::OK).await["total"], 0, "not yet");
        app.clock.advance_secs(6 * 60);
        let deadline = Instant::now() + Duration::from_secs(15);
        let run = loop {
            let list = expect_json(s.get("/api/blasts").await, StatusCode::OK).await;
            if list["total"] == 1 {
                break list["items"][0].clone();
            }
            assert!(Instant::now() < deadline, "the run was never made");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(run["schedule_id"], schedule["id"]);
        assert_eq!(run["start_at"].as_str(), Some(first.as_str()));
        let id = run["id"].as_i64().unwrap();
        wait_blast(&s, id, "the run completed", |b| b["status"] == "completed").await;
        // The second (and last) run a day later.
        app.clock.advance_secs(24 * 3600);
        let deadline = Instant::now() + Duration::from_secs(15);
        while expect_json(s.get("/api/blasts").await, StatusCode::OK).await["total"] != 2 {
            assert!(Instant::now() < deadline, "the second run was never made");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.clock.advance_secs(24 * 3600);
        several_rounds().await;
        assert_eq!(expect_json(s.get("/api/blasts").await, StatusCode::OK).await["total"], 2, "max_runs is 2");
        // Stopping a schedule is for its owner.
        let sid = schedule["id"].as_i64().unwrap();
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        expect_error(bob.post(&format!("/api/blasts/schedules/{sid}/stop"), json!({})).await, StatusCode::NOT_FOUND).await;
        let listed = expect_json(s.get("/api/blasts/schedules").await, StatusCode::OK).await;
        assert_eq!((listed["total"].as_i64(), listed["items"][0]["runs"].as_i64(), listed["items"][0]["active"].as_bool()), (Some(1), Some(2), Some(false)), "{listed}");
        assert_eq!(expect_json(bob.get("/api/blasts/schedules").await, StatusCode::OK).await["total"], 0);
        let stopped = expect_json(s.post(&format!("/api/blasts/schedules/{sid}/stop"), json!({})).await, StatusCode::OK).await;
        assert_eq!(stopped["active"], false);
        app.stop().await;
    }

    async fn a_restart_mid_blast_ends_every_recipient_once(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let o = create_outlet(&s, "Toko", "", "081200000001").await;
        let device = pair_sim(&app, &s, o).await;
        let numbers: Vec<String> = (1..=6).map(|n| format!("08131111000{n}")).collect();
        let body = json!({"name": "Restart", "body": "Halo {{phone}}", "outlet_ids": [o], "recipients": {"numbers": numbers}, "start": "now", "pacing": pacing(1)});
        let id = create(&s, body).await["blast"]["id"].as_i64().unwrap();
        wait_blast(&s, id, "the first", |b| handed(b) == 1).await;
        app.clock.advance_secs(1);
        wait_blast(&s, id, "the second", |b| handed(b) == 2).await;
        app.stop().await;

        let app = TestApp::start(db).await;
        let s = keyed(&app.login("ana@shop.id").await).await;
        // Paired before: it reconnects by itself.
        app.wait_status(device, domain::DeviceStatus::Connected).await;
        for _ in 0..10 {
            app.clock.advance_secs(2);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let b = wait_blast(&s, id, "completed after the restart", |b| b["status"] == "completed").await;
        assert_eq!(b["counters"]["total"], 6);
        let all = expect_json(s.get(&format!("/api/blasts/{id}/recipients")).await, StatusCode::OK).await;
        for r in all["items"].as_array().unwrap() {
            assert!(["sent", "delivered", "read", "failed"].contains(&r["status"].as_str().unwrap()), "{r}");
        }
        let per = sends_per_number(&s).await;
        assert_eq!(per.len(), 6, "{per:?}");
        assert!(per.values().all(|n| *n == 1), "no number twice: {per:?}");
        assert_counters_agree(&app, id).await;
        app.stop().await;
    }

    async fn a_blast_at_a_time_starts_then_and_run_now_starts_it_early(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let o = create_outlet(&s, "Toko", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let at = app.clock.now().plus_secs(60).to_rfc3339();
        let body = |n: &str| json!({"name": "Nanti", "body": "Halo", "outlet_ids": [o], "recipients": {"numbers": [n]}, "start": "at", "start_at": at, "pacing": pacing(1)});
        let later = create(&s, body("081311110001")).await["blast"].clone();
        assert_eq!((later["status"].as_str(), later["start_at"].as_str()), (Some("scheduled"), Some(at.as_str())));
        let id = later["id"].as_i64().unwrap();
        let early = create(&s, body("081311110002")).await["blast"]["id"].as_i64().unwrap();
        // A draft (given its media first, say) is scheduled for the same time; only a draft is.
        let mut draft = body("081311110003");
        draft["start"] = json!("draft");
        let drafted = create(&s, draft).await["blast"]["id"].as_i64().unwrap();
        let bad = expect_error(s.post(&format!("/api/blasts/{drafted}/schedule"), json!({"start_at": "besok"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad["field"], "start_at", "{bad}");
        let scheduled = expect_json(s.post(&format!("/api/blasts/{drafted}/schedule"), json!({"start_at": at})).await, StatusCode::OK).await;
        assert_eq!((scheduled["status"].as_str(), scheduled["start_at"].as_str()), (Some("scheduled"), Some(at.as_str())));
        let again = expect_error(s.post(&format!("/api/blasts/{drafted}/schedule"), json!({"start_at": at})).await, StatusCode::CONFLICT).await;
        assert_eq!(again["code"], "blast_state");
        several_rounds().await;
        assert_eq!(wait_blast(&s, id, "waiting", |_| true).await["status"], "scheduled");
        assert_eq!(wait_blast(&s, drafted, "waiting too", |_| true).await["status"], "scheduled");
        // Run now: the second starts at once.
        let started = expect_json(s.post(&format!("/api/blasts/{early}/start"), json!({})).await, StatusCode::OK).await;
        assert_eq!(started["status"], "running");
        wait_blast(&s, early, "run now completes", |b| b["status"] == "completed").await;
        assert_eq!(wait_blast(&s, id, "still waiting", |_| true).await["status"], "scheduled");
        app.clock.advance_secs(61);
        // Both start at their time; their one device sends for one, then (a gap later) the other.
        wait_blast(&s, id, "started at its time", |b| b["status"] == "running" || b["status"] == "completed").await;
        step_until_completed(&app, &s, &[id, drafted], 1).await;
        assert!(wait_blast(&s, id, "started", |_| true).await["started_at"].is_string());
        app.stop().await;
    }

    async fn another_owner_sees_and_uses_nothing_of_a_blast(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let o = create_outlet(&ana, "Toko Ana", "", "081200000001").await;
        let bob_outlet = create_outlet(&bob, "Toko Bob", "", "081200000002").await;
        let tag = expect_json(ana.post("/api/tags", json!({"name": "vip"})).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let body = json!({"name": "Ana", "body": "Halo", "outlet_ids": [o], "recipients": {"numbers": ["081311110001"]}});
        let id = create(&ana, body).await["blast"]["id"].as_i64().unwrap();
        for path in [format!("/api/blasts/{id}"), format!("/api/blasts/{id}/recipients"), format!("/api/blasts/{id}/recipients.csv")] {
            expect_error(bob.get(&path).await, StatusCode::NOT_FOUND).await;
        }
        for action in ["start", "pause", "resume", "cancel", "duplicate", "resend-failed"] {
            expect_error(bob.post(&format!("/api/blasts/{id}/{action}"), json!({})).await, StatusCode::NOT_FOUND).await;
        }
        assert_eq!(expect_json(bob.get("/api/blasts").await, StatusCode::OK).await["total"], 0);
        // Ana's outlet and tag are not Bob's to use.
        let theirs = json!({"name": "Bob", "body": "Halo", "outlet_ids": [o], "recipients": {"numbers": ["081311110001"]}});
        expect_error(bob.post("/api/blasts", theirs).await, StatusCode::NOT_FOUND).await;
        let tagged = json!({"name": "Bob", "body": "Halo", "outlet_ids": [bob_outlet], "recipients": {"tag_ids": [tag]}});
        expect_error(bob.post("/api/blasts/preview", tagged).await, StatusCode::NOT_FOUND).await;
        // Bad settings say which field.
        for (bad, field) in [
            (json!({"gap_min_secs": 0}), "pacing.gap_min_secs"),
            (json!({"gap_min_secs": 5, "gap_max_secs": 4}), "pacing.gap_max_secs"),
            (json!({"daily_cap": 0}), "pacing.daily_cap"),
            (json!({"window_start": "25:00"}), "pacing.window_start"),
        ] {
            let body = json!({"name": "X", "body": "Halo", "outlet_ids": [bob_outlet], "recipients": {"numbers": ["081311110001"]}, "pacing": bad});
            let err = expect_error(bob.post("/api/blasts", body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], field, "{err}");
        }
        let unknown = json!({"name": "X", "body": "Halo {{nama}}", "outlet_ids": [bob_outlet], "recipients": {"numbers": ["081311110001"]}});
        assert_eq!(expect_error(bob.post("/api/blasts", unknown).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "body");
        let empty = json!({"name": "X", "body": "Halo", "outlet_ids": [bob_outlet], "recipients": {}});
        assert_eq!(expect_error(bob.post("/api/blasts", empty).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "recipients");
        app.stop().await;
    }
    async fn a_deleted_outlet_fails_its_recipients_and_its_blasts_end(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let a = create_outlet(&s, "A", "", "081200000001").await;
        let b = create_outlet(&s, "B", "", "081200000002").await;
        pair_sim(&app, &s, a).await;
        let device_b = pair_sim(&app, &s, b).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{b}/fault"), json!({"kind": "logout_from_phone"})).await, StatusCode::ACCEPTED).await;
        app.wait_status(device_b, domain::DeviceStatus::LoggedOut).await;
        let numbers: Vec<String> = (1..=4).map(|n| format!("08131111000{n}")).collect();
        let both = json!({"name": "Dua", "body": "Halo", "outlet_ids": [a, b], "recipients": {"numbers": numbers}, "start": "now", "pacing": pacing(1)});
        let shared = create(&s, both).await["blast"]["id"].as_i64().unwrap();
        let only_b = json!({"name": "B saja", "body": "Halo", "outlet_ids": [b], "recipients": {"numbers": ["081322220001", "081322220002"]}, "start": "now", "pacing": pacing(1)});
        let lonely = create(&s, only_b).await["blast"]["id"].as_i64().unwrap();
        wait_blast(&s, shared, "A's first", |v| handed(v) == 1).await;
        app.clock.advance_secs(1);
        wait_blast(&s, shared, "A's second", |v| handed(v) == 2 && settled_share(v, a)).await;

        // B goes while its shares wait: their recipients fail with the reason, the blasts end.
        assert_eq!(s.delete(&format!("/api/outlets/{b}")).await.status(), StatusCode::NO_CONTENT);
        let done = wait_blast(&s, shared, "the shared blast completes", |v| v["status"] == "completed").await;
        let c = &done["counters"];
        assert_eq!((c["total"].as_i64(), c["failed"].as_i64(), c["pending"].as_i64(), c["queued"].as_i64()), (Some(4), Some(2), Some(0), Some(0)), "{done:#}");
        let failed = expect_json(s.get(&format!("/api/blasts/{shared}/recipients?status=failed")).await, StatusCode::OK).await;
        assert!(failed["items"].as_array().unwrap().iter().all(|r| r["reason"] == "outlet_deleted"), "{failed}");
        assert_counters_agree(&app, shared).await;
        // Nothing of the other blast could go: it failed.
        let gone = wait_blast(&s, lonely, "the lonely blast fails", |v| v["status"] == "failed").await;
        assert_eq!((gone["counters"]["failed"].as_i64(), gone["shares"].as_array().map(Vec::len)), (Some(2), Some(0)), "{gone:#}");
        assert_counters_agree(&app, lonely).await;
        app.stop().await;
    }

    async fn plan_in_the_database_as_here(db) {
        // A blast to every contact or by tags alone is decided in the database; with chosen
        // contacts it is decided in the service. The same contacts give the same rows.
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let a = create_outlet(&s, "A", "", "081200000001").await;
        let b = create_outlet(&s, "B", "", "081200000002").await;
        let elsewhere = create_outlet(&s, "C", "", "081200000003").await;
        let tag = expect_json(s.post("/api/tags", json!({"name": "semua"})).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let mut ids = Vec::new();
        for n in 0..12i64 {
            let home = match n % 4 { 0 => Value::Null, 1 => json!(b), 2 => json!(elsewhere), _ => json!(a) };
            let c = json!({"name": format!("K{n}"), "wa_number": format!("08131111{n:04}"), "home_outlet_id": home});
            ids.push(expect_json(s.post("/api/contacts", c).await, StatusCode::CREATED).await["id"].as_i64().unwrap());
        }
        for blocked in [ids[2], ids[7]] {
            expect_json(s.patch(&format!("/api/contacts/{blocked}"), json!({"blocked": true})).await, StatusCode::OK).await;
        }
        expect_json(s.post("/api/contacts/bulk", json!({"action": "tag", "ids": ids, "tag_id": tag})).await, StatusCode::OK).await;
        let rows = |id: i64| {
            let s = &s;
            async move {
                let page = expect_json(s.get(&format!("/api/blasts/{id}/recipients?per_page=200")).await, StatusCode::OK).await;
                page["items"].as_array().unwrap().iter()
                    .map(|r| (r["wa_number"].as_str().unwrap().to_string(), r["outlet_id"].as_i64(), r["status"].as_str().unwrap().to_string(), r["reason"].as_str().unwrap().to_string()))
                    .collect::<Vec<_>>()
            }
        };
        let draft = |recipients: Value| json!({"name": "Sama", "body": "Halo", "outlet_ids": [a, b], "recipients": recipients});
        let mut made = Vec::new();
        for recipients in [json!({"tag_ids": [tag]}), json!({"all_contacts": true}), json!({"contact_ids": ids})] {
            let created = create(&s, draft(recipients)).await["blast"].clone();
            made.push((created["id"].as_i64().unwrap(), created["counters"].clone(), created["shares"].clone()));
        }
        let here = rows(made[2].0).await;
        assert_eq!(here.len(), 12);
        assert_eq!(here.iter().filter(|r| r.3 == "blocked").count(), 2, "{here:?}");
        for (id, counters, shares) in &made[..2] {
            assert_eq!(rows(*id).await, here, "blast {id} was planned in the database differently");
            assert_eq!((counters, shares), (&made[2].1, &made[2].2));
        }
        // Home outlets among the chosen are kept; the rest alternate A, B in contact order.
        let outlets: Vec<Option<i64>> = here.iter().map(|r| r.1).collect();
        assert_eq!(outlets, vec![Some(a), Some(b), None, Some(a), Some(b), Some(b), Some(a), None, Some(b), Some(b), Some(a), Some(a)]);
        // A tag without contacts is refused with the reason, as a planned one is.
        let empty = expect_json(s.post("/api/tags", json!({"name": "kosong"})).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let err = expect_error(s.post("/api/blasts", draft(json!({"tag_ids": [empty]}))).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "recipients", "{err}");
        assert_eq!(expect_json(s.get("/api/blasts").await, StatusCode::OK).await["total"], 3, "nothing half-written");
        app.stop().await;
    }

    async fn two_blasts_on_one_outlet_keep_the_devices_gap(db) {
        // The gap is the device's: a second blast on the same outlet waits for it too.
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let s = keyed(&s).await;
        let o = create_outlet(&s, "Toko", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let body = |name: &str, numbers: [&str; 2]| json!({"name": name, "body": "Halo", "outlet_ids": [o], "recipients": {"numbers": numbers}, "start": "now", "pacing": pacing(10)});
        // A blast on the same outlet that cannot send yet (its hours begin later) holds up nobody.
        let local_min = (app.clock.now().millis() / 60_000 + 7 * 60).rem_euclid(1440);
        let hhmm = |m: i64| format!("{:02}:{:02}", m.rem_euclid(1440) / 60, m.rem_euclid(1440) % 60);
        let closed = json!({"name": "Nanti", "body": "Halo", "outlet_ids": [o], "recipients": {"numbers": ["081333330001"]}, "start": "now",
            "pacing": {"gap_min_secs": 10, "gap_max_secs": 10, "window_start": hhmm(local_min + 120), "window_end": hhmm(local_min + 180)}});
        let closed = create(&s, closed).await["blast"]["id"].as_i64().unwrap();
        let first = create(&s, body("Satu", ["081311110001", "081311110002"])).await["blast"]["id"].as_i64().unwrap();
        wait_blast(&s, first, "the first's first", |b| handed(b) == 1).await;
        let second = create(&s, body("Dua", ["081322220001", "081322220002"])).await["blast"]["id"].as_i64().unwrap();
        several_rounds().await;
        app.clock.advance_secs(5);
        several_rounds().await;
        let (a, b) = (wait_blast(&s, first, "first", |_| true).await, wait_blast(&s, second, "second", |_| true).await);
        assert_eq!((handed(&a), handed(&b)), (1, 0), "the device's 10 s gap holds across blasts");
        app.clock.advance_secs(5);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (a, b) = (wait_blast(&s, first, "first", |_| true).await, wait_blast(&s, second, "second", |_| true).await);
            let total = handed(&a) + handed(&b);
            assert!(total <= 2, "one send per gap: {a:#} {b:#}");
            if total == 2 {
                break;
            }
            assert!(Instant::now() < deadline, "the next send after the gap");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        several_rounds().await;
        let (a, b) = (wait_blast(&s, first, "first", |_| true).await, wait_blast(&s, second, "second", |_| true).await);
        assert_eq!(handed(&a) + handed(&b), 2, "still one per gap");
        step_until_completed(&app, &s, &[first, second], 10).await;
        assert!(sends_per_number(&s).await.values().all(|n| *n == 1));
        assert_eq!(handed(&wait_blast(&s, closed, "still waiting for its hours", |_| true).await), 0);
        app.stop().await;
    }

    async fn progress_streams_to_the_owner_only(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let o = create_outlet(&ana, "Toko Ana", "", "081200000001").await;
        let bo = create_outlet(&bob, "Toko Bob", "", "081200000002").await;
        pair_sim(&app, &ana, o).await;
        pair_sim(&app, &bob, bo).await;
        let mut mine = ana.get("/api/events").await;
        let mut theirs = bob.get("/api/events").await;
        let body = |outlet: i64| json!({"name": "Live", "body": "Halo", "outlet_ids": [outlet], "recipients": {"numbers": ["081311110001"]}, "start": "now", "pacing": pacing(1)});
        let id = create(&ana, body(o)).await["blast"]["id"].as_i64().unwrap();
        let mut seen = String::new();
        while !(seen.contains("event: blast.progress") && seen.contains("\"status\":\"completed\"")) {
            let chunk = tokio::time::timeout(Duration::from_secs(10), mine.chunk()).await.expect("progress in time").unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(seen.contains(&format!("\"blast_id\":{id}")) && !seen.contains("owner_id"), "{seen}");
        // Bob's own blast comes after Ana's on his stream; nothing of hers comes before it.
        let his = create(&bob, body(bo)).await["blast"]["id"].as_i64().unwrap();
        let mut heard = String::new();
        while !heard.contains(&format!("\"blast_id\":{his}")) {
            let chunk = tokio::time::timeout(Duration::from_secs(10), theirs.chunk()).await.expect("his progress in time").unwrap().unwrap();
            heard.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(!heard.contains(&format!("\"blast_id\":{id},")), "{heard}");
        app.stop().await;
    }
}

/// The real `kewhats serve` on `db`, with the sandbox on, on a port of its own.
fn serve(db: &store::testing::TestDb, dir: &std::path::Path, port: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_kewhats"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db.url)
        .env("KEWHATS_DATA_DIR", dir)
        .env("KEWHATS_SANDBOX", "true")
        .env("KEWHATS_SEND_MIN_GAP_MS", "0")
        .env("RUST_LOG", "warn")
        .env_remove("KEWHATS_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn kewhats")
}

/// Polls `GET path` with the key until it answers 200 and `check` holds.
async fn poll_api(base: &str, key: &str, path: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = client.get(format!("{base}{path}")).bearer_auth(key).send().await {
            if res.status() == StatusCode::OK {
                let v: Value = res.json().await.unwrap_or(Value::Null);
                if check(&v) {
                    return v;
                }
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_backends! {
    async fn a_killed_process_resumes_the_blast_and_messages_no_number_twice(db) {
        use app::crypto::tokens::sha256_hex;
        let dir = std::env::temp_dir().join(format!("kewhats_blast_kill_{}_{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = store::Store::open(&db.url, &Default::default()).await.unwrap();
        let now = domain::SystemClock.now();
        let email = domain::Email::parse("ana@shop.id").unwrap();
        let new = store::NewUser { email: &email, name: "", password_hash: "-", role: Role::User, plan: domain::Plan::Pro };
        let owner = store.create_user(new, now).await.unwrap().id;
        let number = domain::PhoneNumber::parse("081200000001").unwrap();
        let (name, city) = (domain::Label::parse("Toko", 50).unwrap(), domain::Label::parse("Jakarta", 50).unwrap());
        let outlet = store.create_outlet(store::NewOutlet { owner, name: &name, city: &city, wa_number: &number }, now).await.unwrap();
        let paired = Some(number.digits().to_string());
        store.create_device(store::NewDevice { outlet_id: outlet.id, engine: domain::EngineKind::Sim, paired_account: paired }, now).await.unwrap();
        let key = "kwk_blastkill_secret";
        store.create_api_key(owner, "kill", &key[..12], &sha256_hex(key), now).await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");

        let mut child = serve(db, &dir, port);
        poll_api(&base, key, &format!("/api/outlets/{}/device", outlet.id.0), "the device", |d| d["status"] == "connected").await;
        let numbers: Vec<String> = (1..=8).map(|n| format!("08131111000{n}")).collect();
        let body = json!({"name": "Kill", "body": "Halo {{phone}}", "outlet_ids": [outlet.id.0], "recipients": {"numbers": numbers}, "start": "now", "pacing": pacing(1)});
        let res = reqwest::Client::new().post(format!("{base}/api/blasts")).bearer_auth(key).json(&body).send().await.unwrap();
        let id = expect_json(res, StatusCode::CREATED).await["blast"]["id"].as_i64().unwrap();
        poll_api(&base, key, &format!("/api/blasts/{id}"), "three handed over", |b| handed(b) >= 3).await;
        child.kill().expect("kill -9");
        child.wait().expect("reaped");

        let mut child = serve(db, &dir, port);
        let done = poll_api(&base, key, &format!("/api/blasts/{id}"), "completed after the kill", |b| b["status"] == "completed").await;
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(done["counters"]["total"], 8);
        let recipients = store.blast_recipients(&store.blast(domain::policy::system_scope(), id).await.unwrap().unwrap(), None, store::Page::new(None, Some(100))).await.unwrap();
        for r in &recipients.items {
            assert!(matches!(r.status, domain::RecipientStatus::Sent | domain::RecipientStatus::Delivered | domain::RecipientStatus::Read | domain::RecipientStatus::Failed), "{r:?}");
        }
        let filter = store::MessageFilter { direction: Some(domain::Direction::Out), ..Default::default() };
        let sent = store.list_messages(domain::policy::system_scope(), &filter, store::Page::new(None, Some(100))).await.unwrap();
        let mut per: HashMap<String, usize> = HashMap::new();
        for m in &sent.items {
            *per.entry(m.peer.clone()).or_default() += 1;
        }
        assert_eq!(per.len(), 8, "{per:?}");
        assert!(per.values().all(|n| *n == 1), "no number twice: {per:?}");
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
