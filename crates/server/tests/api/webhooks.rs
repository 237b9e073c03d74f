//! Webhook registration: validated targets, Standard Webhooks secrets encrypted at rest.

use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use store::both_backends;

both_backends! {
    async fn a_webhook_gets_a_standard_secret_that_is_stored_encrypted(db) {
        let app = TestApp::start(db).await;
        let (ana_id, ana) = app.as_new("ana@shop.id", Role::User).await;
        let created = expect_json(ana.post("/api/webhooks", json!({"url": "https://hooks.example.com/in", "events": ["message.status", "message.received", "message.status"]})).await, StatusCode::CREATED).await;
        let secret = created["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(created["webhook"]["events"], json!(["message.status", "message.received"]));
        assert_eq!(created["webhook"]["active"], true);
        let id = created["webhook"]["id"].as_i64().unwrap();

        // The official library accepts the secret: what we sign, receivers can verify.
        let wh = standardwebhooks::Webhook::new(&secret).expect("a valid whsec_ secret");
        let signature = wh.sign("msg_1", time::OffsetDateTime::now_utc().unix_timestamp(), b"{}").unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("webhook-id", "msg_1".parse().unwrap());
        headers.insert("webhook-timestamp", time::OffsetDateTime::now_utc().unix_timestamp().to_string().parse().unwrap());
        headers.insert("webhook-signature", signature.parse().unwrap());
        assert!(wh.verify(b"{}", &headers).is_ok());

        let listed = expect_json(ana.get("/api/webhooks").await, StatusCode::OK).await;
        assert!(!listed.to_string().contains(&secret[6..]), "lists never carry the secret");
        let stored = app.store.webhook(ana_id, id).await.unwrap().unwrap();
        assert!(!stored.sealed_secret.windows(10).any(|w| w == &secret.as_bytes()[6..16]), "encrypted at rest");
        let revealed = expect_json(ana.get(&format!("/api/webhooks/{id}/secret")).await, StatusCode::OK).await;
        assert_eq!(revealed["secret"], secret);
        let k = expect_json(ana.post("/api/keys", json!({"name": "k"})).await, StatusCode::CREATED).await;
        let by_key = app.client().get(app.url(&format!("/api/webhooks/{id}/secret"))).bearer_auth(k["secret"].as_str().unwrap()).send().await.unwrap();
        expect_error(by_key, StatusCode::BAD_REQUEST).await;

        let off = expect_json(ana.patch(&format!("/api/webhooks/{id}"), json!({"active": false})).await, StatusCode::OK).await;
        assert_eq!(off["active"], false);
        assert_eq!(ana.delete(&format!("/api/webhooks/{id}")).await.status(), StatusCode::NO_CONTENT);
        expect_error(ana.get(&format!("/api/webhooks/{id}")).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }

    async fn private_targets_unknown_events_and_other_tenants_are_refused(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        for url in ["http://127.0.0.1:9000/hook", "http://169.254.169.254/", "http://localhost/x", "ftp://example.com/"] {
            let err = expect_error(ana.post("/api/webhooks", json!({"url": url, "events": ["message.received"]})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], "url", "{url}");
        }
        let unknown = expect_error(ana.post("/api/webhooks", json!({"url": "https://e.com/h", "events": ["payment.made"]})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(unknown["message"].as_str().unwrap().contains("message.received"));
        expect_error(ana.post("/api/webhooks", json!({"url": "https://e.com/h", "events": []})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(expect_json(ana.get("/api/webhooks").await, StatusCode::OK).await["total"], 0, "nothing written");
        let theirs = expect_json(bob.post("/api/webhooks", json!({"url": "https://bob.example.com/h", "events": ["device.status"]})).await, StatusCode::CREATED).await;
        let id = theirs["webhook"]["id"].as_i64().unwrap();
        expect_error(ana.get(&format!("/api/webhooks/{id}")).await, StatusCode::NOT_FOUND).await;
        expect_error(ana.get(&format!("/api/webhooks/{id}/secret")).await, StatusCode::NOT_FOUND).await;
        expect_error(ana.patch(&format!("/api/webhooks/{id}"), json!({"url": "https://evil.example.com/"})).await, StatusCode::NOT_FOUND).await;
        expect_error(ana.delete(&format!("/api/webhooks/{id}")).await, StatusCode::NOT_FOUND).await;
        expect_error(monitor.get("/api/webhooks").await, StatusCode::FORBIDDEN).await;
        app.stop().await;

        let local = TestApp::start_with(db, |c| c.webhooks_allow_private = true).await;
        let s = local.login("ana@shop.id").await;
        expect_json(s.post("/api/webhooks", json!({"url": "http://127.0.0.1:9000/hook", "events": ["message.received"]})).await, StatusCode::CREATED).await;
        local.stop().await;
    }
}
