use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::both_backends;

async fn create(s: &Session, name: &str, number: &str) -> Value {
    expect_json(
        s.post("/api/outlets", json!({"name": name, "city": "Jakarta", "wa_number": number})).await,
        StatusCode::CREATED,
    )
    .await
}

both_backends! {
    async fn every_role_against_the_outlet_endpoints(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (_, root) = app.as_new("root@shop.id", Role::Superadmin).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        let mine = create(&ana, "Jakarta Pusat", "081234500001").await;
        create(&bob, "Bandung", "081234500002").await;
        let id = mine["id"].as_i64().unwrap();
        let anon = app.client();
        expect_error(anon.get(app.url("/api/outlets")).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        expect_error(anon.get(app.url(&format!("/api/outlets/{id}"))).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        expect_error(monitor.get("/api/outlets").await, StatusCode::FORBIDDEN).await;
        expect_error(monitor.get(&format!("/api/outlets/{id}")).await, StatusCode::FORBIDDEN).await;
        expect_error(monitor.post("/api/outlets", json!({"name": "x", "wa_number": "081234500009"})).await, StatusCode::FORBIDDEN).await;
        expect_error(monitor.patch(&format!("/api/outlets/{id}"), json!({"name": "x"})).await, StatusCode::FORBIDDEN).await;
        expect_error(monitor.delete(&format!("/api/outlets/{id}")).await, StatusCode::FORBIDDEN).await;
        let ana_list = expect_json(ana.get("/api/outlets").await, StatusCode::OK).await;
        assert_eq!(ana_list["total"], 1);
        assert_eq!(ana_list["items"][0]["name"], "Jakarta Pusat");
        for s in [&admin, &root] {
            assert_eq!(expect_json(s.get("/api/outlets").await, StatusCode::OK).await["total"], 2);
            expect_json(s.get(&format!("/api/outlets/{id}")).await, StatusCode::OK).await;
        }
        let renamed = expect_json(admin.patch(&format!("/api/outlets/{id}"), json!({"city": "Jakarta Selatan"})).await, StatusCode::OK).await;
        assert_eq!((renamed["city"].as_str(), renamed["owner_email"].as_str()), (Some("Jakarta Selatan"), Some("ana@shop.id")));
        assert_eq!(admin.delete(&format!("/api/outlets/{id}")).await.status(), StatusCode::NO_CONTENT);
        expect_error(ana.get(&format!("/api/outlets/{id}")).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }

    async fn a_user_cannot_touch_another_users_outlet_by_guessing_its_id(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let theirs = create(&bob, "Surabaya", "081234500003").await;
        let id = theirs["id"].as_i64().unwrap();
        for res in [
            ana.get(&format!("/api/outlets/{id}")).await,
            ana.patch(&format!("/api/outlets/{id}"), json!({"name": "Mine now"})).await,
            ana.delete(&format!("/api/outlets/{id}")).await,
        ] {
            let err = expect_error(res, StatusCode::NOT_FOUND).await;
            assert_eq!(err["message"], "outlet not found", "same answer as a missing outlet");
        }
        expect_error(ana.get("/api/outlets/424242").await, StatusCode::NOT_FOUND).await;
        let still = expect_json(bob.get(&format!("/api/outlets/{id}")).await, StatusCode::OK).await;
        assert_eq!(still, theirs, "unchanged");
        let bob_id = theirs["owner_id"].as_i64().unwrap();
        let planted = ana.post("/api/outlets", json!({"name": "x", "wa_number": "081234500004", "owner_id": bob_id})).await;
        expect_error(planted, StatusCode::FORBIDDEN).await;
        assert_eq!(expect_json(bob.get("/api/outlets").await, StatusCode::OK).await["total"], 1);
        app.stop().await;
    }

    async fn wa_numbers_are_validated_and_normalised(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        for (i, input) in ["0812-3456-7001", "6281234567002", "+62 812 3456 7003"].iter().enumerate() {
            let o = create(&ana, &format!("Outlet {i}"), input).await;
            assert_eq!(o["wa_number"], format!("+628123456700{}", i + 1));
        }
        for (input, hint) in [
            ("", "required"),
            ("0812abc", "only digits"),
            ("12345678", "country code"),
            ("021555123", "start with 8"),
            ("0812345", "9 to 12 digits"),
            ("08123", "too short"),
            ("+1234567890123456", "too long"),
        ] {
            let res = ana.post("/api/outlets", json!({"name": "Bad", "wa_number": input})).await;
            let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], "wa_number", "{input}");
            assert!(err["message"].as_str().unwrap().contains(hint), "{input}: {err}");
        }
        let dup = expect_error(ana.post("/api/outlets", json!({"name": "Again", "wa_number": "+6281234567001"})).await, StatusCode::CONFLICT).await;
        assert!(dup["message"].as_str().unwrap().contains("already used"));
        let no_name = expect_error(ana.post("/api/outlets", json!({"name": "  ", "wa_number": "081299999999"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(no_name["field"], "name");
        assert_eq!(expect_json(ana.get("/api/outlets").await, StatusCode::OK).await["total"], 3, "no half-written rows");
        app.stop().await;
    }

    async fn admins_create_outlets_for_users_and_lists_page(db) {
        let app = TestApp::start(db).await;
        let (ana_id, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        for i in 0..7 {
            let body = json!({"name": format!("Cabang {i}"), "city": if i % 2 == 0 { "Medan" } else { "Bali" }, "wa_number": format!("08123450010{i}"), "owner_id": ana_id.0});
            expect_json(admin.post("/api/outlets", body).await, StatusCode::CREATED).await;
        }
        let missing_owner = admin.post("/api/outlets", json!({"name": "x", "wa_number": "081234599999", "owner_id": 9999})).await;
        assert_eq!(expect_error(missing_owner, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "owner_id");
        let page = expect_json(ana.get("/api/outlets?per_page=3&page=3").await, StatusCode::OK).await;
        assert_eq!(page["total"], 7);
        assert_eq!(page["items"][0]["name"], "Cabang 6");
        let medan = expect_json(ana.get("/api/outlets?q=medan").await, StatusCode::OK).await;
        assert_eq!(medan["total"], 4);
        app.stop().await;
    }
}
