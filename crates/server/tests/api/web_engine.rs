//! The real whatsapp-rust engine, as far as an unreachable WhatsApp allows: its key store on
//! this database, and its sessions failing cleanly against a closed port.

use crate::helpers::*;
use app::crypto::EncryptedKeyStore;
use app::crypto::SecretBox;
use app::sessions::RecordingTimer;
use domain::{Clock, DeviceId, DeviceStatus, Email, EngineKind, Label, PhoneNumber, Plan, Role};
use engine_web::kv::KeyValueStore;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use store::{both_backends, NewDevice, NewOutlet, NewUser, Store};

async fn two_web_devices(store: &Store) -> (DeviceId, DeviceId) {
    let now = domain::SystemClock.now();
    let email = Email::parse("keys@shop.id").unwrap();
    let owner = store
        .create_user(
            NewUser { email: &email, name: "", password_hash: "x", role: Role::User, plan: Plan::Unlimited },
            now,
        )
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for (name, number) in [("One", "081200000001"), ("Two", "081200000002")] {
        let name = Label::parse(name, 50).unwrap();
        let city = Label::parse_optional("", 50).unwrap();
        let number = PhoneNumber::parse(number).unwrap();
        let o =
            store.create_outlet(NewOutlet { owner, name: &name, city: &city, wa_number: &number }, now).await.unwrap();
        ids.push(
            store
                .create_device(NewDevice { outlet_id: o.id, engine: EngineKind::Web, paired_account: None }, now)
                .await
                .unwrap()
                .id,
        );
    }
    (ids[0], ids[1])
}

both_backends! {
    async fn the_key_store_round_trips_every_storage_call_encrypted(db) {
        let store = Store::open(&db.url, &Default::default()).await.unwrap();
        let (a, b) = two_web_devices(&store).await;
        let secrets = SecretBox::from_hex(&"5a".repeat(32)).unwrap();
        let kv: Arc<dyn KeyValueStore> = Arc::new(EncryptedKeyStore::new(store.clone(), secrets));
        engine_web::store::conformance::round_trip(kv.clone(), a, b).await.unwrap_or_else(|e| panic!("conformance: {e}"));

        kv.put(a, "identity", "own", b"PLAINTEXT-IDENTITY-KEY").await.unwrap();
        let raw = store.wa_key(a, "identity", "own").await.unwrap().unwrap();
        assert!(!raw.windows(22).any(|w| w == b"PLAINTEXT-IDENTITY-KEY"), "stored encrypted");
        let other_key: Arc<dyn KeyValueStore> = Arc::new(EncryptedKeyStore::new(store.clone(), SecretBox::from_hex(&"6b".repeat(32)).unwrap()));
        assert!(other_key.get(a, "identity", "own").await.is_err(), "a dump without the key is useless");
        store.put_wa_keys(b, "identity", &[("own".into(), raw)]).await.unwrap();
        assert!(kv.get(b, "identity", "own").await.is_err(), "a value copied to another device does not decrypt");
        store.close().await;
    }

    async fn an_unreachable_whatsapp_leaves_the_device_disconnected_with_counted_retries(db) {
        // A device paired before: its session manager keeps trying, with backoff, and counts.
        let app = TestApp::start_timed(db, |_| {}, fast_sim(), RecordingTimer::stopping_after(3)).await;
        let (_, s) = app.as_new("owner@shop.id", Role::User).await;
        let o = expect_json(s.post("/api/outlets", json!({"name": "Jakarta", "wa_number": "081200000009"})).await, StatusCode::CREATED).await;
        let outlet = o["id"].as_i64().unwrap();
        let d = expect_json(s.post(&format!("/api/outlets/{outlet}/device/connect"), json!({"engine": "web"})).await, StatusCode::ACCEPTED).await;
        let id = DeviceId(d["id"].as_i64().unwrap());
        let first = app.wait_device(id, "the first attempt to fail", |d| d.status == DeviceStatus::Disconnected && !d.status_reason.is_empty()).await;
        assert!(first.status_reason.starts_with("could not reach WhatsApp"), "{}", first.status_reason);
        assert_eq!(first.retries, 0, "an unpaired device does not retry by itself");
        assert!(!app.sessions.is_live(id));
        let history = app.store.device_history(domain::policy::system_scope(), id, store::Page::default()).await.unwrap();
        let steps: Vec<_> = history.items.iter().rev().map(|e| format!("{}>{}", e.from, e.to)).collect();
        assert_eq!(steps, ["disconnected>connecting", "connecting>disconnected"]);
        app.stop().await;

        // Mark it paired, as if a phone had linked it, and restart: now it retries.
        let paired = store::DeviceChange { reason: "paired earlier".into(), paired_account: Some(Some("6281200000009".into())), ..Default::default() };
        let store = Store::open(&db.url, &Default::default()).await.unwrap();
        store.record_device_change(id, DeviceStatus::Disconnected, DeviceStatus::Connecting, &paired, domain::SystemClock.now()).await.unwrap();
        store.record_device_change(id, DeviceStatus::Connecting, DeviceStatus::Disconnected, &paired, domain::SystemClock.now()).await.unwrap();
        store.close().await;
        let app = TestApp::start_timed(db, |_| {}, fast_sim(), RecordingTimer::stopping_after(3)).await;
        let d = app.wait_device(id, "three counted retries", |d| d.retries == 4 && d.status == DeviceStatus::Disconnected && app.timer.delays().len() == 4).await;
        assert!(d.status_reason.starts_with("could not reach WhatsApp"));
        assert_eq!(app.timer.delays().len(), 4, "three retries waited out, the fourth wait pending");
        let delays = app.timer.delays();
        assert!(delays.windows(2).all(|w| w[0] < w[1]), "growing delays: {delays:?}");
        assert_eq!(app.sessions.loops(), 1);
        let view = expect_json(app.login("owner@shop.id").await.get(&format!("/api/outlets/{outlet}/device")).await, StatusCode::OK).await;
        assert_eq!((view["status"].as_str(), view["live"].as_bool(), view["retries"].as_i64()), (Some("disconnected"), Some(false), Some(4)));
        app.stop().await;
    }
}
