//! Defects a review found (issue 9), each shown here failing before its fix: the sandbox off
//! outside the demo, one process per database running the devices, a busy device not stalling
//! the status report, and a device's memory following its row when a status write fails.

use crate::helpers::*;
use domain::{Clock, DeviceStatus, Role};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use store::{both_backends, DeviceChange};

/// What `/healthz` says about the device sessions: `active` or `standby`.
async fn sessions_health(app: &TestApp) -> String {
    let health = expect_json(app.client().get(app.url("/healthz")).send().await.unwrap(), StatusCode::OK).await;
    health["sessions"].as_str().unwrap_or_default().to_string()
}

both_backends! {
    async fn without_the_sandbox_nothing_simulated_can_start_or_be_driven(db) {
        // Made while the sandbox was on (as after a demo on the same data), then restarted without.
        let demo = TestApp::start(db).await;
        let (_, ana) = demo.as_new("ana@shop.id", Role::User).await;
        let outlet = create_outlet(&ana, "Kopi", "Jakarta", "081200000001").await;
        pair_sim(&demo, &ana, outlet).await;
        let second = create_outlet(&ana, "Teh", "Jakarta", "081200000002").await;
        demo.stop().await;

        let app = TestApp::start_with(db, |c| {
            c.sandbox = false;
            c.default_engine = domain::EngineKind::Web;
        })
        .await;
        assert_eq!(app.sessions.loops(), 0, "no sim device starts");
        let ana = app.login("ana@shop.id").await;
        let err = expect_error(ana.post(&format!("/api/outlets/{second}/device/connect"), json!({"engine": "sim"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "engine");
        assert!(err["message"].as_str().unwrap().contains("sandbox"), "{err}");
        let err = expect_error(ana.post(&format!("/api/outlets/{outlet}/device/connect"), json!({})).await, StatusCode::CONFLICT).await;
        assert_eq!(err["code"], "engine_unavailable");
        for (path, body) in [
            ("scan", json!({})),
            ("inbound", json!({"from": "081299999999", "text": "halo"})),
            ("fault", json!({"kind": "drop"})),
        ] {
            let err = expect_error(ana.post(&format!("/api/sandbox/outlets/{outlet}/{path}"), body).await, StatusCode::FORBIDDEN).await;
            assert_eq!(err["code"], "sandbox_disabled", "{path}: {err}");
        }
        assert_eq!(app.sessions.loops(), 0);
        app.stop().await;
    }

    async fn a_second_process_on_the_same_database_starts_no_device(db) {
        let first = TestApp::start(db).await;
        let (_, ana) = first.as_new("ana@shop.id", Role::User).await;
        let outlet = create_outlet(&ana, "Kopi", "Jakarta", "081200000001").await;
        pair_sim(&first, &ana, outlet).await;
        assert_eq!(sessions_health(&first).await, "active");

        let second = TestApp::start(db).await;
        assert_eq!(second.sessions.loops(), 0, "the second process must not open a second socket for the number");
        assert_eq!(sessions_health(&second).await, "standby");
        let ana2 = second.login("ana@shop.id").await;
        let err = expect_error(ana2.post(&format!("/api/outlets/{outlet}/device/connect"), json!({})).await, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(err["code"], "sessions_standby");
        // The socket and the keys belong to the active process: no logout or deletion from here.
        let err = expect_error(ana2.post(&format!("/api/outlets/{outlet}/device/logout"), json!({})).await, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(err["code"], "sessions_standby");
        let err = expect_error(ana2.delete(&format!("/api/outlets/{outlet}/device")).await, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(err["code"], "sessions_standby");
        assert_eq!(second.sessions.loops(), 0);
        // A message accepted here is sent by the active process's device.
        let m = expect_json(ana2.post("/api/messages", json!({"outlet_id": outlet, "to": "081299999999", "text": "halo"})).await, StatusCode::ACCEPTED).await;
        first.sessions.wake_senders_with_pending().await;
        wait_message(&ana2, m["id"].as_i64().unwrap(), "read").await;
        second.stop().await;

        // The lock goes with the process that held it: the next start runs the devices.
        first.stop().await;
        let third = TestApp::start(db).await;
        assert_eq!(sessions_health(&third).await, "active");
        assert_eq!(third.sessions.loops(), 1);
        third.stop().await;
    }

    async fn a_device_busy_sending_does_not_stall_the_status_report(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let slow = create_outlet(&ana, "Lambat", "Jakarta", "081200000001").await;
        let calm = create_outlet(&ana, "Tenang", "Jakarta", "081200000002").await;
        pair_sim(&app, &ana, slow).await;
        pair_sim(&app, &ana, calm).await;
        // The next send takes ten minutes (a large upload on a slow link) ...
        let fault = json!({"kind": "slow_send", "secs": 600});
        expect_json(ana.post(&format!("/api/sandbox/outlets/{slow}/fault"), fault).await, StatusCode::ACCEPTED).await;
        let sent = json!({"outlet_id": slow, "to": "081299999999", "text": "katalog"});
        let m = expect_json(ana.post("/api/messages", sent).await, StatusCode::ACCEPTED).await;
        wait_message(&ana, m["id"].as_i64().unwrap(), "sending").await;
        // ... and meanwhile its socket dies unnoticed: the report must ask its task, which is busy.
        expect_json(ana.post(&format!("/api/sandbox/outlets/{slow}/fault"), json!({"kind": "silent_drop"})).await, StatusCode::ACCEPTED).await;

        let asked = ana.client.get(format!("{}/api/outlets/status", ana.base)).timeout(Duration::from_secs(20)).send();
        let report = expect_json(asked.await.expect("the report answers while the device is busy"), StatusCode::OK).await;
        let rows = report["outlets"].as_array().unwrap();
        let row = |name: &str| rows.iter().find(|o| o["name"] == name).unwrap().clone();
        assert_eq!(row("Tenang")["healthy"], true);
        assert_eq!(row("Lambat")["live"], false);
        assert_eq!(row("Lambat")["healthy"], false, "not healthy, though the fix waits for the task");
        let still = expect_json(ana.get(&format!("/api/messages/{}", m["id"])).await, StatusCode::OK).await;
        assert_eq!(still["status"], "sending", "the answer came while the send was still under way");
        app.stop().await;
    }

    async fn a_failed_status_write_leaves_the_task_following_the_stored_row(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let outlet = create_outlet(&ana, "Kopi", "Jakarta", "081200000001").await;
        let id = pair_sim(&app, &ana, outlet).await;
        // Another writer (an operator, a process that held the device before) moves the row
        // behind the task's back: the task still believes `connected`.
        let change = DeviceChange { reason: "changed elsewhere".into(), ..Default::default() };
        app.store.record_device_change(id, DeviceStatus::Connected, DeviceStatus::Qr, &change, app.clock.now()).await.unwrap();
        // The connection drops and comes back: each write is conditional on the status before it.
        expect_json(ana.post(&format!("/api/sandbox/outlets/{outlet}/fault"), json!({"kind": "drop"})).await, StatusCode::ACCEPTED).await;
        let d = app.wait_status(id, DeviceStatus::Connected).await;
        assert_eq!(d.status, DeviceStatus::Connected, "the row follows the socket again");
        let history = app.store.device_history(domain::policy::system_scope(), id, store::Page::default()).await.unwrap();
        let steps: Vec<(DeviceStatus, DeviceStatus)> = history.items.iter().map(|h| (h.from, h.to)).collect();
        assert!(steps.contains(&(DeviceStatus::Qr, DeviceStatus::Disconnected)), "{steps:?}");
        app.stop().await;
    }
}
