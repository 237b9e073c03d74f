//! API keys: shown once, stored hashed, accepted as Bearer or X-Api-Key, counted, revocable.

use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::both_backends;

async fn new_key(s: &Session, name: &str) -> (i64, String) {
    let created = expect_json(s.post("/api/keys", json!({"name": name})).await, StatusCode::CREATED).await;
    (created["key"]["id"].as_i64().unwrap(), created["secret"].as_str().unwrap().to_string())
}

async fn key_row(s: &Session, id: i64) -> Value {
    let list = expect_json(s.get("/api/keys").await, StatusCode::OK).await;
    list["items"].as_array().unwrap().iter().find(|k| k["id"] == id).cloned().expect("listed")
}

both_backends! {
    async fn keys_are_shown_once_stored_hashed_and_act_as_their_owner(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let o = expect_json(ana.post("/api/outlets", json!({"name": "Jakarta", "wa_number": "081200000001"})).await, StatusCode::CREATED).await;
        let (id, secret) = new_key(&ana, "POS integration").await;
        assert!(secret.starts_with("kwk_") && secret.len() == 68, "{secret}");
        let listed = key_row(&ana, id).await;
        assert!(listed.get("secret").is_none() && !listed.to_string().contains(&secret[12..]), "never shown again: {listed}");
        assert_eq!(listed["prefix"], secret[..12]);

        let c = app.client();
        let bearer = c.get(app.url("/api/outlets")).bearer_auth(&secret).send().await.unwrap();
        assert_eq!(expect_json(bearer, StatusCode::OK).await["total"], 1);
        let header = c.get(app.url(&format!("/api/outlets/{}", o["id"]))).header("x-api-key", &secret).send().await.unwrap();
        expect_json(header, StatusCode::OK).await;
        let write = c.post(app.url("/api/outlets")).bearer_auth(&secret).json(&json!({"name": "Bandung", "wa_number": "081200000002"})).send().await.unwrap();
        expect_json(write, StatusCode::CREATED).await;
        let mint = c.post(app.url("/api/keys")).bearer_auth(&secret).json(&json!({"name": "more"})).send().await.unwrap();
        let err = expect_error(mint, StatusCode::BAD_REQUEST).await;
        assert!(err["message"].as_str().unwrap().contains("browser session"));
        let wrong = c.get(app.url("/api/outlets")).bearer_auth("kwk_not-a-key").send().await.unwrap();
        expect_error(wrong, StatusCode::UNAUTHORIZED).await;
        app.stop().await;
    }

    async fn the_in_counter_counts_exactly_the_requests_made_with_the_key(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (id, secret) = new_key(&ana, "counted").await;
        let (other_id, _) = new_key(&ana, "idle").await;
        let c = app.client();
        for path in ["/api/outlets", "/api/outlets/status", "/api/outlets/999", "/api/me"] {
            c.get(app.url(path)).bearer_auth(&secret).send().await.unwrap();
        }
        c.get(app.url("/api/outlets")).bearer_auth("kwk_wrong").send().await.unwrap();
        ana.get("/api/outlets").await;
        let row = key_row(&ana, id).await;
        assert_eq!(row["requests_in"], 4, "four authenticated requests, a 404 among them; not the bad key, not the cookie");
        assert_eq!(row["messages_out"], 0);
        assert!(row["last_used_at"].is_string());
        let idle = key_row(&ana, other_id).await;
        assert_eq!((idle["requests_in"].as_i64(), idle["last_used_at"].is_null()), (Some(0), true));
        app.stop().await;
    }

    async fn revoked_keys_and_keys_of_disabled_users_get_401(db) {
        let app = TestApp::start(db).await;
        let (ana_id, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (id, secret) = new_key(&ana, "to revoke").await;
        let (_, second) = new_key(&ana, "to disable").await;
        let c = app.client();
        assert_eq!(c.get(app.url("/api/outlets")).bearer_auth(&secret).send().await.unwrap().status(), StatusCode::OK);
        let revoked = expect_json(ana.delete(&format!("/api/keys/{id}")).await, StatusCode::OK).await;
        assert!(revoked["revoked_at"].is_string());
        let after = c.get(app.url("/api/outlets")).bearer_auth(&secret).send().await.unwrap();
        let err = expect_error(after, StatusCode::UNAUTHORIZED).await;
        assert!(err["message"].as_str().unwrap().contains("revoked"));
        expect_json(admin.patch(&format!("/api/admin/users/{ana_id}"), json!({"disabled": true})).await, StatusCode::OK).await;
        expect_error(c.get(app.url("/api/outlets")).bearer_auth(&second).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        app.stop().await;
    }

    async fn a_key_cannot_reach_another_users_outlets_or_keys(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        let theirs = expect_json(bob.post("/api/outlets", json!({"name": "Bob", "wa_number": "081200000003"})).await, StatusCode::CREATED).await;
        let (bob_key, _) = new_key(&bob, "bob's").await;
        let (_, secret) = new_key(&ana, "ana's").await;
        let c = app.client();
        let peek = c.get(app.url(&format!("/api/outlets/{}", theirs["id"]))).bearer_auth(&secret).send().await.unwrap();
        expect_error(peek, StatusCode::NOT_FOUND).await;
        let connect = c.post(app.url(&format!("/api/outlets/{}/device/connect", theirs["id"]))).bearer_auth(&secret).json(&json!({})).send().await.unwrap();
        expect_error(connect, StatusCode::NOT_FOUND).await;
        expect_error(ana.delete(&format!("/api/keys/{bob_key}")).await, StatusCode::NOT_FOUND).await;
        assert!(key_row(&bob, bob_key).await["revoked_at"].is_null(), "bob's key untouched");
        // Monitoring uses no WhatsApp feature, so it holds no key to reach one with.
        expect_error(monitor.post("/api/keys", json!({"name": "dashboards"})).await, StatusCode::FORBIDDEN).await;
        expect_error(monitor.get("/api/keys").await, StatusCode::FORBIDDEN).await;
        // A user moved to monitoring keeps no key.
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (_, carl) = app.as_new("carl@shop.id", Role::User).await;
        let (carl_key, carl_secret) = new_key(&carl, "carl's").await;
        let carl_id = key_row(&carl, carl_key).await["owner_id"].as_i64().unwrap();
        expect_json(admin.patch(&format!("/api/admin/users/{carl_id}"), json!({"role": "monitoring"})).await, StatusCode::OK).await;
        let gone = c.get(app.url("/api/me")).bearer_auth(&carl_secret).send().await.unwrap();
        expect_error(gone, StatusCode::UNAUTHORIZED).await;
        expect_json(admin.patch(&format!("/api/admin/users/{carl_id}"), json!({"role": "user"})).await, StatusCode::OK).await;
        let still_gone = c.get(app.url("/api/me")).bearer_auth(&carl_secret).send().await.unwrap();
        expect_error(still_gone, StatusCode::UNAUTHORIZED).await;
        let bad = expect_error(ana.post("/api/keys", json!({"name": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad["field"], "name");
        app.stop().await;
    }
}
