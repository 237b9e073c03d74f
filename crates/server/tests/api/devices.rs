//! The session manager through the devices and sandbox APIs, on the sim engine.

use crate::helpers::*;
use domain::{DeviceStatus, Role};
use engine::sim::SimConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use store::both_backends;
use DeviceStatus::*;

/// An owner with one outlet (number +6281200000001) and its session.
async fn owner_with_outlet(app: &TestApp) -> (Session, i64) {
    let (_, s) = app.as_new("owner@shop.id", Role::User).await;
    let outlet = create_outlet(&s, "Jakarta", "", "081200000001").await;
    (s, outlet)
}

async fn history(s: &Session, outlet: i64) -> Vec<(String, String, String)> {
    let h =
        expect_json(s.get(&format!("/api/outlets/{outlet}/device/history?per_page=200")).await, StatusCode::OK).await;
    let mut rows: Vec<_> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

fn steps(rows: &[(String, String, String)]) -> Vec<String> {
    rows.iter().map(|(f, t, _)| format!("{f}>{t}")).collect()
}

both_backends! {
    async fn qr_pairing_end_to_end(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = connect_sim(&app, &s, outlet).await;
        app.wait_status(id, Qr).await;
        let qr = expect_json(s.get(&format!("/api/outlets/{outlet}/device/qr")).await, StatusCode::OK).await;
        assert!(qr["code"].as_str().unwrap().starts_with("2@"));
        assert!(qr["svg"].as_str().unwrap().contains("<svg"));
        assert!(qr["expires_at"].is_string());
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/scan"), json!({})).await, StatusCode::ACCEPTED).await;
        let d = app.wait_status(id, Connected).await;
        assert_eq!(d.paired_account.as_deref(), Some("6281200000001"));
        assert!(d.last_connected_at.is_some());
        let view = expect_json(s.get(&format!("/api/outlets/{outlet}/device")).await, StatusCode::OK).await;
        assert_eq!((view["status"].as_str(), view["live"].as_bool()), (Some("connected"), Some(true)));
        let err = expect_error(s.get(&format!("/api/outlets/{outlet}/device/qr")).await, StatusCode::CONFLICT).await;
        assert!(err["message"].as_str().unwrap().contains("connected"));
        assert_eq!(steps(&history(&s, outlet).await), ["disconnected>connecting", "connecting>qr", "qr>connected"]);
        app.stop().await;
    }

    async fn qr_codes_rotate_and_run_out_without_reconnecting(db) {
        let sim = SimConfig { first_qr: Duration::from_millis(300), next_qr: Duration::from_millis(150), qr_codes: 3, ..fast_sim() };
        let app = TestApp::start_full(db, |_| {}, sim).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = connect_sim(&app, &s, outlet).await;
        app.wait_status(id, Qr).await;
        let mut codes = std::collections::HashSet::new();
        while app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap().status == Qr {
            if let Some(q) = app.sessions.qr(id) {
                codes.insert(q.code);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(codes.len() >= 2, "the QR code rotated: {codes:?}");
        let d = app.wait_status(id, Disconnected).await;
        assert!(d.status_reason.contains("expired"), "{}", d.status_reason);
        // A round trip through the device's task: it answers only between two steps, after it
        // chose what to do next. A reconnect would have asked the timer for a delay first.
        app.sessions.reconcile(id).await;
        assert_eq!(app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap().status, Disconnected, "no reconnect for an unpaired device");
        assert!(app.timer.delays().is_empty(), "no backoff was scheduled");
        assert_eq!(app.sessions.loops(), 1);
        connect_sim(&app, &s, outlet).await;
        app.wait_status(id, Qr).await;
        assert_eq!(app.sessions.loops(), 1, "connecting again reuses the device's one loop");
        app.stop().await;
    }

    async fn pairing_by_code(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = connect_sim(&app, &s, outlet).await;
        app.wait_status(id, Qr).await;
        let bad = expect_error(s.post(&format!("/api/outlets/{outlet}/device/pairing-code"), json!({"phone": "12"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad["field"], "phone");
        let code = expect_json(s.post(&format!("/api/outlets/{outlet}/device/pairing-code"), json!({})).await, StatusCode::OK).await;
        let code = code["code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 9);
        let view = app.wait_device(id, "pairing code shown", |_| app.sessions.pairing_code(id).is_some()).await;
        assert_eq!(view.status, Qr);
        assert_eq!(app.sessions.pairing_code(id), Some(code));
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/scan"), json!({})).await, StatusCode::ACCEPTED).await;
        app.wait_status(id, Connected).await;
        let again = expect_error(s.post(&format!("/api/outlets/{outlet}/device/pairing-code"), json!({})).await, StatusCode::CONFLICT).await;
        assert_eq!(again["code"], "already_paired");
        app.stop().await;
    }

    async fn the_wrong_number_is_unlinked_and_the_outlet_says_why(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = connect_sim(&app, &s, outlet).await;
        app.wait_status(id, Qr).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/scan"), json!({"phone": "0813 9999 0000"})).await, StatusCode::ACCEPTED).await;
        let d = app.wait_status(id, LoggedOut).await;
        assert!(d.unlinked_reason.contains("+6281399990000") && d.unlinked_reason.contains("+6281200000001"), "{}", d.unlinked_reason);
        assert_eq!(d.paired_account, None);
        assert_eq!(app.sessions.engines().sim.as_ref().expect("sandbox on").account(id), None, "the sim phone was unlinked");
        let view = expect_json(s.get(&format!("/api/outlets/{outlet}/device")).await, StatusCode::OK).await;
        assert!(view["unlinked_reason"].as_str().unwrap().contains("paired is +6281399990000"));
        connect_sim(&app, &s, outlet).await;
        app.wait_status(id, Qr).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/scan"), json!({})).await, StatusCode::ACCEPTED).await;
        let d = app.wait_status(id, Connected).await;
        assert_eq!(d.unlinked_reason, "", "cleared once the right number pairs");
        app.stop().await;
    }

    async fn a_dropped_connection_reconnects_with_growing_delays(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = pair_sim(&app, &s, outlet).await;
        let path = format!("/api/sandbox/outlets/{outlet}/fault");
        let fault = |body: Value| s.post(&path, body);
        assert_eq!(fault(json!({"kind": "fail_connects", "count": 3})).await.status(), StatusCode::ACCEPTED);
        assert_eq!(fault(json!({"kind": "drop"})).await.status(), StatusCode::ACCEPTED);
        let d = app.wait_device(id, "four retries, then connected", |d| app.timer.delays().len() >= 4 && d.status == Connected).await;
        assert_eq!(d.retries, 0, "retries reset on success");
        let delays = app.timer.delays();
        assert_eq!(delays.len(), 4, "{delays:?}");
        for (i, d) in delays.iter().enumerate() {
            let full = Duration::from_secs(1 << i);
            assert!(*d >= full / 2 && *d < full, "retry {}: {d:?} not in [{:?}, {full:?})", i + 1, full / 2);
        }
        let rows = history(&s, outlet).await;
        let tail: Vec<_> = steps(&rows).into_iter().skip(3).collect();
        assert_eq!(tail, [
            "connected>disconnected", "disconnected>connecting", "connecting>disconnected",
            "disconnected>connecting", "connecting>disconnected", "disconnected>connecting",
            "connecting>disconnected", "disconnected>connecting", "connecting>connected",
        ]);
        assert!(rows[5].2.contains("simulated network failure"), "{:?}", rows[5]);
        app.stop().await;
    }

    async fn logout_from_the_phone_stops_reconnecting(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = pair_sim(&app, &s, outlet).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/fault"), json!({"kind": "logout_from_phone"})).await, StatusCode::ACCEPTED).await;
        let d = app.wait_status(id, LoggedOut).await;
        assert!(d.status_reason.contains("logged out from the phone"));
        // As above: once the task answers, it has chosen its next step; a reconnect would have
        // asked the timer for a delay.
        app.sessions.reconcile(id).await;
        let d = app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap();
        assert_eq!((d.status, d.retries), (LoggedOut, 0));
        assert!(app.timer.delays().is_empty(), "no reconnect was scheduled");
        assert_eq!(steps(&history(&s, outlet).await).last().map(String::as_str), Some("connected>logged_out"));
        app.stop().await;
    }

    async fn a_paired_outlet_keeps_its_number_until_the_device_is_logged_out(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        pair_sim(&app, &s, outlet).await;
        let err = expect_error(s.patch(&format!("/api/outlets/{outlet}"), json!({"wa_number": "081200000099"})).await, StatusCode::CONFLICT).await;
        assert!(err["message"].as_str().unwrap().contains("log the device out"));
        expect_json(s.patch(&format!("/api/outlets/{outlet}"), json!({"name": "Renamed is fine"})).await, StatusCode::OK).await;
        expect_json(s.post(&format!("/api/outlets/{outlet}/device/logout"), json!({})).await, StatusCode::OK).await;
        let renumbered = expect_json(s.patch(&format!("/api/outlets/{outlet}"), json!({"wa_number": "081200000099"})).await, StatusCode::OK).await;
        assert_eq!(renumbered["wa_number"], "+6281200000099");
        let id = pair_sim(&app, &s, outlet).await;
        let d = app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap();
        assert_eq!(d.paired_account.as_deref(), Some("6281200000099"), "the new number pairs, not flagged as wrong");
        app.stop().await;
    }

    async fn a_user_logout_unlinks_and_delete_wipes_the_device(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = pair_sim(&app, &s, outlet).await;
        let out = expect_json(s.post(&format!("/api/outlets/{outlet}/device/logout"), json!({})).await, StatusCode::OK).await;
        assert_eq!((out["status"].as_str(), out["live"].as_bool()), (Some("logged_out"), Some(false)));
        assert_eq!(app.sessions.engines().sim.as_ref().expect("sandbox on").account(id), None);
        let id = pair_sim(&app, &s, outlet).await;
        assert_eq!(app.sessions.loops(), 1);
        assert_eq!(s.delete(&format!("/api/outlets/{outlet}/device")).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.sessions.loops(), 0, "the loop stopped");
        assert!(!app.sessions.is_live(id));
        assert_eq!(app.sessions.engines().sim.as_ref().expect("sandbox on").account(id), None, "keys wiped");
        let err = expect_error(s.get(&format!("/api/outlets/{outlet}/device")).await, StatusCode::NOT_FOUND).await;
        assert_eq!(err["code"], "no_device");
        app.stop().await;
    }

    async fn a_dead_socket_is_reconciled_with_a_history_row(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = pair_sim(&app, &s, outlet).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/fault"), json!({"kind": "silent_drop"})).await, StatusCode::ACCEPTED).await;
        let view = expect_json(s.get(&format!("/api/outlets/{outlet}/device")).await, StatusCode::OK).await;
        assert_eq!((view["status"].as_str(), view["live"].as_bool()), (Some("connected"), Some(false)), "stored and live disagree");
        let fixes = app.sessions.reconcile_all().await;
        assert_eq!(fixes.len(), 1);
        assert_eq!((fixes[0].from, fixes[0].to), (Connected, Disconnected));
        let rows = history(&s, outlet).await;
        assert!(rows.iter().any(|(f, t, r)| f == "connected" && t == "disconnected" && r == "reconciled: stored connected but the socket is not live"), "{rows:?}");
        app.wait_status(id, Connected).await;
        assert!(app.sessions.is_live(id), "and it reconnected");
        assert!(app.sessions.reconcile_all().await.is_empty(), "nothing left to fix");
        app.stop().await;
    }

    async fn the_periodic_reconciler_fixes_a_dead_socket_by_itself(db) {
        let app = TestApp::start_with(db, |c| c.reconcile_interval_secs = 1).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = pair_sim(&app, &s, outlet).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/fault"), json!({"kind": "silent_drop"})).await, StatusCode::ACCEPTED).await;
        // Nobody asks: the reconciler's own tick finds the disagreement and writes the fix.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let rows = history(&s, outlet).await;
            if rows.iter().any(|(f, t, r)| f == "connected" && t == "disconnected" && r.starts_with("reconciled")) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no reconciliation within 10 s: {rows:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.wait_status(id, Connected).await;
        app.stop().await;
    }

    async fn a_temporary_ban_waits_out_its_time_before_reconnecting(db) {
        let app = TestApp::start_timed(db, |_| {}, fast_sim(), app::sessions::RecordingTimer::stopping_after(0)).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let id = pair_sim(&app, &s, outlet).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{outlet}/fault"), json!({"kind": "temporary_ban", "secs": 600})).await, StatusCode::ACCEPTED).await;
        let d = app.wait_status(id, Banned).await;
        assert!(d.status_reason.contains("banned"), "{}", d.status_reason);
        app.wait_device(id, "the ban's wait to start", |_| !app.timer.delays().is_empty()).await;
        assert_eq!(app.timer.delays(), [Duration::from_secs(600)], "one wait, exactly the ban's length, no backoff retries");
        assert!(!app.sessions.is_live(id));
        assert_eq!(app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap().retries, 0);
        app.stop().await;
    }

    async fn devices_and_sandbox_are_scoped_to_the_owner(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        connect_sim(&app, &s, outlet).await;
        let (_, other) = app.as_new("other@shop.id", Role::User).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        for path in ["device", "device/qr", "device/history"] {
            expect_error(other.get(&format!("/api/outlets/{outlet}/{path}")).await, StatusCode::NOT_FOUND).await;
            expect_error(monitor.get(&format!("/api/outlets/{outlet}/{path}")).await, StatusCode::FORBIDDEN).await;
        }
        expect_error(other.post(&format!("/api/sandbox/outlets/{outlet}/scan"), json!({})).await, StatusCode::NOT_FOUND).await;
        expect_error(other.post(&format!("/api/outlets/{outlet}/device/connect"), json!({})).await, StatusCode::NOT_FOUND).await;
        expect_error(monitor.get("/api/events").await, StatusCode::FORBIDDEN).await;
        expect_json(admin.get(&format!("/api/outlets/{outlet}/device")).await, StatusCode::OK).await;
        let bad = expect_error(s.post(&format!("/api/sandbox/outlets/{outlet}/fault"), json!({"kind": "explode"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(bad["message"].as_str().unwrap().contains("unknown variant"), "{bad}");
        let web = expect_error(s.post(&format!("/api/outlets/{outlet}/device/connect"), json!({"engine": "web"})).await, StatusCode::CONFLICT).await;
        assert!(web["message"].as_str().unwrap().contains("sim engine"));
        app.stop().await;
    }

    async fn an_event_stream_ends_when_its_session_does_or_the_role_changes(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("owner@shop.id", Role::User).await;
        let (admin_id, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (_, root) = app.as_new("root@shop.id", Role::Superadmin).await;
        let ends = |mut res: reqwest::Response| async move {
            tokio::time::timeout(Duration::from_secs(10), async move {
                while let Ok(Some(_)) = res.chunk().await {}
            })
            .await
            .is_ok()
        };
        let stream = s.get("/api/events").await;
        assert_eq!(s.post("/api/auth/logout", json!({})).await.status(), StatusCode::NO_CONTENT);
        assert!(ends(stream).await, "the stream closed after the logout");
        let all = admin.get("/api/events").await;
        expect_json(root.patch(&format!("/api/admin/users/{admin_id}"), json!({"role": "user"})).await, StatusCode::OK).await;
        assert!(ends(all).await, "a demoted admin no longer sees every tenant's events");
        app.stop().await;
    }

    async fn status_changes_stream_as_server_sent_events_to_their_owner_only(db) {
        let app = TestApp::start(db).await;
        let (s, outlet) = owner_with_outlet(&app).await;
        let (_, other) = app.as_new("other@shop.id", Role::User).await;
        let mut mine = s.get("/api/events").await;
        assert_eq!(mine.headers()["content-type"], "text/event-stream");
        let mut theirs = other.get("/api/events").await;
        pair_sim(&app, &s, outlet).await;
        let mut seen = String::new();
        while !seen.contains("\"status\":\"connected\"") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), mine.chunk()).await.expect("an event in time").unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(seen.contains("event: device.status") && seen.contains(&format!("\"outlet_id\":{outlet}")), "{seen}");
        assert!(!seen.contains("owner_id"), "owner ids stay server-side");
        // The other user's own device changes next; events go out in order, so anything of
        // ours they could hear would reach them before their own.
        let theirs_outlet = create_outlet(&other, "Theirs", "", "081200000099").await;
        connect_sim(&app, &other, theirs_outlet).await;
        let mut heard = String::new();
        while !heard.contains(&format!("\"outlet_id\":{theirs_outlet}")) {
            let chunk = tokio::time::timeout(Duration::from_secs(10), theirs.chunk()).await.expect("their event in time").unwrap().unwrap();
            heard.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(!heard.contains(&format!("\"outlet_id\":{outlet},")), "another user hears nothing of ours: {heard}");
        app.stop().await;
    }
}

mod at_scale {
    use super::*;
    use domain::{Clock, Label, PhoneNumber};
    use store::{DeviceChange, NewDevice, NewOutlet};

    both_backends! {
        async fn five_hundred_sim_devices_start_and_connect_with_one_loop_each(db) {
            // Seed through the store first, as a previous run of the server would have left it.
            let seed = TestApp::start(db).await;
            let owner = seed.user("chain@shop.id", Role::User).await;
            let now = seed.clock.now();
            let city = Label::parse("Jakarta", 100).unwrap();
            for i in 0..500 {
                let name = Label::parse(&format!("Cabang {i:03}"), 100).unwrap();
                let number = PhoneNumber::parse(&format!("0812{i:08}")).unwrap();
                let outlet = seed.store.create_outlet(NewOutlet { owner, name: &name, city: &city, wa_number: &number }, now).await.unwrap();
                let paired = Some(number.digits().to_string());
                let d = seed.store.create_device(NewDevice { outlet_id: outlet.id, engine: domain::EngineKind::Sim, paired_account: paired }, now).await.unwrap();
                if i % 50 == 0 {
                    // The previous process died while these were connected.
                    let step = DeviceChange { reason: "before the crash".into(), ..Default::default() };
                    seed.store.record_device_change(d.id, Disconnected, Connecting, &step, now).await.unwrap();
                    seed.store.record_device_change(d.id, Connecting, Connected, &step, now).await.unwrap();
                }
            }
            seed.stop().await;

            let app = TestApp::start(db).await;
            assert_eq!(app.sessions.loops(), 500, "one loop per device at boot");
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                let devices = app.store.all_devices().await.unwrap();
                let connected = devices.iter().filter(|d| d.status == Connected && app.sessions.is_live(d.id)).count();
                if connected == 500 {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "only {connected} of 500 connected");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let devices = app.store.all_devices().await.unwrap();
            for d in devices.iter().take(5) {
                app.sessions.connect(d.clone()).await.expect("connect");
            }
            assert_eq!(app.sessions.loops(), 500, "asking again starts no second loop");
            let restarted = &devices[0];
            let rows = app.store.device_history(domain::policy::system_scope(), restarted.id, store::Page::default()).await.unwrap();
            assert!(rows.items.iter().any(|e| e.from == Connected && e.to == Disconnected && e.reason.contains("restarted")), "{:?}", rows.items);
            assert!(app.timer.delays().is_empty(), "no device needed a retry");
            let sessions = app.sessions.clone();
            app.stop().await;
            assert_eq!(sessions.loops(), 0, "shutdown stops every loop");
        }
    }
}
