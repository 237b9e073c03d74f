use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use store::both_backends;

both_backends! {
    async fn login_sets_a_hardened_session_cookie(db) {
        let app = TestApp::start(db).await;
        app.user("ana@shop.id", Role::User).await;
        let res = app.client().post(app.url("/api/auth/login"))
            .json(&json!({"email": "ANA@shop.id", "password": PASSWORD})).send().await.unwrap();
        let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        assert_eq!(res.status(), StatusCode::OK);
        for part in ["kw_session=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        assert!(!cookie.contains("Secure"), "not Secure unless configured");
        let s = app.login("ana@shop.id").await;
        let me = expect_json(s.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(me["user"]["email"], "ana@shop.id");
        assert_eq!(me["user"]["role"], "user");
        assert!(me["user"].get("password_hash").is_none());
        app.stop().await;

        let secure = TestApp::start_with(db, |c| c.secure_cookies = true).await;
        let res = secure.client().post(secure.url("/api/auth/login"))
            .json(&json!({"email": "ana@shop.id", "password": PASSWORD})).send().await.unwrap();
        assert!(res.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Secure"));
        secure.stop().await;
    }

    async fn bad_logins_are_401_with_one_message(db) {
        let app = TestApp::start(db).await;
        app.user("ana@shop.id", Role::User).await;
        let (status, wrong_pw) = app.login_with("ana@shop.id", "nope nope nope").await.err().unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, no_user) = app.login_with("ghost@shop.id", PASSWORD).await.err().unwrap();
        assert_eq!(wrong_pw["error"]["message"], "wrong e-mail or password");
        assert_eq!(wrong_pw, no_user, "the answer does not reveal which e-mails exist");
        let anon = app.client().get(app.url("/api/me")).send().await.unwrap();
        let err = expect_error(anon, StatusCode::UNAUTHORIZED).await;
        assert!(err["message"].as_str().unwrap().contains("log in"));
        app.stop().await;
    }

    async fn disabled_users_cannot_log_in_and_lose_their_sessions(db) {
        let app = TestApp::start(db).await;
        let (victim, victim_session) = app.as_new("ana@shop.id", Role::User).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        expect_json(admin.patch(&format!("/api/admin/users/{victim}"), json!({"disabled": true})).await, StatusCode::OK).await;
        expect_error(victim_session.get("/api/me").await, StatusCode::UNAUTHORIZED).await;
        let (status, body) = app.login_with("ana@shop.id", PASSWORD).await.err().unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["code"], "account_disabled");
        app.stop().await;
    }

    async fn sessions_expire(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        app.clock.advance_secs(3599);
        expect_json(s.get("/api/me").await, StatusCode::OK).await;
        app.clock.advance_secs(2);
        let err = expect_error(s.get("/api/me").await, StatusCode::UNAUTHORIZED).await;
        assert!(err["message"].as_str().unwrap().contains("expired"), "{err}");
        app.stop().await;
    }

    async fn logout_ends_the_session(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let other = app.login("ana@shop.id").await;
        assert_eq!(s.post("/api/auth/logout", json!({})).await.status(), StatusCode::NO_CONTENT);
        expect_error(s.get("/api/me").await, StatusCode::UNAUTHORIZED).await;
        expect_json(other.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(other.post("/api/auth/logout-all", json!({})).await.status(), StatusCode::NO_CONTENT);
        expect_error(other.get("/api/me").await, StatusCode::UNAUTHORIZED).await;
        app.stop().await;
    }

    async fn state_changes_need_the_csrf_token(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let body = json!({"name": "Jakarta", "wa_number": "081234567890"});
        let missing = s.client.post(app.url("/api/outlets")).json(&body).send().await.unwrap();
        let err = expect_error(missing, StatusCode::FORBIDDEN).await;
        assert_eq!(err["code"], "csrf_failed");
        let wrong = s.client.post(app.url("/api/outlets")).header("x-csrf-token", "0".repeat(64)).json(&body).send().await.unwrap();
        expect_error(wrong, StatusCode::FORBIDDEN).await;
        let listed = expect_json(s.get("/api/outlets").await, StatusCode::OK).await;
        assert_eq!(listed["total"], 0, "nothing was written");
        expect_json(s.post("/api/outlets", body).await, StatusCode::CREATED).await;
        let logout = s.client.post(app.url("/api/auth/logout")).send().await.unwrap();
        expect_error(logout, StatusCode::FORBIDDEN).await;
        app.stop().await;
    }

    async fn logins_are_rate_limited_per_email_and_ip(db) {
        let app = TestApp::start_with(db, |c| { c.login_max_failures_per_email = 3; c.login_max_failures_per_ip = 6; }).await;
        app.user("ana@shop.id", Role::User).await;
        app.user("bob@shop.id", Role::User).await;
        for _ in 0..3 {
            assert_eq!(app.login_with("ana@shop.id", "guess guess").await.err().unwrap().0, StatusCode::UNAUTHORIZED);
        }
        let res = app.client().post(app.url("/api/auth/login"))
            .json(&json!({"email": "ana@shop.id", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(res.headers().get("retry-after").unwrap(), "900");
        let err = expect_error(res, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(err["message"].as_str().unwrap().contains("try again in 900 seconds"));
        assert!(app.login_with("bob@shop.id", PASSWORD).await.is_ok(), "another e-mail still works");
        for _ in 0..3 {
            let _ = app.login_with("bob@shop.id", "guess guess").await;
        }
        let (status, _) = app.login_with("carol@shop.id", "anything at all").await.err().unwrap();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the IP has used its 6 failures");
        app.clock.advance_secs(901);
        assert!(app.login_with("ana@shop.id", PASSWORD).await.is_ok(), "the window has passed");
        app.stop().await;
    }

    async fn behind_a_proxy_a_forged_forwarded_for_does_not_escape_the_ip_limit(db) {
        let app = TestApp::start_with(db, |c| { c.trust_proxy = true; c.login_max_failures_per_ip = 3; }).await;
        app.user("ana@shop.id", Role::User).await;
        // Each guess claims another client address first; the proxy appends the real one last.
        let guess = |n: u32| {
            let forwarded = format!("10.9.8.{n}, 203.0.113.7");
            let body = json!({"email": format!("guess{n}@shop.id"), "password": "guess guess"});
            app.client().post(app.url("/api/auth/login")).header("x-forwarded-for", forwarded).json(&body).send()
        };
        for n in 0..3 {
            assert_eq!(guess(n).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(guess(3).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS, "the proxy-seen IP used its failures");
        app.stop().await;
    }

    async fn registration_creates_free_users_when_open(db) {
        let app = TestApp::start(db).await;
        let register = |email: &str, password: &str| {
            app.client().post(app.url("/api/auth/register")).json(&json!({"email": email, "password": password, "name": "Siti"})).send()
        };
        let created = expect_json(register("siti@shop.id", "kopi susu gula aren").await.unwrap(), StatusCode::CREATED).await;
        assert_eq!((created["user"]["role"].as_str(), created["user"]["plan"].as_str()), (Some("user"), Some("free")));
        let weak = expect_error(register("weak@shop.id", "password").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(weak["field"], "password");
        assert!(weak["message"].as_str().unwrap().contains("at least 10"), "{weak}");
        let dup = expect_error(register("SITI@shop.id", "another good phrase").await.unwrap(), StatusCode::CONFLICT).await;
        assert!(dup["message"].as_str().unwrap().contains("already exists"));
        let bad_email = expect_error(register("siti", "kopi susu gula aren").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad_email["field"], "email");
        app.stop().await;

        let closed = TestApp::start_with(db, |c| c.registration = app::config::Registration::Closed).await;
        let res = closed.client().post(closed.url("/api/auth/register"))
            .json(&json!({"email": "new@shop.id", "password": "kopi susu gula aren"})).send().await.unwrap();
        let err = expect_error(res, StatusCode::FORBIDDEN).await;
        assert!(err["message"].as_str().unwrap().contains("registration is closed"));
        assert!(closed.login_with("new@shop.id", "kopi susu gula aren").await.is_err(), "no account was made");
        closed.stop().await;

        let demo = TestApp::start_with(db, |c| c.demo = true).await;
        let page = demo.client().get(demo.url("/login")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("monitoring@kewhats.app / monitoring123"), "the demo login page lists its accounts");
        demo.stop().await;
    }

    async fn changing_the_password_needs_the_current_one(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let other = app.login("ana@shop.id").await;
        let wrong = s.post("/api/me/password", json!({"current_password": "not it at all", "new_password": "teh manis dingin"})).await;
        assert_eq!(expect_error(wrong, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "current_password");
        let weak = s.post("/api/me/password", json!({"current_password": PASSWORD, "new_password": "123"})).await;
        assert_eq!(expect_error(weak, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "new_password");
        let ok = s.post("/api/me/password", json!({"current_password": PASSWORD, "new_password": "teh manis dingin"})).await;
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        expect_json(s.get("/api/me").await, StatusCode::OK).await;
        expect_error(other.get("/api/me").await, StatusCode::UNAUTHORIZED).await;
        assert!(app.login_with("ana@shop.id", PASSWORD).await.is_err());
        assert!(app.login_with("ana@shop.id", "teh manis dingin").await.is_ok());
        app.stop().await;
    }

    async fn pages_need_a_session_and_logout_forms_need_the_token(db) {
        let app = TestApp::start(db).await;
        let anon = app.client();
        for page in ["/", "/dashboard", "/outlets", "/admin/users", "/profile"] {
            let res = anon.get(app.url(page)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
            assert_eq!(res.headers()["location"], "/login", "{page}");
        }
        let login = anon.get(app.url("/login")).send().await.unwrap();
        assert_eq!(login.status(), StatusCode::OK);
        assert!(!login.text().await.unwrap().contains("admin123"), "demo accounts are shown only in demo mode");
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let page = s.get("/dashboard").await.text().await.unwrap();
        assert!(page.contains(&s.csrf), "the page carries the CSRF token for its scripts");
        let forged = s.client.post(app.url("/logout")).form(&[("_csrf", "forged")]).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        expect_json(s.get("/api/me").await, StatusCode::OK).await;
        let out = s.client.post(app.url("/logout")).form(&[("_csrf", s.csrf.as_str())]).send().await.unwrap();
        assert_eq!(out.headers()["location"], "/login");
        expect_error(s.get("/api/me").await, StatusCode::UNAUTHORIZED).await;
        app.stop().await;
    }

    async fn the_sidebar_follows_the_role(db) {
        let app = TestApp::start(db).await;
        let (_, user) = app.as_new("ana@shop.id", Role::User).await;
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        let nav = |html: String| {
            ["/outlet-status\"", "/outlets\"", "/messages\"", "/auto-replies\"", "/chatbots\"", "/integrations\"", "/admin/users\"", "/api-keys\"", "/billing\"", "/profile\""].map(|href| html.contains(&format!("href=\"{href}")))
        };
        assert_eq!(nav(user.get("/dashboard").await.text().await.unwrap()), [true, true, true, true, true, true, false, true, true, true]);
        assert_eq!(nav(admin.get("/dashboard").await.text().await.unwrap()), [true; 10]);
        // Monitoring holds no API keys: they reach only WhatsApp features.
        assert_eq!(nav(monitor.get("/dashboard").await.text().await.unwrap()), [false, false, false, false, false, false, false, false, false, true]);
        assert_eq!(monitor.get("/billing").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/admin/billing").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(user.get("/admin/billing").await.status(), StatusCode::FORBIDDEN);
        let page = admin.get("/dashboard").await.text().await.unwrap();
        assert!(page.contains("href=\"/admin/billing\""), "admins reach the plans editor");
        assert_eq!(monitor.get("/api-keys").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/outlets").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/outlet-status").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/messages").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/auto-replies").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/chatbots").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(monitor.get("/integrations").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(user.get("/admin/users").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(admin.get("/admin/users").await.status(), StatusCode::OK);
        app.stop().await;
    }
}
