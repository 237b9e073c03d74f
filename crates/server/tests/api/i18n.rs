//! The pages' language: the profile's choice, else the browser's `Accept-Language`, else
//! `default_language`; and the page settings a user keeps (PATCH /api/me).

use crate::helpers::*;
use domain::{Language, Role};
use reqwest::StatusCode;
use serde_json::json;
use store::both_backends;

async fn page(client: &reqwest::Client, url: String, accept: Option<&str>) -> String {
    let mut req = client.get(url);
    if let Some(a) = accept {
        req = req.header("accept-language", a);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

both_backends! {
    async fn the_language_comes_from_the_profile_then_the_browser_then_the_platform(db) {
        let app = TestApp::start_with(db, |c| c.default_language = Language::Id).await;
        let c = app.client();
        let login = page(&c, app.url("/login"), None).await;
        assert!(login.contains("<html lang=\"id\">") && login.contains("Kata sandi"), "the platform default: {login}");
        let login = page(&c, app.url("/login"), Some("en-US,en;q=0.9")).await;
        assert!(login.contains("<html lang=\"en\">") && login.contains("Password"));
        let login = page(&c, app.url("/login"), Some("fr-FR, id;q=0.5")).await;
        assert!(login.contains("<html lang=\"id\">"), "the first language we have");

        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let me = expect_json(ana.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(me["user"]["language"], "auto");
        assert_eq!(me["user"]["time_zone"], "Asia/Jakarta");
        let english = page(&ana.client, app.url("/outlet-status"), Some("en")).await;
        assert!(english.contains("Outlet connection status"), "auto follows the browser");
        let changed = ana.patch("/api/me", json!({"language": "id", "time_zone": "asia/makassar"})).await;
        let user = expect_json(changed, StatusCode::OK).await;
        assert_eq!((user["language"].as_str(), user["time_zone"].as_str()), (Some("id"), Some("Asia/Makassar")));
        let indonesian = page(&ana.client, app.url("/outlet-status"), Some("en")).await;
        assert!(indonesian.contains("Status Koneksi Outlet") && indonesian.contains("Sehat"), "the profile beats the browser");
        assert!(indonesian.contains("content=\"Asia/Makassar\""), "times are shown in the user's zone");
        // The page script's texts come with the page, in the same language.
        assert!(indonesian.contains("\"js-os-rescan\":\"Pindai Ulang QR\""));

        let err = expect_error(ana.patch("/api/me", json!({"time_zone": "Mars/Olympus"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "time_zone");
        assert!(err["message"].as_str().unwrap().contains("Asia/Jakarta"), "the message lists the choices: {err}");
        expect_error(ana.patch("/api/me", json!({"language": "fr"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let nothing = expect_error(ana.patch("/api/me", json!({})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(nothing["message"].as_str().unwrap().contains("nothing to change"));
        let user = expect_json(ana.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(user["user"]["time_zone"], "Asia/Makassar", "a refused change changes nothing");
        app.stop().await;
    }
}
