//! Images and documents: uploaded as multipart or fetched from `media_url`, size-limited,
//! checked, sent through the sim engine, and their bytes dropped once sent.

use crate::helpers::*;
use axum::http::header;
use domain::Role;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::both_backends;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny picture";

/// A local file server: `/files/Menu%20Juli.pdf` (a PDF) and `/files/big.bin` (over 1 MiB).
#[allow(clippy::disallowed_methods)] // a test server, not our API
async fn file_server() -> String {
    let app = axum::Router::new()
        .route(
            "/files/{name}",
            axum::routing::get(|axum::extract::Path(name): axum::extract::Path<String>| async move {
                match name.as_str() {
                    "Menu Juli.pdf" => ([(header::CONTENT_TYPE, "application/pdf")], b"%PDF-1.7 menu".to_vec()),
                    "big.bin" => ([(header::CONTENT_TYPE, "application/octet-stream")], vec![7u8; 1024 * 1024 + 1]),
                    _ => ([(header::CONTENT_TYPE, "text/plain")], b"<html>not a picture</html>".to_vec()),
                }
            }),
        )
        .route("/gone", axum::routing::get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/share/menu",
            axum::routing::get(|| async { axum::response::Redirect::temporary("/files/Menu%20Juli.pdf") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

both_backends! {
    async fn an_uploaded_image_and_a_fetched_document_are_sent(db) {
        let app = TestApp::start_with(db, |c| c.webhooks_allow_private = true).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let form = Form::new()
            .text("outlet_id", o.to_string())
            .text("to", "081311112222")
            .text("type", "image")
            .text("caption", "Promo minggu ini")
            .part("file", Part::bytes(PNG.to_vec()).file_name("promo.png").mime_str("image/png").unwrap());
        let res = s.client.post(format!("{}/api/messages", s.base)).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap();
        let m = expect_json(res, StatusCode::ACCEPTED).await;
        assert_eq!((m["kind"].as_str(), m["body"].as_str(), m["media_mime"].as_str()), (Some("image"), Some("Promo minggu ini"), Some("image/png")));
        assert_eq!(m["media_size"].as_u64(), Some(PNG.len() as u64));
        let id = m["id"].as_i64().unwrap();
        wait_message(&s, id, "read").await;
        assert_eq!(app.store.message_media(id).await.unwrap(), None, "the bytes are dropped once sent");

        let files = file_server().await;
        let doc = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "type": "document",
            "media_url": format!("{files}/files/Menu%20Juli.pdf"), "caption": "Menu"})).await, StatusCode::ACCEPTED).await;
        assert_eq!((doc["media_mime"].as_str(), doc["media_name"].as_str()), (Some("application/pdf"), Some("Menu Juli.pdf")));
        wait_message(&s, doc["id"].as_i64().unwrap(), "read").await;
        let shared = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311112222", "type": "document",
            "media_url": format!("{files}/share/menu")})).await, StatusCode::ACCEPTED).await;
        assert_eq!(shared["media_name"], "Menu Juli.pdf", "a share link's redirect is followed to the file");
        app.stop().await;
    }

    async fn bad_media_gets_a_clear_4xx_and_writes_nothing(db) {
        let app = TestApp::start_with(db, |c| c.media_max_kib = 1024).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Outlet", "", "081200000001").await;
        let upload = |bytes: Vec<u8>, kind: &str| {
            let form = Form::new().text("outlet_id", o.to_string()).text("to", "081311112222").text("type", kind.to_string())
                .part("file", Part::bytes(bytes).file_name("f.bin"));
            s.client.post(format!("{}/api/messages", s.base)).header("x-csrf-token", &s.csrf).multipart(form).send()
        };
        let big = expect_error(upload(vec![1u8; 1024 * 1024 + 1], "document").await.unwrap(), StatusCode::PAYLOAD_TOO_LARGE).await;
        assert!(big["message"].as_str().unwrap().contains("1024 KiB"), "{big}");
        let huge = expect_error(upload(vec![1u8; 3 * 1024 * 1024], "document").await.unwrap(), StatusCode::PAYLOAD_TOO_LARGE).await;
        assert_eq!(huge["code"], "media_too_large");
        let fake = expect_error(upload(b"<svg/>".to_vec(), "image").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(fake["message"].as_str().unwrap().contains("JPEG, PNG or WebP"));

        let send = |body: Value| s.post("/api/messages", body);
        let private = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "image", "media_url": "http://127.0.0.1:9/x.png"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(private["field"], "media_url");
        let nothing = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "document"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(nothing["message"].as_str().unwrap().contains("media_url or an uploaded file"));
        let mixed = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "text": "hi", "media_url": "https://example.com/a.png"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(mixed["field"], "type");
        let text_on_image = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "image", "text": "hi", "media_url": "https://example.com/a.png"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(text_on_image["field"], "text");
        let unknown = Form::new().text("outlet_id", o.to_string()).text("colour", "red");
        let res = s.client.post(format!("{}/api/messages", s.base)).header("x-csrf-token", &s.csrf).multipart(unknown).send().await.unwrap();
        assert!(expect_error(res, StatusCode::BAD_REQUEST).await["message"].as_str().unwrap().contains("colour"));
        app.stop().await;

        // With loopback allowed (a local setup), what the URL serves is checked too.
        let app = TestApp::start_with(db, |c| { c.media_max_kib = 1024; c.webhooks_allow_private = true; }).await;
        let s = app.login("ana@shop.id").await;
        let files = file_server().await;
        let send = |body: Value| s.post("/api/messages", body);
        let big = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "document", "media_url": format!("{files}/files/big.bin")})).await, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert_eq!(big["code"], "media_too_large");
        let gone = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "document", "media_url": format!("{files}/gone")})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(gone["message"].as_str().unwrap().contains("404"), "{gone}");
        let page = expect_error(send(json!({"outlet_id": o, "to": "081311112222", "type": "image", "media_url": format!("{files}/files/page.html")})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(page["field"], "type");
        let none = expect_json(s.get("/api/messages").await, StatusCode::OK).await;
        assert_eq!(none["total"], 0, "nothing was written");
        app.stop().await;
    }
}
