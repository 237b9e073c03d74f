use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use store::both_backends;

both_backends! {
    async fn every_role_against_the_user_admin_endpoints(db) {
        let app = TestApp::start(db).await;
        let (target, user) = app.as_new("ana@shop.id", Role::User).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (_, root) = app.as_new("root@shop.id", Role::Superadmin).await;
        let anon = app.client();
        expect_error(anon.get(app.url("/api/admin/users")).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let new_user = json!({"email": "new@shop.id", "password": "kopi susu gula aren", "role": "user"});
        let plan = json!({"plan": "pro"});
        for s in [&user, &monitor] {
            expect_error(s.get("/api/admin/users").await, StatusCode::FORBIDDEN).await;
            expect_error(s.get(&format!("/api/admin/users/{target}")).await, StatusCode::FORBIDDEN).await;
            expect_error(s.post("/api/admin/users", new_user.clone()).await, StatusCode::FORBIDDEN).await;
            expect_error(s.patch(&format!("/api/admin/users/{target}"), plan.clone()).await, StatusCode::FORBIDDEN).await;
        }
        for s in [&admin, &root] {
            let list = expect_json(s.get("/api/admin/users").await, StatusCode::OK).await;
            assert_eq!(list["total"], 4);
            expect_json(s.get(&format!("/api/admin/users/{target}")).await, StatusCode::OK).await;
        }
        let created = expect_json(admin.post("/api/admin/users", new_user).await, StatusCode::CREATED).await;
        assert_eq!((created["role"].as_str(), created["plan"].as_str()), (Some("user"), Some("free")));
        let changed = expect_json(admin.patch(&format!("/api/admin/users/{target}"), json!({"plan": "enterprise", "role": "monitoring"})).await, StatusCode::OK).await;
        assert_eq!((changed["role"].as_str(), changed["plan"].as_str()), (Some("monitoring"), Some("enterprise")));
        let me = expect_json(user.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(me["user"]["role"], "monitoring", "a role change applies to live sessions");
        expect_error(user.get("/api/outlets").await, StatusCode::FORBIDDEN).await;
        app.stop().await;
    }

    async fn only_a_superadmin_manages_staff(db) {
        let app = TestApp::start(db).await;
        let (admin_id, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (root_id, root) = app.as_new("root@shop.id", Role::Superadmin).await;
        let other_admin = app.user("boss2@shop.id", Role::Admin).await;
        let user = app.user("ana@shop.id", Role::User).await;
        let staff = json!({"email": "staff@shop.id", "password": "kopi susu gula aren", "role": "admin"});
        let err = expect_error(admin.post("/api/admin/users", staff.clone()).await, StatusCode::FORBIDDEN).await;
        assert!(err["message"].as_str().unwrap().contains("superadmin"));
        expect_error(admin.patch(&format!("/api/admin/users/{user}"), json!({"role": "admin"})).await, StatusCode::FORBIDDEN).await;
        expect_error(admin.patch(&format!("/api/admin/users/{other_admin}"), json!({"role": "user"})).await, StatusCode::FORBIDDEN).await;
        expect_error(admin.patch(&format!("/api/admin/users/{other_admin}"), json!({"disabled": true})).await, StatusCode::FORBIDDEN).await;
        expect_error(admin.patch(&format!("/api/admin/users/{root_id}"), json!({"role": "user"})).await, StatusCode::FORBIDDEN).await;
        expect_json(root.post("/api/admin/users", staff).await, StatusCode::CREATED).await;
        expect_json(root.patch(&format!("/api/admin/users/{admin_id}"), json!({"role": "user"})).await, StatusCode::OK).await;
        let last = expect_error(root.patch(&format!("/api/admin/users/{root_id}"), json!({"role": "admin"})).await, StatusCode::CONFLICT).await;
        assert!(last["message"].as_str().unwrap().contains("last active superadmin"));
        let me = expect_json(root.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(me["user"]["role"], "superadmin", "nothing changed");
        expect_json(root.patch(&format!("/api/admin/users/{other_admin}"), json!({"role": "superadmin"})).await, StatusCode::OK).await;
        expect_json(root.patch(&format!("/api/admin/users/{root_id}"), json!({"role": "admin"})).await, StatusCode::OK).await;
        app.stop().await;
    }

    async fn user_lists_are_paged_and_searchable(db) {
        let app = TestApp::start(db).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        for i in 0..12 {
            app.user(&format!("cashier{i}@toko.id"), Role::User).await;
        }
        let page = expect_json(admin.get("/api/admin/users?q=TOKO&page=2&per_page=5").await, StatusCode::OK).await;
        assert_eq!((page["total"].as_i64(), page["page"].as_i64(), page["per_page"].as_i64()), (Some(12), Some(2), Some(5)));
        assert_eq!(page["items"].as_array().unwrap().len(), 5);
        let last = expect_json(admin.get("/api/admin/users?q=toko&page=3&per_page=5").await, StatusCode::OK).await;
        assert_eq!(last["items"].as_array().unwrap().len(), 2);
        let bad = expect_error(admin.get("/api/admin/users?page=minus").await, StatusCode::BAD_REQUEST).await;
        assert!(bad["message"].as_str().unwrap().contains("query"));
        app.stop().await;
    }

    async fn bad_user_changes_say_what_to_fix(db) {
        let app = TestApp::start(db).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let user = app.user("ana@shop.id", Role::User).await;
        let empty = expect_error(admin.patch(&format!("/api/admin/users/{user}"), json!({})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(empty["message"].as_str().unwrap().contains("nothing to change"));
        let role = expect_error(admin.patch(&format!("/api/admin/users/{user}"), json!({"role": "root"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(role["message"].as_str().unwrap().contains("unknown variant"), "{role}");
        expect_error(admin.patch("/api/admin/users/99999", json!({"plan": "pro"})).await, StatusCode::NOT_FOUND).await;
        expect_error(admin.get("/api/admin/users/abc").await, StatusCode::BAD_REQUEST).await;
        let weak = json!({"email": "x@shop.id", "password": "short", "role": "user"});
        expect_error(admin.post("/api/admin/users", weak).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let dup = json!({"email": "ana@shop.id", "password": "kopi susu gula aren", "role": "user"});
        expect_error(admin.post("/api/admin/users", dup).await, StatusCode::CONFLICT).await;
        app.stop().await;
    }
}
