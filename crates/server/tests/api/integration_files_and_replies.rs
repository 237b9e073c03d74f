//! Integrations, continued: a customer's photo or a failed send's document reaches Telegram as a
//! photo or document and e-mail as an attachment; a reply in the Telegram chat goes back to the
//! customer through the outlet. The stand-ins are those of `providers.rs`.

use crate::helpers::*;
use crate::providers::{Answer, Kind, Provider, SmtpServer};
use base64::Engine as _;
use domain::Role;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::both_backends;

const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const CHAT: &str = "-1001234567890";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR bukti transfer";
const PDF: &[u8] = b"%PDF-1.7 invoice 42";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn integration(s: &Session, body: Value) -> i64 {
    let made = expect_json(s.post("/api/integrations", body).await, StatusCode::CREATED).await;
    made["integration"]["id"].as_i64().unwrap()
}

/// Waits until the integration's newest forward is delivered; returns it.
async fn delivered(s: &Session, id: i64, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = expect_json(s.get(&format!("/api/integrations/{id}/log")).await, StatusCode::OK).await;
        let items = log["items"].as_array().unwrap();
        if items.len() == n && items.iter().all(|f| f["status"] == "delivered") {
            return items[0].clone();
        }
        assert!(Instant::now() < deadline, "the log never showed {n} delivered: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The owner's messages to or from `peer`, newest first.
async fn messages_with(s: &Session, peer: &str) -> Vec<Value> {
    let all = expect_json(s.get("/api/messages?per_page=100").await, StatusCode::OK).await;
    all["items"].as_array().unwrap().iter().filter(|m| m["peer"] == peer).cloned().collect()
}

both_backends! {
    async fn a_customers_photo_and_a_failed_document_reach_telegram_and_email_as_files(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let smtp = SmtpServer::start().await;
        let base = tg.base();
        let app = TestApp::start_with(db, move |c| {
            c.webhooks_allow_private = true;
            c.telegram_api_url = base;
        })
        .await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let jkt = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, jkt).await;
        let events = json!(["message.received", "message.failed"]);
        let t = integration(&s, json!({"name": "Grup admin", "events": events,
            "channel": {"type": "telegram", "bot_token": TOKEN, "chat_id": CHAT}})).await;
        let e = integration(&s, json!({"name": "E-mail", "events": events, "channel": {"type": "email", "host": "127.0.0.1",
            "port": smtp.addr.port(), "tls": "none", "from": "kewhats@toko.id", "to": ["pemilik@toko.id"]}})).await;

        // A photo with a caption: a photo on Telegram, an attachment by e-mail. Telegram asks
        // to wait first: the file is kept for it after the e-mail has gone.
        tg.then(Answer::telegram_flood(30));
        let photo = json!({"from": "081311110001", "text": "Bukti transfer",
            "media": {"kind": "image", "data": b64(PNG)}});
        expect_json(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), photo).await, StatusCode::ACCEPTED).await;
        let mail = &smtp.wait_for(1).await[0];
        let mailed = delivered(&s, e, 1).await;
        let event_id = mailed["event_id"].as_str().unwrap().to_string();
        tg.wait_until("the refused photo", |c| c.len() == 1).await;
        assert!(app.store.forward_media(&event_id).await.unwrap().is_some(), "kept while Telegram's forward waits");
        app.clock.advance_secs(30);
        app.store.forwards_waiting().notify_one();
        let calls = tg.wait_until("the photo", |c| c.len() == 2).await;
        assert_eq!(calls[0].uri, format!("/bot{TOKEN}/sendPhoto"));
        let calls = &calls[1..];
        assert_eq!(calls[0].uri, format!("/bot{TOKEN}/sendPhoto"));
        let sent = &calls[0].body;
        assert_eq!((sent["chat_id"].as_str(), sent["caption"].as_str()),
            (Some(CHAT), Some("New message · Kopi Jakarta\n+6281311110001: Bukti transfer")));
        assert_eq!((sent["photo"]["file_name"].as_str(), sent["photo"]["content_type"].as_str()), (Some("image.png"), Some("image/png")));
        assert_eq!(sent["photo"]["data"].as_str(), Some(b64(PNG).as_str()), "the customer's bytes, unchanged");
        assert!(mail.data.contains("Content-Disposition: attachment; filename=\"image.png\""), "{}", mail.data);
        assert!(mail.data.contains(&b64(PNG)), "the photo is attached: {}", mail.data);
        assert!(mail.data.contains("+6281311110001: Bukti transfer"), "{}", mail.data);
        let stored = &messages_with(&s, "+6281311110001").await[0];
        assert_eq!((stored["kind"].as_str(), stored["media_mime"].as_str(), stored["media_size"].as_u64()),
            (Some("image"), Some("image/png"), Some(PNG.len() as u64)));
        // Both delivered: the kept copy is gone with the last forward that needed it.
        let forward = delivered(&s, t, 1).await;
        assert_eq!(forward["event_id"], event_id.as_str(), "one event, one copy");
        assert_eq!(app.store.forward_media(&event_id).await.unwrap(), None);

        // A document that could not be sent: a document on Telegram, with the error.
        expect_json(s.post(&format!("/api/sandbox/outlets/{jkt}/fault"), json!({"kind": "fail_sends", "count": 1})).await, StatusCode::ACCEPTED).await;
        let form = Form::new().text("outlet_id", jkt.to_string()).text("to", "081311110002").text("type", "document")
            .text("caption", "Invoice").part("file", Part::bytes(PDF.to_vec()).file_name("Invoice 42.pdf").mime_str("application/pdf").unwrap());
        let res = s.client.post(format!("{}/api/messages", s.base)).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap();
        let id = expect_json(res, StatusCode::ACCEPTED).await["id"].as_i64().unwrap();
        wait_message(&s, id, "failed").await;
        let calls = tg.wait_until("the document", |c| c.len() == 3).await;
        assert_eq!(calls[2].uri, format!("/bot{TOKEN}/sendDocument"));
        let sent = &calls[2].body;
        assert!(sent["caption"].as_str().unwrap().starts_with("Message not sent · Kopi Jakarta\nTo +6281311110002: "), "{sent}");
        assert_eq!((sent["document"]["file_name"].as_str(), sent["document"]["content_type"].as_str()),
            (Some("Invoice 42.pdf"), Some("application/pdf")));
        assert_eq!(sent["document"]["data"].as_str(), Some(b64(PDF).as_str()));
        let mail = &smtp.wait_for(2).await[1];
        assert!(mail.data.contains("filename=\"Invoice 42.pdf\""), "{}", mail.data);
        let forward = delivered(&s, t, 2).await;
        delivered(&s, e, 2).await;
        assert_eq!(app.store.forward_media(forward["event_id"].as_str().unwrap()).await.unwrap(), None);
        assert_eq!(app.store.message_media(id).await.unwrap(), None, "the message's own copy went when it failed");

        // Not base64, or not an image: refused before anything is written.
        let bad = json!({"from": "081311110001", "text": "", "media": {"kind": "image", "data": "%%%"}});
        let err = expect_error(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(err["message"].as_str().unwrap().contains("base64"), "{err}");
        let fake = json!({"from": "081311110001", "text": "", "media": {"kind": "image", "data": b64(b"<svg/>")}});
        expect_error(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), fake).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(messages_with(&s, "+6281311110001").await.len(), 1);
        assert_eq!(tg.calls().len(), 3);

        // A photo Telegram will not take as one (its sides, say) goes as a document.
        let dims = json!({"ok": false, "error_code": 400, "description": "Bad Request: PHOTO_INVALID_DIMENSIONS"});
        tg.then(Answer { status: 400, body: dims.to_string(), headers: vec![] });
        let long = json!({"from": "081311110003", "text": "Struk panjang", "media": {"kind": "image", "data": b64(PNG)}});
        expect_json(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), long).await, StatusCode::ACCEPTED).await;
        let calls = tg.wait_until("the document instead", |c| c.len() == 5).await;
        assert_eq!((calls[3].uri.as_str(), calls[4].uri.as_str()),
            (format!("/bot{TOKEN}/sendPhoto").as_str(), format!("/bot{TOKEN}/sendDocument").as_str()));
        assert_eq!(calls[4].body["document"]["data"].as_str(), Some(b64(PNG).as_str()));
        assert_eq!(delivered(&s, t, 3).await["status"], "delivered");

        // Replies need the server's public address, and Telegram.
        let err = expect_error(s.put(&format!("/api/integrations/{t}/replies"), json!({})).await, StatusCode::CONFLICT).await;
        assert!(err["message"].as_str().unwrap().contains("public_url"), "{err}");
        let err = expect_error(s.put(&format!("/api/integrations/{e}/replies"), json!({})).await, StatusCode::CONFLICT).await;
        assert!(err["message"].as_str().unwrap().contains("Telegram"), "{err}");
        app.stop().await;
    }

    async fn a_reply_in_the_telegram_chat_reaches_the_customer_once_and_only_with_the_secret(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let base = tg.base();
        let app = TestApp::start_with(db, move |c| {
            c.webhooks_allow_private = true;
            c.telegram_api_url = base;
            c.public_url = Some("https://wa.toko.id".into());
        })
        .await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let jkt = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, jkt).await;
        let t = integration(&s, json!({"name": "Grup admin", "channel": {"type": "telegram", "bot_token": TOKEN, "chat_id": CHAT}})).await;

        // Replies on: Telegram is told where to post, with a secret token of its own.
        let on = expect_json(s.put(&format!("/api/integrations/{t}/replies"), json!({})).await, StatusCode::OK).await;
        assert_eq!(on["replies"], true);
        let calls = tg.wait_until("setWebhook", |c| !c.is_empty()).await;
        assert_eq!(calls[0].uri, format!("/bot{TOKEN}/setWebhook"));
        assert_eq!(calls[0].body["url"], format!("https://wa.toko.id/api/integrations/{t}/telegram"));
        assert_eq!(calls[0].body["allowed_updates"], json!(["message"]));
        let secret = calls[0].body["secret_token"].as_str().unwrap().to_string();
        assert!(secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_alphanumeric()), "{secret}");
        assert!(!on.to_string().contains(&secret), "the token is not shown");

        // A customer writes; the forward is Telegram's message number 2.
        let inbound = json!({"from": "081311110001", "text": "Kak, ongkir ke Bekasi berapa"});
        expect_json(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), inbound).await, StatusCode::ACCEPTED).await;
        let calls = tg.wait_until("the forward", |c| c.len() == 2).await;
        assert_eq!(calls[1].uri, format!("/bot{TOKEN}/sendMessage"));
        delivered(&s, t, 1).await;

        let hook = format!("{}/api/integrations/{t}/telegram", app.base);
        let update = |update_id: i64, chat: &str, reply_to: i64, text: &str| json!({"update_id": update_id, "message": {
            "message_id": 900 + update_id, "date": 1764480000, "text": text,
            "chat": {"id": chat.parse::<i64>().unwrap(), "type": "supergroup", "title": "Admin Kopi"},
            "from": {"id": 5550001, "is_bot": false, "first_name": "Sari"},
            "reply_to_message": {"message_id": reply_to, "date": 1764479990, "chat": {"id": chat.parse::<i64>().unwrap(), "type": "supergroup"},
                "from": {"id": 123456789, "is_bot": true, "first_name": "kewhats"}, "text": "New message · Kopi Jakarta"}}});
        let post = |token: Option<String>, body: Value| {
            let mut request = app.client().post(&hook).json(&body);
            if let Some(token) = token {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", token);
            }
            request.send()
        };
        let reply = update(1, CHAT, 2, "Ongkir 15 ribu, kak");
        // Without the token, or with another, nothing is sent (and the owner's cookie is no key).
        expect_error(post(None, reply.clone()).await.unwrap(), StatusCode::UNAUTHORIZED).await;
        expect_error(post(Some("x".repeat(64)), reply.clone()).await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let cookie = s.client.post(&hook).header("x-csrf-token", &s.csrf).json(&reply).send().await.unwrap();
        assert_eq!(cookie.status(), StatusCode::UNAUTHORIZED);
        assert!(messages_with(&s, "+6281311110001").await.iter().all(|m| m["direction"] == "in"));

        // With it: sent to the customer through the outlet, once however often Telegram posts it.
        let first = expect_json(post(Some(secret.clone()), reply.clone()).await.unwrap(), StatusCode::OK).await;
        assert_eq!(first["result"], "sent", "{first}");
        let again = expect_json(post(Some(secret.clone()), reply.clone()).await.unwrap(), StatusCode::OK).await;
        assert_eq!(again["message_id"], first["message_id"], "a repeated update is the same message");
        let id = first["message_id"].as_i64().unwrap();
        let sent = wait_message(&s, id, "read").await;
        assert_eq!((sent["peer"].as_str(), sent["body"].as_str(), sent["outlet_id"].as_i64()),
            (Some("+6281311110001"), Some("Ongkir 15 ribu, kak"), Some(jkt)));
        let out: Vec<Value> = messages_with(&s, "+6281311110001").await.into_iter().filter(|m| m["direction"] == "out").collect();
        assert_eq!(out.len(), 1);

        // A bot's message (another bot in the group) is no staff reply.
        let mut by_bot = update(7, CHAT, 2, "Saya bot");
        by_bot["message"]["from"]["is_bot"] = json!(true);
        assert_eq!(expect_json(post(Some(secret.clone()), by_bot).await.unwrap(), StatusCode::OK).await["result"], "ignored");
        // Another chat, a message that is no reply, a reply to something never forwarded: ignored.
        let elsewhere = update(2, "-1009999999999", 2, "Halo");
        assert_eq!(expect_json(post(Some(secret.clone()), elsewhere).await.unwrap(), StatusCode::OK).await["result"], "ignored");
        let mut plain = update(3, CHAT, 2, "Rapat jam 3");
        plain["message"].as_object_mut().unwrap().remove("reply_to_message");
        assert_eq!(expect_json(post(Some(secret.clone()), plain).await.unwrap(), StatusCode::OK).await["result"], "ignored");
        let unknown = update(4, CHAT, 4242, "Siap");
        assert_eq!(expect_json(post(Some(secret.clone()), unknown).await.unwrap(), StatusCode::OK).await["result"], "ignored");
        assert_eq!(expect_json(post(Some(secret.clone()), json!({"not": "an update"})).await.unwrap(), StatusCode::OK).await["result"], "ignored");

        // The outlet is gone: not sent, and the chat is told why, as a reply to the staff's message.
        expect_json(s.delete(&format!("/api/outlets/{jkt}")).await, StatusCode::NO_CONTENT).await;
        let late = expect_json(post(Some(secret.clone()), update(5, CHAT, 2, "Masih ada, kak")).await.unwrap(), StatusCode::OK).await;
        assert_eq!(late["result"], "refused", "{late}");
        let calls = tg.wait_until("the notice", |c| c.len() == 3).await;
        assert_eq!(calls[2].uri, format!("/bot{TOKEN}/sendMessage"));
        assert_eq!(calls[2].body["reply_parameters"]["message_id"], 905);
        assert!(calls[2].body["text"].as_str().unwrap().starts_with("Not sent to the customer: "), "{}", calls[2].body);

        // The same bot cannot take replies for a second integration (a bot has one webhook);
        // saving the same token again keeps replies on.
        let second = integration(&s, json!({"name": "Grup gudang", "channel": {"type": "telegram", "bot_token": TOKEN, "chat_id": "-1005550000000"}})).await;
        let err = expect_error(s.put(&format!("/api/integrations/{second}/replies"), json!({})).await, StatusCode::CONFLICT).await;
        assert!(err["message"].as_str().unwrap().contains("Grup admin"), "{err}");
        let same = json!({"channel": {"type": "telegram", "bot_token": TOKEN, "chat_id": CHAT}});
        assert_eq!(expect_json(s.patch(&format!("/api/integrations/{t}"), same).await, StatusCode::OK).await["replies"], true);
        assert_eq!(tg.calls().len(), 3, "Telegram was not asked anything");

        // Replies off: Telegram is told, and the old token no longer gets in.
        let off = expect_json(s.delete(&format!("/api/integrations/{t}/replies")).await, StatusCode::OK).await;
        assert_eq!(off["replies"], false);
        let calls = tg.wait_until("deleteWebhook", |c| c.len() == 4).await;
        assert_eq!(calls[3].uri, format!("/bot{TOKEN}/deleteWebhook"));
        expect_error(post(Some(secret), update(6, CHAT, 2, "Halo")).await.unwrap(), StatusCode::UNAUTHORIZED).await;

        // On again, then another chat: replies go off by themselves and the bot is released.
        expect_json(s.put(&format!("/api/integrations/{t}/replies"), json!({})).await, StatusCode::OK).await;
        tg.wait_until("setWebhook again", |c| c.len() == 5).await;
        let moved = json!({"channel": {"type": "telegram", "chat_id": "-1007770000000"}});
        assert_eq!(expect_json(s.patch(&format!("/api/integrations/{t}"), moved).await, StatusCode::OK).await["replies"], false);
        let calls = tg.wait_until("deleteWebhook again", |c| c.len() == 6).await;
        assert_eq!(calls[5].uri, format!("/bot{TOKEN}/deleteWebhook"));
        app.stop().await;
    }
}
