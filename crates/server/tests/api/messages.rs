//! Sending and receiving through `/api/messages` on the sim engine.

use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::both_backends;

async fn key(s: &Session) -> String {
    let k = expect_json(s.post("/api/keys", json!({"name": "integration"})).await, StatusCode::CREATED).await;
    k["secret"].as_str().unwrap().to_string()
}

both_backends! {
    async fn a_text_goes_pending_sent_delivered_read_and_is_counted_on_its_key(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let id = connect_sim(&app, &s, o).await;
        scan_sim(&app, &s, o, id).await;
        let secret = key(&s).await;
        let c = app.client();
        let res = c.post(app.url("/api/messages")).bearer_auth(&secret)
            .json(&json!({"outlet_id": o, "to": "0813 1111 2222", "type": "text", "text": "Pesanan Anda siap diambil"}))
            .send().await.unwrap();
        let m = expect_json(res, StatusCode::ACCEPTED).await;
        assert_eq!((m["status"].as_str(), m["peer"].as_str()), (Some("pending"), Some("+6281311112222")));
        let mid = m["id"].as_i64().unwrap();
        let read = wait_message(&s, mid, "read").await;
        assert!(read["wa_message_id"].as_str().unwrap().starts_with("SIM"));
        assert!(read["sent_at"].is_string() && read["delivered_at"].is_string() && read["read_at"].is_string());
        let keys = expect_json(s.get("/api/keys").await, StatusCode::OK).await;
        assert_eq!((keys["items"][0]["requests_in"].as_i64(), keys["items"][0]["messages_out"].as_i64()), (Some(1), Some(1)));
        app.stop().await;
    }

    async fn an_inbound_message_is_stored_once(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let id = connect_sim(&app, &s, o).await;
        scan_sim(&app, &s, o, id).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), json!({"from": "081399998888", "text": "Masih buka?"})).await, StatusCode::ACCEPTED).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let inbox = loop {
            let l = expect_json(s.get(&format!("/api/messages?direction=in&outlet_id={o}")).await, StatusCode::OK).await;
            if l["items"].as_array().is_some_and(|i| !i.is_empty()) || Instant::now() > deadline {
                break l;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(inbox["total"], 1);
        let m = &inbox["items"][0];
        assert!(m.is_object(), "{inbox}");
        assert_eq!((m["peer"].as_str(), m["body"].as_str(), m["status"].as_str()), (Some("+6281399998888"), Some("Masih buka?"), Some("received")));
        app.stop().await;
    }

    async fn an_idempotent_send_is_sent_once(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let id = connect_sim(&app, &s, o).await;
        scan_sim(&app, &s, o, id).await;
        let body = json!({"outlet_id": o, "to": "081311112222", "text": "Invoice #42"});
        let post = || s.client.post(app.url("/api/messages")).header("x-csrf-token", &s.csrf).header("idempotency-key", "invoice-42").json(&body).send();
        let first = expect_json(post().await.unwrap(), StatusCode::ACCEPTED).await;
        let again = expect_json(post().await.unwrap(), StatusCode::OK).await;
        assert_eq!(first["id"], again["id"]);
        wait_message(&s, first["id"].as_i64().unwrap(), "read").await;
        let third = expect_json(post().await.unwrap(), StatusCode::OK).await;
        assert_eq!(third["status"], "read", "the replay shows the message as it is now");
        let all = expect_json(s.get("/api/messages?direction=out").await, StatusCode::OK).await;
        assert_eq!(all["total"], 1, "one message, sent once");
        app.stop().await;
    }

    async fn messages_wait_for_the_device_and_survive_a_restart(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let id = connect_sim(&app, &s, o).await;
        let m = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        let mid = m["id"].as_i64().unwrap();
        // Only a connected device sends; this one has never connected (no wait could change
        // that before the scan below), and the round trip through its task shows it is idle.
        app.sessions.reconcile(id).await;
        assert_eq!(app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap().status, domain::DeviceStatus::Qr);
        assert_eq!(expect_json(s.get(&format!("/api/messages/{mid}")).await, StatusCode::OK).await["status"], "pending", "not connected yet");
        app.stop().await;

        let app = TestApp::start(db).await;
        let s = app.login("ana@shop.id").await;
        connect_sim(&app, &s, o).await;
        scan_sim(&app, &s, o, id).await;
        let sent = wait_message(&s, mid, "read").await;
        assert_eq!(sent["attempts"], 1, "sent once");
        app.stop().await;
    }

    async fn pending_messages_expire_even_without_a_device(db) {
        let app = TestApp::start_with(db, |c| c.message_expiry_secs = 60).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let m = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": "x"})).await, StatusCode::ACCEPTED).await;
        app.clock.advance_secs(61);
        use domain::Clock;
        assert_eq!(app.store.expire_pending_messages(app.clock.now()).await.unwrap(), 1);
        let failed = expect_json(s.get(&format!("/api/messages/{}", m["id"])).await, StatusCode::OK).await;
        assert_eq!((failed["status"].as_str(), failed["error"].as_str()), (Some("failed"), Some("expired before the device was connected")));
        app.stop().await;
    }

    async fn failures_are_recorded_with_the_reason(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let id = connect_sim(&app, &s, o).await;
        scan_sim(&app, &s, o, id).await;
        s.post(&format!("/api/sandbox/outlets/{o}/fault"), json!({"kind": "fail_sends", "count": 1})).await;
        let m = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": "x"})).await, StatusCode::ACCEPTED).await;
        let failed = wait_message(&s, m["id"].as_i64().unwrap(), "failed").await;
        assert!(failed["error"].as_str().unwrap().contains("simulated send failure"), "{failed}");
        let ok = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "text": "y"})).await, StatusCode::ACCEPTED).await;
        wait_message(&s, ok["id"].as_i64().unwrap(), "read").await;
        app.stop().await;
    }

    async fn bad_sends_get_clear_4xx_and_write_nothing(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let bobs = create_outlet(&bob, "Outlet", "", "081200000002").await;
        let secret = key(&s).await;
        let c = app.client();
        let send = |body: Value| c.post(app.url("/api/messages")).bearer_auth(&secret).json(&body).send();
        let number = expect_error(send(json!({"outlet_id": o, "to": "12", "text": "x"})).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(number["field"], "to");
        expect_error(send(json!({"outlet_id": 9999, "to": "081311112222", "text": "x"})).await.unwrap(), StatusCode::NOT_FOUND).await;
        let foreign = expect_error(send(json!({"outlet_id": bobs, "to": "081311112222", "text": "x"})).await.unwrap(), StatusCode::NOT_FOUND).await;
        assert_eq!(foreign["message"], "outlet not found");
        let empty = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "text": " "})).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(empty["field"], "text");
        let long = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "text": "x".repeat(5000)})).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(long["message"].as_str().unwrap().contains("4096"));
        expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "sticker", "text": "x"})).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        let malformed = c.post(app.url("/api/messages")).bearer_auth(&secret).header("content-type", "application/json").body("{\"outlet_id\":").send().await.unwrap();
        expect_error(malformed, StatusCode::BAD_REQUEST).await;
        let nul = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "text": "hi\u{0}"})).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(nul["field"], "text");
        expect_json(s.get("/api/outlets?q=%00").await, StatusCode::OK).await;
        expect_json(s.get("/api/outlets/status?q=a%00b").await, StatusCode::OK).await;
        let bad_time = expect_error(s.get("/api/messages?since=yesterday").await, StatusCode::BAD_REQUEST).await;
        assert!(bad_time["message"].as_str().unwrap().contains("RFC 3339"));
        let none = expect_json(s.get("/api/messages").await, StatusCode::OK).await;
        assert_eq!(none["total"], 0, "nothing was written");
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        expect_error(monitor.get("/api/messages").await, StatusCode::FORBIDDEN).await;
        app.stop().await;
    }
}
