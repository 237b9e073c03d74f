//! Message templates: checked when saved (an unknown variable is refused with its line and
//! column), kept per owner, previewed against a contact, and rendered server side when a
//! message is sent from one.

use crate::helpers::*;
use domain::policy::system_scope;
use domain::{long_date, Clock, Language, Role};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::json;
use store::both_backends;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny picture";
const PDF: &[u8] = b"%PDF-1.7 menu";

fn file(bytes: &[u8], name: &str, mime: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_string()).mime_str(mime).unwrap()
}

/// `PUT /api/templates/{id}/media` with `form`.
async fn put_media(s: &Session, id: i64, form: Form) -> reqwest::Response {
    let url = format!("{}/api/templates/{id}/media", s.base);
    s.client.put(url).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap()
}

both_backends! {
    async fn templates_are_checked_kept_per_owner_and_previewed_for_a_contact(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let jkt = create_outlet(&ana, "Toko Jakarta", "Jakarta", "081200000001").await;
        let sari = json!({"name": "Bu Sari", "wa_number": "0813-1111-2222", "home_outlet_id": jkt, "fields": {"kota": "Bandung"}});
        let sari = expect_json(ana.post("/api/contacts", sari).await, StatusCode::CREATED).await["id"].as_i64().unwrap();

        // Saved with a custom field the owner's contacts have; one name per owner.
        let new = json!({"name": "Sapa", "category": "greeting", "body": "{Halo|Hai} {{name}} dari {{kota}}"});
        let created = expect_json(ana.post("/api/templates", new.clone()).await, StatusCode::CREATED).await;
        let id = created["id"].as_i64().unwrap();
        assert_eq!((created["category"].as_str(), created["caption_mode"].as_str()), (Some("greeting"), Some("caption")));
        assert_eq!(created["usage_count"], 0);
        let again = expect_error(ana.post("/api/templates", new).await, StatusCode::CONFLICT).await;
        assert!(again["message"].as_str().unwrap().contains("already have a template"), "{again}");

        // An unknown variable is refused at the body, with where it is.
        let bad = json!({"name": "Promo", "body": "Promo hari ini\nHalo {{nama}}!"});
        let err = expect_error(ana.post("/api/templates", bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "body", "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains("line 2, column 6") && message.contains("'nama'"), "{message}");
        // … in the reader's language too.
        let res = ana.client.post(app.url("/api/templates")).header("x-csrf-token", &ana.csrf)
            .header("accept-language", "id").json(&json!({"name": "P", "body": "Halo {{nama"})).send().await.unwrap();
        let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(err["message"].as_str().unwrap().contains("baris 1, kolom 6: { ini belum ditutup"), "{err}");
        for (bad, field) in [
            (json!({"name": " ", "body": "Halo"}), "name"),
            (json!({"name": "X", "body": "{Halo||Hai}"}), "body"),
            (json!({"name": "X", "body": "{{first name}}"}), "body"),
            (json!({"name": "X", "body": "   "}), "body"),
        ] {
            let err = expect_error(ana.post("/api/templates", bad.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], field, "{bad}: {err}");
        }

        // Listed, searched and filtered; changed; a bad change is refused the same way.
        assert_eq!(expect_json(ana.get("/api/templates?q=KOTA").await, StatusCode::OK).await["total"], 1);
        assert_eq!(expect_json(ana.get("/api/templates?category=marketing").await, StatusCode::OK).await["total"], 0);
        let changed = json!({"category": "marketing", "body": "{Halo|Hai} {{name}}"});
        let changed = expect_json(ana.patch(&format!("/api/templates/{id}"), changed).await, StatusCode::OK).await;
        assert_eq!((changed["category"].as_str(), changed["name"].as_str()), (Some("marketing"), Some("Sapa")));
        let err = expect_error(ana.patch(&format!("/api/templates/{id}"), json!({"body": "{{poin}}"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "body");
        assert_eq!(expect_json(ana.get("/api/templates?category=marketing").await, StatusCode::OK).await["total"], 1);

        // Another owner sees, changes, deletes and previews nothing of Ana's.
        expect_error(bob.get(&format!("/api/templates/{id}")).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.patch(&format!("/api/templates/{id}"), json!({"name": "Mine"})).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.delete(&format!("/api/templates/{id}")).await, StatusCode::NOT_FOUND).await;
        let peek = json!({"body": "Halo {{name}}", "contact_id": sari});
        expect_error(bob.post("/api/templates/preview", peek).await, StatusCode::NOT_FOUND).await;
        assert_eq!(expect_json(bob.get("/api/templates").await, StatusCode::OK).await["total"], 0);
        // Bob's contacts have no `kota`: his templates may not use it.
        let err = expect_error(bob.post("/api/templates", json!({"name": "B", "body": "{{kota}}"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "body");

        // The preview fills every variable for the chosen contact.
        let today = long_date(app.clock.now(), "Asia/Jakarta", Language::En);
        let draft = json!({"body": "{Halo|Hai} {{name}} ({{phone}}) di {{outlet}}, kota {{ kota }}, {{date}}", "contact_id": sari});
        let shown = expect_json(ana.post("/api/templates/preview", draft.clone()).await, StatusCode::OK).await;
        let text = shown["text"].as_str().unwrap();
        let rest = format!("Bu Sari (+6281311112222) di Toko Jakarta, kota Bandung, {today}");
        assert!(text == format!("Halo {rest}") || text == format!("Hai {rest}"), "{text}");
        assert_eq!(shown["variables"], json!(["name", "phone", "outlet", "kota", "date"]));
        assert_eq!(shown["values"]["kota"], "Bandung");
        let twice = expect_json(ana.post("/api/templates/preview", draft).await, StatusCode::OK).await;
        assert_eq!(twice["text"], shown["text"], "a preview does not jump while the body is edited");
        // Without a contact: sample values, a custom field shown as its name.
        let sample = expect_json(ana.post("/api/templates/preview", json!({"body": "{{name}} / {{kota}}"})).await, StatusCode::OK).await;
        assert_eq!(sample["text"], "Sari / [kota]");
        let err = expect_error(ana.post("/api/templates/preview", json!({"body": "Halo {{nama}}"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(err["message"].as_str().unwrap().contains("line 1, column 6"), "{err}");
        assert_eq!(err["field"], "body");

        expect_json(ana.delete(&format!("/api/templates/{id}")).await, StatusCode::NO_CONTENT).await;
        expect_error(ana.get(&format!("/api/templates/{id}")).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }
}

both_backends! {
    async fn a_message_sent_from_a_template_is_rendered_for_its_contact_and_counted(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let jkt = create_outlet(&ana, "Toko Jakarta", "Jakarta", "081200000001").await;
        let bgr = create_outlet(&ana, "Toko Bogor", "Bogor", "081200000002").await;
        pair_sim(&app, &ana, jkt).await;
        let sari = json!({"name": "Bu Sari", "wa_number": "081311112222", "home_outlet_id": bgr, "fields": {"poin": "120"}});
        let sari = expect_json(ana.post("/api/contacts", sari).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let body = "{{name}}, poin Anda {{poin}} di {{outlet}}. {Terima kasih|Makasih}!";
        let tpl = expect_json(ana.post("/api/templates", json!({"name": "Poin", "body": body})).await, StatusCode::CREATED).await;
        let tpl = tpl["id"].as_i64().unwrap();

        // The recipient's own contact fills the variables.
        let send = json!({"outlet_id": jkt, "to": "0813 1111 2222", "template_id": tpl});
        let sent = expect_json(ana.post("/api/messages", send.clone()).await, StatusCode::ACCEPTED).await;
        let text = sent["body"].as_str().unwrap().to_string();
        assert!(text == "Bu Sari, poin Anda 120 di Toko Bogor. Terima kasih!" || text == "Bu Sari, poin Anda 120 di Toko Bogor. Makasih!", "{text}");
        wait_message(&ana, sent["id"].as_i64().unwrap(), "read").await;
        let again = expect_json(ana.post("/api/messages", send.clone()).await, StatusCode::ACCEPTED).await;
        assert_eq!(again["body"].as_str(), Some(text.as_str()), "the same recipient gets the same words");

        // A retry under the same Idempotency-Key writes, renders and counts nothing more.
        let keyed = |body: serde_json::Value| {
            ana.client.post(app.url("/api/messages")).header("x-csrf-token", &ana.csrf)
                .header("idempotency-key", "order-77").json(&body).send()
        };
        let first = expect_json(keyed(send.clone()).await.unwrap(), StatusCode::ACCEPTED).await;
        let retry = expect_json(keyed(send.clone()).await.unwrap(), StatusCode::OK).await;
        assert_eq!(first["id"], retry["id"]);

        // A chosen contact fills them for another number; someone unknown gets no name.
        let other = json!({"outlet_id": jkt, "to": "081399990000", "template_id": tpl, "contact_id": sari});
        let other = expect_json(ana.post("/api/messages", other).await, StatusCode::ACCEPTED).await;
        assert!(other["body"].as_str().unwrap().starts_with("Bu Sari, poin Anda 120 di Toko Bogor. "), "{other}");
        let stranger = json!({"outlet_id": jkt, "to": "081377770000", "template_id": tpl});
        let stranger = expect_json(ana.post("/api/messages", stranger).await, StatusCode::ACCEPTED).await;
        assert!(stranger["body"].as_str().unwrap().starts_with(", poin Anda  di Toko Jakarta. "), "{stranger}");

        // Text and template together, neither, media, or a contact without a template: refused.
        for (bad, field) in [
            (json!({"outlet_id": jkt, "to": "081311112222", "template_id": tpl, "text": "Halo"}), "text"),
            (json!({"outlet_id": jkt, "to": "081311112222"}), "text"),
            (json!({"outlet_id": jkt, "to": "081311112222", "type": "image", "template_id": tpl, "media_url": "https://example.com/a.png"}), "template_id"),
            (json!({"outlet_id": jkt, "to": "081311112222", "text": "Halo", "contact_id": sari}), "contact_id"),
        ] {
            let err = expect_error(ana.post("/api/messages", bad.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], field, "{bad}: {err}");
        }
        // Another owner's template or contact is not there.
        let bobs = expect_json(bob.post("/api/templates", json!({"name": "B", "body": "Halo"})).await, StatusCode::CREATED).await;
        let foreign = json!({"outlet_id": jkt, "to": "081311112222", "template_id": bobs["id"]});
        expect_error(ana.post("/api/messages", foreign).await, StatusCode::NOT_FOUND).await;
        let bobs_contact = json!({"wa_number": "081355556666"});
        let bobs_contact = expect_json(bob.post("/api/contacts", bobs_contact).await, StatusCode::CREATED).await;
        let foreign = json!({"outlet_id": jkt, "to": "081311112222", "template_id": tpl, "contact_id": bobs_contact["id"]});
        expect_error(ana.post("/api/messages", foreign).await, StatusCode::NOT_FOUND).await;

        // One use per accepted message: two plain, one keyed (its retry not counted), two more.
        let used = expect_json(ana.get(&format!("/api/templates/{tpl}")).await, StatusCode::OK).await;
        assert_eq!(used["usage_count"], 5);
        assert_eq!(expect_json(bob.get(&format!("/api/templates/{}", bobs["id"])).await, StatusCode::OK).await["usage_count"], 0);
        app.stop().await;
    }
}

both_backends! {
    async fn a_template_carries_an_image_or_document_sent_as_its_caption_says(db) {
        let app = TestApp::start_with(db, |c| c.media_max_kib = 1).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let jkt = create_outlet(&ana, "Toko Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &ana, jkt).await;
        let sari = json!({"name": "Bu Sari", "wa_number": "081311112222"});
        expect_json(ana.post("/api/contacts", sari).await, StatusCode::CREATED).await;
        let new = json!({"name": "Promo", "body": "Halo {{name}}, promo minggu ini!"});
        let tpl = expect_json(ana.post("/api/templates", new).await, StatusCode::CREATED).await;
        assert_eq!(tpl["media"], json!(null));
        let tpl = tpl["id"].as_i64().unwrap();
        let media_path = format!("/api/templates/{tpl}/media");

        // An image, shown on the template (never its bytes) and served to its owner alone.
        let with = put_media(&ana, tpl, Form::new().part("file", file(PNG, "promo.png", "image/png"))).await;
        let with = expect_json(with, StatusCode::OK).await;
        let shown = json!({"kind": "image", "mime": "image/png", "file_name": "promo.png", "size": PNG.len()});
        assert_eq!(with["media"], shown);
        assert_eq!(expect_json(ana.get(&format!("/api/templates/{tpl}")).await, StatusCode::OK).await["media"], shown);
        assert_eq!(expect_json(ana.get("/api/templates").await, StatusCode::OK).await["items"][0]["media"], shown);
        let got = ana.get(&media_path).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.headers()["content-type"], "image/png");
        assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
        expect_error(bob.get(&media_path).await, StatusCode::NOT_FOUND).await;
        let theirs = put_media(&bob, tpl, Form::new().part("file", file(PDF, "x.pdf", "application/pdf"))).await;
        expect_error(theirs, StatusCode::NOT_FOUND).await;
        expect_error(bob.delete(&media_path).await, StatusCode::NOT_FOUND).await;

        // Refused with the reason, as a single send's media is; the image stays.
        let big = Form::new().part("file", file(&[7u8; 1025], "list.pdf", "application/pdf"));
        let big = expect_error(put_media(&ana, tpl, big).await, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert!(big["message"].as_str().unwrap().contains("1 KiB"), "{big}");
        let huge = Form::new().part("file", file(&vec![7u8; 200 * 1024], "list.pdf", "application/pdf"));
        let huge = expect_error(put_media(&ana, tpl, huge).await, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert_eq!(huge["code"], "media_too_large");
        let svg = Form::new().part("file", file(b"<svg onload=alert(1)>", "x.svg", "image/svg+xml"));
        let svg = expect_error(put_media(&ana, tpl, svg).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(svg["field"], "type", "{svg}");
        assert!(svg["message"].as_str().unwrap().contains("JPEG, PNG or WebP"), "{svg}");
        let video = Form::new().part("file", file(PDF, "a.mp4", "video/mp4")).text("kind", "video");
        assert_eq!(expect_error(put_media(&ana, tpl, video).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "kind");
        let empty = Form::new().part("file", file(b"", "a.pdf", "application/pdf"));
        assert_eq!(expect_error(put_media(&ana, tpl, empty).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "file");
        let none = Form::new().text("kind", "image");
        assert_eq!(expect_error(put_media(&ana, tpl, none).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "file");
        assert_eq!(expect_json(ana.get(&format!("/api/templates/{tpl}")).await, StatusCode::OK).await["media"], shown);

        // Caption mode: one image message, its caption the rendered text, sent by the device.
        let send = json!({"outlet_id": jkt, "to": "081311112222", "template_id": tpl});
        let sent = expect_json(ana.post("/api/messages", send.clone()).await, StatusCode::ACCEPTED).await;
        assert_eq!((sent["kind"].as_str(), sent["body"].as_str()), (Some("image"), Some("Halo Bu Sari, promo minggu ini!")));
        assert_eq!((sent["media_mime"].as_str(), sent["media_name"].as_str()), (Some("image/png"), Some("promo.png")));
        assert!(sent.get("media_message_id").is_none(), "{sent}");
        let id = sent["id"].as_i64().unwrap();
        assert_eq!(app.store.message_media(id).await.unwrap().as_deref(), Some(PNG), "the message has its own copy");
        wait_message(&ana, id, "read").await;
        assert_eq!(app.store.message_media(id).await.unwrap(), None, "the copy is dropped once sent");
        assert!(app.store.template_media(system_scope(), tpl).await.unwrap().is_some(), "the template keeps its file");

        // Separate mode, with a document: the document without caption, then the text.
        let separate = json!({"caption_mode": "separate"});
        expect_json(ana.patch(&format!("/api/templates/{tpl}"), separate).await, StatusCode::OK).await;
        let doc = put_media(&ana, tpl, Form::new().part("file", file(PDF, "Menu Juli.pdf", "application/pdf"))).await;
        assert_eq!(expect_json(doc, StatusCode::OK).await["media"]["kind"], "document");
        let keyed = || {
            ana.client.post(app.url("/api/messages")).header("x-csrf-token", &ana.csrf)
                .header("idempotency-key", "promo-1").json(&send).send()
        };
        let text = expect_json(keyed().await.unwrap(), StatusCode::ACCEPTED).await;
        assert_eq!((text["kind"].as_str(), text["body"].as_str()), (Some("text"), Some("Halo Bu Sari, promo minggu ini!")));
        let lead = text["media_message_id"].as_i64().expect("the media message's id");
        let text_id = text["id"].as_i64().unwrap();
        assert!(lead < text_id, "the media is written first");
        let doc = expect_json(ana.get(&format!("/api/messages/{lead}")).await, StatusCode::OK).await;
        assert_eq!((doc["kind"].as_str(), doc["body"].as_str(), doc["media_name"].as_str()), (Some("document"), Some(""), Some("Menu Juli.pdf")));
        wait_message(&ana, lead, "read").await;
        wait_message(&ana, text_id, "read").await;
        let (first, then) = (app.store.message(system_scope(), lead).await.unwrap(), app.store.message(system_scope(), text_id).await.unwrap());
        assert!(first.and_then(|m| m.sent_at) <= then.and_then(|m| m.sent_at), "the media is sent first");
        // A retry under the same key writes neither message again.
        let before = expect_json(ana.get("/api/messages?direction=out").await, StatusCode::OK).await["total"].clone();
        let retry = expect_json(keyed().await.unwrap(), StatusCode::OK).await;
        assert_eq!(retry["id"], text_id);
        assert_eq!(expect_json(ana.get("/api/messages?direction=out").await, StatusCode::OK).await["total"], before);
        // One use per request: the caption send and the separate one.
        assert_eq!(expect_json(ana.get(&format!("/api/templates/{tpl}")).await, StatusCode::OK).await["usage_count"], 2);

        // Removed: the template sends its text alone again; removing twice is fine.
        let removed = expect_json(ana.delete(&media_path).await, StatusCode::OK).await;
        assert_eq!(removed["media"], json!(null));
        expect_json(ana.delete(&media_path).await, StatusCode::OK).await;
        expect_error(ana.get(&media_path).await, StatusCode::NOT_FOUND).await;
        let plain = expect_json(ana.post("/api/messages", send.clone()).await, StatusCode::ACCEPTED).await;
        assert_eq!(plain["kind"], "text");
        assert!(plain.get("media_message_id").is_none());

        // Deleting the template deletes its media.
        expect_json(put_media(&ana, tpl, Form::new().part("file", file(PNG, "promo.png", "image/png"))).await, StatusCode::OK).await;
        expect_json(ana.delete(&format!("/api/templates/{tpl}")).await, StatusCode::NO_CONTENT).await;
        assert!(app.store.template_media(system_scope(), tpl).await.unwrap().is_none());
        expect_error(ana.get(&media_path).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }
}
