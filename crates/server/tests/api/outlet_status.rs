//! `GET /api/outlets/status` (spec 000).

use crate::helpers::*;
use domain::{Clock, DeviceStatus, EngineKind, Label, PhoneNumber, Role, UserId};
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::{both_backends, NewDevice, NewOutlet};

fn names(report: &Value) -> Vec<String> {
    report["outlets"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

async fn seed_outlets(app: &TestApp, owner: UserId, n: usize, offset: usize) {
    let now = app.clock.now();
    let city = Label::parse("Medan", 50).unwrap();
    for i in offset..offset + n {
        let name = Label::parse(&format!("Toko {i:05}"), 50).unwrap();
        let number = PhoneNumber::parse(&format!("0813{i:08}")).unwrap();
        let o = app
            .store
            .create_outlet(NewOutlet { owner, name: &name, city: &city, wa_number: &number }, now)
            .await
            .unwrap();
        app.store
            .create_device(NewDevice { outlet_id: o.id, engine: EngineKind::Sim, paired_account: None }, now)
            .await
            .unwrap();
    }
}

both_backends! {
    async fn roles_see_their_outlets_and_monitoring_is_refused(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        create_outlet(&ana, "Ana Satu", "Bandung", "081200000001").await;
        create_outlet(&ana, "Ana Dua", "Bandung", "081200000002").await;
        create_outlet(&bob, "Bob Satu", "Bandung", "081200000003").await;
        let anon = app.client().get(app.url("/api/outlets/status")).send().await.unwrap();
        expect_error(anon, StatusCode::UNAUTHORIZED).await;
        expect_error(monitor.get("/api/outlets/status").await, StatusCode::FORBIDDEN).await;
        let mine = expect_json(ana.get("/api/outlets/status").await, StatusCode::OK).await;
        assert_eq!(names(&mine), ["Ana Dua", "Ana Satu"]);
        assert_eq!(mine["outlets"][0]["owner"], "ana@shop.id");
        let all = expect_json(admin.get("/api/outlets/status").await, StatusCode::OK).await;
        assert_eq!(all["summary"]["total"], 3);
        let bobs = expect_json(bob.get("/api/outlets/status").await, StatusCode::OK).await;
        assert_eq!(names(&bobs), ["Bob Satu"]);
        app.stop().await;
    }

    async fn a_dead_socket_is_synced_to_the_database_with_a_history_row(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let jkt = create_outlet(&ana, "Jakarta", "Bandung", "081200000001").await;
        let bdg = create_outlet(&ana, "Bandung", "Bandung", "081200000002").await;
        let id = pair_sim(&app, &ana, jkt).await;
        pair_sim(&app, &ana, bdg).await;
        let healthy = expect_json(ana.get("/api/outlets/status").await, StatusCode::OK).await;
        assert_eq!(healthy["summary"], json!({"total": 2, "healthy": 2, "problem": 0}));
        let row = &healthy["outlets"][1];
        for key in ["id", "name", "city", "wa_number", "owner", "db_status", "live", "healthy", "synced", "retries", "last_connected_at", "status_changed_at"] {
            assert!(row.get(key).is_some(), "missing {key}: {row}");
        }
        assert_eq!((row["db_status"].as_str(), row["live"].as_bool(), row["synced"].as_bool()), (Some("connected"), Some(true), Some(true)));
        assert!(healthy["checked_at"].is_string());

        // The socket dies without an event: nothing notices until a check.
        ana.post(&format!("/api/sandbox/outlets/{jkt}/fault"), json!({"kind": "silent_drop"})).await;
        assert_eq!(app.store.device(domain::policy::system_scope(), id).await.unwrap().unwrap().status, DeviceStatus::Connected, "the row still claims connected");
        let report = expect_json(ana.get("/api/outlets/status").await, StatusCode::OK).await;
        assert_eq!(report["summary"], json!({"total": 2, "healthy": 1, "problem": 1}));
        let jakarta = report["outlets"].as_array().unwrap().iter().find(|o| o["id"] == jkt).unwrap().clone();
        assert_eq!((jakarta["db_status"].as_str(), jakarta["live"].as_bool(), jakarta["healthy"].as_bool(), jakarta["synced"].as_bool()),
            (Some("disconnected"), Some(false), Some(false), Some(false)));
        let history = app.store.device_history(domain::policy::system_scope(), id, store::Page::default()).await.unwrap();
        assert!(history.items.iter().any(|e| e.from == DeviceStatus::Connected && e.to == DeviceStatus::Disconnected && e.reason.starts_with("reconciled")), "{:?}", history.items);
        app.wait_status(id, DeviceStatus::Connected).await;
        let healed = expect_json(ana.get("/api/outlets/status").await, StatusCode::OK).await;
        assert_eq!(healed["summary"]["healthy"], 2, "after the fix the session manager reconnected it");
        app.stop().await;
    }

    async fn filters_sorting_and_paging(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let a = create_outlet(&ana, "Alpha", "Bandung", "081200000001").await;
        create_outlet(&ana, "Bravo", "Bandung", "081200000002").await;
        create_outlet(&ana, "Charlie", "Bandung", "081200000003").await;
        let d = create_outlet(&ana, "Delta", "Bandung", "081200000004").await;
        pair_sim(&app, &ana, a).await;
        pair_sim(&app, &ana, d).await;
        let problems = expect_json(ana.get("/api/outlets/status?health=problem").await, StatusCode::OK).await;
        assert_eq!(names(&problems), ["Bravo", "Charlie"]);
        assert_eq!(problems["summary"]["total"], 4, "the summary ignores the health filter");
        assert_eq!(problems["outlets"][0]["db_status"], Value::Null, "no device yet");
        let healthy = expect_json(ana.get("/api/outlets/status?health=healthy&sort=name&order=desc").await, StatusCode::OK).await;
        assert_eq!(names(&healthy), ["Delta", "Alpha"]);
        let by_health = expect_json(ana.get("/api/outlets/status?sort=health").await, StatusCode::OK).await;
        assert_eq!(names(&by_health), ["Bravo", "Charlie", "Alpha", "Delta"], "problems first");
        let page = expect_json(ana.get("/api/outlets/status?per_page=3&page=2").await, StatusCode::OK).await;
        assert_eq!((names(&page), page["total"].as_i64()), (vec!["Delta".to_string()], Some(4)));
        let search = expect_json(ana.get("/api/outlets/status?q=81200000003").await, StatusCode::OK).await;
        assert_eq!(names(&search), ["Charlie"]);
        let bad = expect_error(ana.get("/api/outlets/status?health=sick").await, StatusCode::BAD_REQUEST).await;
        assert!(bad["message"].as_str().unwrap().contains("health"), "{bad}");
        app.stop().await;
    }

    async fn the_query_count_does_not_grow_with_the_outlets(db) {
        let app = TestApp::start(db).await;
        let (owner, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        // The counter is the whole store's: a background worker's look (e.g. the blast
        // dispatcher's) may land inside one request, so the fewest of a few requests is counted.
        let trips = |total: i64| {
            let (app, admin) = (&app, &admin);
            async move {
                let mut fewest = u64::MAX;
                for _ in 0..3 {
                    let before = app.store.round_trips();
                    let page = expect_json(admin.get("/api/outlets/status?per_page=5").await, StatusCode::OK).await;
                    fewest = fewest.min(app.store.round_trips() - before);
                    assert_eq!(page["summary"]["total"], total);
                }
                fewest
            }
        };
        seed_outlets(&app, owner, 10, 0).await;
        let with_10 = trips(10).await;
        seed_outlets(&app, owner, 990, 10).await;
        let with_1000 = trips(1000).await;
        assert_eq!(with_10, with_1000, "database round trips: {with_10} for 10 outlets, {with_1000} for 1,000");
        assert!(with_1000 <= 3, "{with_1000} round trips");
        app.stop().await;
    }
}
