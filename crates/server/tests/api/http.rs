use crate::helpers::*;
use domain::Role;
use reqwest::StatusCode;
use store::both_backends;

both_backends! {
    async fn malformed_oversized_and_mistyped_bodies_get_clear_4xx(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let send = |body: String, ctype: &'static str| {
            s.client.post(app.url("/api/outlets")).header("x-csrf-token", &s.csrf).header("content-type", ctype).body(body).send()
        };
        let malformed = expect_error(send("{\"name\": ".into(), "application/json").await.unwrap(), StatusCode::BAD_REQUEST).await;
        assert_eq!(malformed["code"], "malformed_json");
        let text = expect_error(send("name=x".into(), "text/plain").await.unwrap(), StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert!(text["message"].as_str().unwrap().contains("application/json"));
        let missing = expect_error(send("{\"name\": \"x\"}".into(), "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(missing["message"].as_str().unwrap().contains("wa_number"), "{missing}");
        let unknown = expect_error(send("{\"name\":\"x\",\"wa_number\":\"081234567890\",\"colour\":1}".into(), "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(unknown["message"].as_str().unwrap().contains("colour"), "{unknown}");
        let huge = format!("{{\"name\": \"{}\", \"wa_number\": \"081234567890\"}}", "x".repeat(100 * 1024));
        let too_big = expect_error(send(huge, "application/json").await.unwrap(), StatusCode::PAYLOAD_TOO_LARGE).await;
        assert_eq!(too_big["code"], "payload_too_large");
        let long_name = format!("{{\"name\": \"{}\", \"wa_number\": \"081234567890\"}}", "x".repeat(101));
        let err = expect_error(send(long_name, "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(err["message"].as_str().unwrap().contains("at most 100"));
        assert_eq!(expect_json(s.get("/api/outlets").await, StatusCode::OK).await["total"], 0);
        app.stop().await;
    }

    async fn health_unknown_routes_and_response_headers(db) {
        let app = TestApp::start(db).await;
        let c = app.client();
        let health = c.get(app.url("/healthz")).send().await.unwrap();
        assert!(health.headers().contains_key("x-request-id"));
        assert_eq!(health.headers()["x-content-type-options"], "nosniff");
        assert_eq!(health.headers()["x-frame-options"], "DENY");
        assert!(health.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
        let body = expect_json(health, StatusCode::OK).await;
        assert_eq!(body["database"], "ok");
        let err = expect_error(c.get(app.url("/api/nope")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        assert_eq!(err["code"], "not_found");
        let css = c.get(app.url("/assets/css/app.css")).send().await.unwrap();
        let etag = css.headers()["etag"].clone();
        assert_eq!(css.status(), StatusCode::OK);
        let again = c.get(app.url("/assets/css/app.css")).header("if-none-match", etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        // Browsers run a module script only when it is served as JavaScript.
        let module = c.get(app.url("/assets/js/core.js")).send().await.unwrap();
        assert_eq!(module.status(), StatusCode::OK);
        assert_eq!(module.headers()["content-type"], "text/javascript; charset=utf-8");
        let gone = c.get(app.url("/assets/app.js")).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }

    async fn shutdown_lets_the_server_stop_cleanly(db) {
        let app = TestApp::start(db).await;
        let base = app.base.clone();
        app.stop().await;
        assert!(reqwest::get(format!("{base}/healthz")).await.is_err(), "nothing listens after shutdown");
    }
}

both_backends! {
    async fn the_favicon_is_served_where_browsers_look_for_it(db) {
        let app = TestApp::start(db).await;
        let c = app.client();
        let ico = c.get(app.url("/favicon.ico")).send().await.unwrap();
        assert_eq!(ico.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(ico.headers()["location"], "/assets/favicon.svg");
        let svg = c.get(app.url("/assets/favicon.svg")).send().await.unwrap();
        assert_eq!(svg.status(), StatusCode::OK);
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        let login = c.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        assert!(login.contains(r#"<link rel="icon" href="/assets/favicon.svg""#));
        app.stop().await;
    }
}
