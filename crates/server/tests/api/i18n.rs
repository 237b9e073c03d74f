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
        assert!(nothing["message"].as_str().unwrap().contains("tidak ada yang diubah"), "in the profile's language: {nothing}");
        let user = expect_json(ana.get("/api/me").await, StatusCode::OK).await;
        assert_eq!(user["user"]["time_zone"], "Asia/Makassar", "a refused change changes nothing");
        app.stop().await;
    }
}

both_backends! {
    async fn api_errors_speak_the_callers_language_and_keep_their_codes(db) {
        let app = TestApp::start(db).await;
        let c = app.client();
        // Nobody logged in: the browser's language.
        let res = c.get(app.url("/api/outlets")).header("accept-language", "id-ID,id;q=0.9").send().await.unwrap();
        let err = expect_error(res, StatusCode::UNAUTHORIZED).await;
        assert_eq!(err["code"], "unauthorized");
        assert!(err["message"].as_str().unwrap().starts_with("silakan masuk dulu"), "{err}");
        let res = c.get(app.url("/api/outlets")).send().await.unwrap();
        assert_eq!(res.headers()["vary"], "accept-language", "caches keep the languages apart");
        assert!(expect_error(res, StatusCode::UNAUTHORIZED).await["message"].as_str().unwrap().starts_with("log in first"));

        // A logged-in user: the profile's language wins over the browser's.
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        ana.patch("/api/me", json!({"language": "id"})).await;
        let bad = ana.client.post(app.url("/api/outlets")).header("x-csrf-token", &ana.csrf).header("accept-language", "en")
            .json(&json!({"name": "Toko", "wa_number": "0812 abc"})).send().await.unwrap();
        let err = expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!((err["code"].as_str(), err["field"].as_str()), (Some("validation_failed"), Some("wa_number")));
        assert_eq!(err["message"], "wa_number: nomor WhatsApp hanya boleh berisi angka, spasi, tanda hubung, titik, kurung, dan + di depan; ditemukan 'a'");
        let missing = expect_error(ana.get("/api/outlets/999999").await, StatusCode::NOT_FOUND).await;
        assert_eq!(missing["message"], "outlet tidak ditemukan");
        let nameless = expect_error(ana.post("/api/outlets", json!({"name": " ", "wa_number": "081200000001"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(nameless["message"], "name: nama outlet wajib diisi", "a field's name is translated inside the message");

        // An API key answers in its owner's language too.
        let key = expect_json(ana.post("/api/keys", json!({"name": "Kasir"})).await, StatusCode::CREATED).await;
        let secret = key["secret"].as_str().unwrap();
        let res = c.get(app.url("/api/messages/999999")).bearer_auth(secret).send().await.unwrap();
        assert_eq!(expect_error(res, StatusCode::NOT_FOUND).await["message"], "pesan tidak ditemukan");
        ana.patch("/api/me", json!({"language": "en"})).await;
        let res = c.get(app.url("/api/messages/999999")).bearer_auth(secret).send().await.unwrap();
        assert_eq!(expect_error(res, StatusCode::NOT_FOUND).await["message"], "message not found");
        app.stop().await;
    }
}
