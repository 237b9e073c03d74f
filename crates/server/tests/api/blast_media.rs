//! Blasts with media (an image as each recipient's caption; a document sent just before the
//! text) and blasts whose recipients come from an uploaded CSV or `.xlsx` file, on the sim
//! engine with the manual clock. The recipients are other sim outlets' numbers, so what the
//! network delivered is seen as their inbound messages.

use crate::helpers::*;
use domain::Role;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::both_backends;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny picture";
const PDF: &[u8] = b"%PDF-1.7 menu";
/// Numbers of the receiving sim outlets (Bob's).
const B1: &str = "081300000001";
const B2: &str = "081300000002";

fn file(bytes: &[u8], name: &str, mime: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_string()).mime_str(mime).unwrap()
}

async fn put_media(s: &Session, id: i64, form: Form) -> reqwest::Response {
    let url = format!("{}/api/blasts/{id}/media", s.base);
    s.client.put(url).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap()
}

/// `POST path` as a multipart form: the request as JSON and the recipients file.
async fn post_form(s: &Session, path: &str, request: &Value, name: &str, data: Vec<u8>) -> reqwest::Response {
    let form = Form::new()
        .text("request", request.to_string())
        .part("recipients_file", Part::bytes(data).file_name(name.to_string()));
    s.client.post(format!("{}{path}", s.base)).header("x-csrf-token", &s.csrf).multipart(form).send().await.unwrap()
}

async fn wait_blast(s: &Session, id: i64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let b = expect_json(s.get(&format!("/api/blasts/{id}")).await, StatusCode::OK).await;
        if check(&b) {
            return b;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {b:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn handed(b: &Value) -> i64 {
    let c = &b["counters"];
    c["total"].as_i64().unwrap() - c["skipped"].as_i64().unwrap() - c["pending"].as_i64().unwrap()
}

/// The blast completed with every message read (so the media copies are gone).
async fn wait_done(app: &TestApp, s: &Session, id: i64) -> Value {
    // The clock moves a second at a time: one device's gap holds across blasts, so a blast may
    // wait for the last one's gap to pass.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let b = expect_json(s.get(&format!("/api/blasts/{id}")).await, StatusCode::OK).await;
        let c = &b["counters"];
        if b["status"] == "completed" && c["read"] == c["total"].as_i64().unwrap() - c["skipped"].as_i64().unwrap() {
            return b;
        }
        assert!(Instant::now() < deadline, "timed out waiting for every recipient read: {b:#}");
        app.clock.advance_secs(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a receiving outlet got, oldest first, once it has `n` messages.
async fn inbox(s: &Session, outlet: i64, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let l =
            expect_json(s.get(&format!("/api/messages?direction=in&outlet_id={outlet}")).await, StatusCode::OK).await;
        let items = l["items"].as_array().unwrap();
        if items.len() >= n {
            let mut got: Vec<(i64, String)> =
                items.iter().map(|m| (m["id"].as_i64().unwrap(), m["body"].as_str().unwrap().to_string())).collect();
            got.sort();
            return got.into_iter().map(|(_, b)| b).collect();
        }
        assert!(Instant::now() < deadline, "outlet {outlet} got {l:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ana sends from one sim outlet; Bob's two sim outlets receive.
async fn world(app: &TestApp) -> (Session, i64, Session, i64, i64) {
    let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
    let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
    let o = create_outlet(&ana, "Toko", "", "081200000001").await;
    pair_sim(app, &ana, o).await;
    let b1 = create_outlet(&bob, "B1", "", B1).await;
    pair_sim(app, &bob, b1).await;
    let b2 = create_outlet(&bob, "B2", "", B2).await;
    pair_sim(app, &bob, b2).await;
    // Sari (B1's number) is Ana's contact; B2's number is not.
    let sari = json!({"name": "Bu Sari", "wa_number": B1, "fields": {"kota": "Jakarta"}});
    expect_json(ana.post("/api/contacts", sari).await, StatusCode::CREATED).await;
    (ana, o, bob, b1, b2)
}

fn pacing(gap: i64) -> Value {
    json!({"gap_min_secs": gap, "gap_max_secs": gap, "window_start": "00:00", "window_end": "00:00"})
}

both_backends! {
    async fn a_caption_blast_sends_each_recipient_the_image_with_their_text(db) {
        let app = TestApp::start_with(db, |c| c.media_max_kib = 1).await;
        let (ana, o, bob, b1, b2) = world(&app).await;
        let draft = json!({"name": "Foto", "body": "Halo {{name}}!", "outlet_ids": [o], "recipients": {"numbers": [B1, B2]}, "pacing": pacing(1)});
        let created = expect_json(ana.post("/api/blasts", draft).await, StatusCode::CREATED).await;
        let id = created["blast"]["id"].as_i64().unwrap();
        assert_eq!(created["blast"]["media"], json!(null));

        // Refused with the reason, as a template's media is; the draft stays without media.
        let svg = Form::new().part("file", file(b"<svg onload=alert(1)>", "x.svg", "image/svg+xml"));
        let svg = expect_error(put_media(&ana, id, svg).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(svg["message"].as_str().unwrap().contains("JPEG, PNG or WebP"), "{svg}");
        let big = Form::new().part("file", file(&[7u8; 2048], "list.pdf", "application/pdf"));
        assert_eq!(expect_error(put_media(&ana, id, big).await, StatusCode::PAYLOAD_TOO_LARGE).await["code"], "media_too_large");
        let odd = Form::new().part("file", file(PNG, "a.png", "image/png")).text("caption_mode", "beside");
        assert_eq!(expect_error(put_media(&ana, id, odd).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "caption_mode");
        let theirs = Form::new().part("file", file(PNG, "a.png", "image/png"));
        expect_error(put_media(&bob, id, theirs).await, StatusCode::NOT_FOUND).await;

        let png = Form::new().part("file", file(PNG, "promo.png", "image/png")).text("caption_mode", "caption");
        let with = expect_json(put_media(&ana, id, png).await, StatusCode::OK).await;
        let shown = json!({"kind": "image", "mime": "image/png", "file_name": "promo.png", "size": PNG.len(), "caption_mode": "caption"});
        assert_eq!(with["media"], shown);
        let got = ana.get(&format!("/api/blasts/{id}/media")).await;
        assert_eq!((got.status(), got.headers()["content-type"].to_str().unwrap().to_string()), (StatusCode::OK, "image/png".to_string()));
        assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);

        // Started: each recipient gets one image whose caption is their text.
        expect_json(ana.post(&format!("/api/blasts/{id}/start"), json!({})).await, StatusCode::OK).await;
        wait_blast(&ana, id, "the first hand-off", |b| handed(b) == 1).await;
        // Media keep twice the gap: 1 s drawn, 2 s kept.
        app.clock.advance_secs(1);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(handed(&wait_blast(&ana, id, "still one", |_| true).await), 1, "a media send waits twice the gap");
        // Not a draft any more: its media stays as it is.
        let late = Form::new().part("file", file(PNG, "b.png", "image/png"));
        assert_eq!(expect_error(put_media(&ana, id, late).await, StatusCode::CONFLICT).await["code"], "blast_state");
        expect_error(ana.delete(&format!("/api/blasts/{id}/media")).await, StatusCode::CONFLICT).await;
        app.clock.advance_secs(1);
        let done = wait_done(&app, &ana, id).await;
        assert_eq!(done["media"], shown);

        let out = expect_json(ana.get("/api/messages?direction=out").await, StatusCode::OK).await;
        let mut sent: Vec<(String, String, String)> = out["items"].as_array().unwrap().iter()
            .map(|m| (m["kind"].as_str().unwrap().into(), m["body"].as_str().unwrap().into(), m["media_name"].as_str().unwrap_or("").into()))
            .collect();
        sent.sort();
        assert_eq!(sent, vec![
            ("image".into(), "Halo !".into(), "promo.png".into()),
            ("image".into(), "Halo Bu Sari!".into(), "promo.png".into()),
        ]);
        for m in out["items"].as_array().unwrap() {
            assert_eq!(app.store.message_media(m["id"].as_i64().unwrap()).await.unwrap(), None, "the copy is dropped once sent");
        }
        assert!(app.store.blast_media(domain::policy::system_scope(), id).await.unwrap().is_some(), "the blast keeps its file");
        // What the network delivered: the caption, once to each.
        assert_eq!(inbox(&bob, b1, 1).await, vec!["Halo Bu Sari!"]);
        assert_eq!(inbox(&bob, b2, 1).await, vec!["Halo !"]);

        // A duplicate takes the media with it; a draft's media can be removed.
        let copy = expect_json(ana.post(&format!("/api/blasts/{id}/duplicate"), json!({})).await, StatusCode::CREATED).await;
        assert_eq!(copy["blast"]["media"], shown);
        let copy_id = copy["blast"]["id"].as_i64().unwrap();
        let removed = expect_json(ana.delete(&format!("/api/blasts/{copy_id}/media")).await, StatusCode::OK).await;
        assert_eq!(removed["media"], json!(null));
        expect_error(ana.get(&format!("/api/blasts/{copy_id}/media")).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }

    async fn a_template_with_a_separate_document_sends_it_before_the_text(db) {
        let app = TestApp::start(db).await;
        let (ana, o, bob, b1, _) = world(&app).await;
        let tpl = json!({"name": "Menu", "body": "Menu baru untuk {{name}}", "caption_mode": "separate"});
        let tpl = expect_json(ana.post("/api/templates", tpl).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let doc = Form::new().part("file", file(PDF, "Menu Juli.pdf", "application/pdf"));
        let url = format!("{}/api/templates/{tpl}/media", ana.base);
        let res = ana.client.put(url).header("x-csrf-token", &ana.csrf).multipart(doc).send().await.unwrap();
        expect_json(res, StatusCode::OK).await;

        let body = json!({"name": "Menu", "template_id": tpl, "outlet_ids": [o], "recipients": {"numbers": [B1]}, "start": "now", "pacing": pacing(1)});
        let created = expect_json(ana.post("/api/blasts", body).await, StatusCode::CREATED).await;
        let id = created["blast"]["id"].as_i64().unwrap();
        let shown = json!({"kind": "document", "mime": "application/pdf", "file_name": "Menu Juli.pdf", "size": PDF.len(), "caption_mode": "separate"});
        assert_eq!(created["blast"]["media"], shown);
        let done = wait_done(&app, &ana, id).await;
        // One recipient, counted once, pointing at the text message.
        assert_eq!((done["counters"]["total"].as_i64(), done["counters"]["read"].as_i64()), (Some(1), Some(1)));
        let r = expect_json(ana.get(&format!("/api/blasts/{id}/recipients")).await, StatusCode::OK).await;
        let text_id = r["items"][0]["message_id"].as_i64().unwrap();
        let out = expect_json(ana.get("/api/messages?direction=out").await, StatusCode::OK).await;
        let items = out["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{out:#}");
        let lead = items.iter().find(|m| m["kind"] == "document").unwrap();
        let text = items.iter().find(|m| m["kind"] == "text").unwrap();
        assert_eq!((lead["body"].as_str(), lead["media_name"].as_str()), (Some(""), Some("Menu Juli.pdf")));
        assert_eq!((text["id"].as_i64(), text["body"].as_str()), (Some(text_id), Some("Menu baru untuk Bu Sari")));
        assert!(lead["id"].as_i64() < text["id"].as_i64(), "the document is written first");
        assert!(lead["sent_at"].as_str() <= text["sent_at"].as_str(), "and sent first");
        // The network delivered the document (no caption), then the text.
        assert_eq!(inbox(&bob, b1, 2).await, vec!["", "Menu baru untuk Bu Sari"]);

        // A document that fails fails its recipient with the reason, whatever the text's
        // receipts say afterwards.
        let fault = json!({"kind": "fail_sends", "count": 1});
        expect_json(ana.post(&format!("/api/sandbox/outlets/{o}/fault"), fault).await, StatusCode::ACCEPTED).await;
        // The device's gap after the first blast's send (media: twice the 1 s) passes first.
        app.clock.advance_secs(2);
        let body = json!({"name": "Menu 2", "template_id": tpl, "outlet_ids": [o], "recipients": {"numbers": [B2]}, "start": "now", "pacing": pacing(1)});
        let id = expect_json(ana.post("/api/blasts", body).await, StatusCode::CREATED).await["blast"]["id"].as_i64().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let r = loop {
            let r = expect_json(ana.get(&format!("/api/blasts/{id}/recipients")).await, StatusCode::OK).await["items"][0].clone();
            if r["status"] == "failed" {
                break r;
            }
            assert!(Instant::now() < deadline, "the recipient never failed: {r}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(r["reason"].as_str().unwrap().starts_with("media: "), "{r}");
        let text_id = r["message_id"].as_i64().unwrap();
        wait_message(&ana, text_id, "read").await;
        // (A blast whose every recipient failed ends as failed.)
        let b = wait_blast(&ana, id, "ended", |b| b["status"] == "completed" || b["status"] == "failed").await;
        assert_eq!((b["counters"]["failed"].as_i64(), b["counters"]["read"].as_i64()), (Some(1), Some(0)), "{b:#}");
        let r = expect_json(ana.get(&format!("/api/blasts/{id}/recipients")).await, StatusCode::OK).await;
        assert_eq!(r["items"][0]["status"], "failed");
        assert_eq!(app.store.recount_blast(id).await.unwrap(), app.store.blast(domain::policy::system_scope(), id).await.unwrap().unwrap().counters);
        app.stop().await;
    }

    async fn a_caption_too_long_is_refused(db) {
        let app = TestApp::start(db).await;
        let (ana, o, ..) = world(&app).await;
        let long = "x".repeat(1100);
        let tpl = json!({"name": "Panjang", "body": long});
        let tpl = expect_json(ana.post("/api/templates", tpl).await, StatusCode::CREATED).await["id"].as_i64().unwrap();
        let res = ana.client.put(format!("{}/api/templates/{tpl}/media", ana.base)).header("x-csrf-token", &ana.csrf)
            .multipart(Form::new().part("file", file(PNG, "a.png", "image/png"))).send().await.unwrap();
        expect_json(res, StatusCode::OK).await;
        // From the template (caption mode): refused at creation, saying why.
        let body = json!({"name": "P", "template_id": tpl, "outlet_ids": [o], "recipients": {"numbers": [B1]}});
        let err = expect_error(ana.post("/api/blasts", body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "body", "{err}");
        assert!(err["message"].as_str().unwrap().contains("1024"), "{err}");
        // A draft with that text takes the media only apart from the text.
        let draft = json!({"name": "P", "body": "x".repeat(1100), "outlet_ids": [o], "recipients": {"numbers": [B1]}});
        let id = expect_json(ana.post("/api/blasts", draft).await, StatusCode::CREATED).await["blast"]["id"].as_i64().unwrap();
        let caption = Form::new().part("file", file(PNG, "a.png", "image/png"));
        assert_eq!(expect_error(put_media(&ana, id, caption).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "body");
        let separate = Form::new().part("file", file(PNG, "a.png", "image/png")).text("caption_mode", "separate");
        assert_eq!(expect_json(put_media(&ana, id, separate).await, StatusCode::OK).await["media"]["caption_mode"], "separate");
        app.stop().await;
    }

    async fn recipients_from_a_csv_or_xlsx_file_go_through_the_import_checks(db) {
        let app = TestApp::start(db).await;
        let (ana, o, bob, b1, b2) = world(&app).await;
        // Sari's row says Surabaya, but she is a contact: her own values win.
        let csv = format!("nama,no_wa,kota,email\nPak Budi,{B2},Bandung,\nSari di file,{B1},Surabaya,\nSalah,12345,Bogor,\nPak Budi lagi,0813-0000-0002,Bandung,\nSurel salah,081300000099,Bogor,bukan-surel\n");
        let request = json!({"name": "Dari file", "body": "Halo {{name}} dari {{kota}}", "outlet_ids": [o], "pacing": pacing(1)});
        let preview = expect_json(post_form(&ana, "/api/blasts/preview", &request, "pelanggan.csv", csv.clone().into_bytes()).await, StatusCode::OK).await;
        assert_eq!((preview["recipients"].as_i64(), preview["duplicates"].as_i64()), (Some(2), Some(1)), "{preview}");
        assert_eq!(preview["skipped"], json!({"invalid_email": 1, "invalid_number": 1}));
        assert_eq!(preview["sample"], "Halo Pak Budi dari Bandung", "the file's values for a number that is no contact");

        let mut start = request.clone();
        start["start"] = json!("now");
        let created = expect_json(post_form(&ana, "/api/blasts", &start, "pelanggan.csv", csv.into_bytes()).await, StatusCode::CREATED).await;
        assert_eq!(created["duplicates"], 1);
        let blast = &created["blast"];
        let id = blast["id"].as_i64().unwrap();
        assert_eq!(blast["recipients"]["file"], json!({"name": "pelanggan.csv", "rows": 5}));
        assert_eq!((blast["counters"]["total"].as_i64(), blast["counters"]["skipped"].as_i64()), (Some(4), Some(2)));
        let skipped = expect_json(ana.get(&format!("/api/blasts/{id}/recipients?status=skipped")).await, StatusCode::OK).await;
        let r = &skipped["items"][0];
        assert_eq!((r["wa_number"].as_str(), r["reason"].as_str()), (Some("12345"), Some("invalid_number (line 4)")));
        app.clock.advance_secs(1);
        wait_done(&app, &ana, id).await;
        assert_eq!(inbox(&bob, b2, 1).await, vec!["Halo Pak Budi dari Bandung"]);
        assert_eq!(inbox(&bob, b1, 1).await, vec!["Halo Bu Sari dari Jakarta"]);

        // A duplicate takes the file's recipients, with their values, from the rows; a row the
        // file's checks refused (its number valid, its e-mail not) was never one.
        let copy = expect_json(ana.post(&format!("/api/blasts/{id}/duplicate"), json!({})).await, StatusCode::CREATED).await;
        assert_eq!(copy["blast"]["counters"]["total"], 2, "{copy:#}");
        assert_eq!(copy["blast"]["recipients"]["file"]["name"], "pelanggan.csv");
        let copy_id = copy["blast"]["id"].as_i64().unwrap();
        expect_json(ana.post(&format!("/api/blasts/{copy_id}/start"), json!({})).await, StatusCode::OK).await;
        app.clock.advance_secs(1);
        wait_done(&app, &ana, copy_id).await;
        assert_eq!(inbox(&bob, b2, 2).await, vec!["Halo Pak Budi dari Bandung", "Halo Pak Budi dari Bandung"]);

        // A resend of a file blast's failed recipients keeps the values the file gave them.
        let fault = json!({"kind": "fail_sends", "count": 1});
        expect_json(ana.post(&format!("/api/sandbox/outlets/{o}/fault"), fault).await, StatusCode::ACCEPTED).await;
        let one = format!("nama,no_wa,kota\nPak Budi,{B2},Bandung\n").into_bytes();
        let failing = expect_json(post_form(&ana, "/api/blasts", &start, "satu.csv", one).await, StatusCode::CREATED).await;
        let failing = failing["blast"]["id"].as_i64().unwrap();
        wait_blast(&ana, failing, "its one recipient failed", |b| b["counters"]["failed"] == 1).await;
        let again = expect_json(ana.post(&format!("/api/blasts/{failing}/resend-failed"), json!({})).await, StatusCode::CREATED).await;
        assert_eq!((again["blast"]["counters"]["total"].as_i64(), again["blast"]["recipients"]["file"]["name"].as_str()), (Some(1), Some("satu.csv")));
        wait_done(&app, &ana, again["blast"]["id"].as_i64().unwrap()).await;
        assert_eq!(inbox(&bob, b2, 3).await[2], "Halo Pak Budi dari Bandung");

        // An .xlsx workbook is read the same way (told apart by its bytes).
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in [["name", "phone", "kota"], ["Pak Budi", B2, "Bogor"], ["", "", ""], ["Tanpa", "abc", ""]].iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
        let xlsx = book.save_to_buffer().unwrap();
        let preview = expect_json(post_form(&ana, "/api/blasts/preview", &request, "pelanggan.xlsx", xlsx).await, StatusCode::OK).await;
        assert_eq!((preview["recipients"].as_i64(), preview["sample"].as_str()), (Some(1), Some("Halo Pak Budi dari Bogor")), "{preview}");
        assert_eq!(preview["skipped"], json!({"invalid_number": 1}));

        // A file's own column is a variable of the text (no contact has that field).
        let coded = json!({"name": "Kode", "body": "Kode {{kode_promo}}", "outlet_ids": [o]});
        let preview = expect_json(post_form(&ana, "/api/blasts/preview", &coded, "k.csv", format!("no_wa,kode promo\n{B2},ABC\n").into_bytes()).await, StatusCode::OK).await;
        assert_eq!(preview["sample"], "Kode ABC", "{preview}");
        expect_error(ana.post("/api/blasts/preview", json!({"name": "Kode", "body": "Kode {{kode_promo}}", "outlet_ids": [o], "recipients": {"numbers": [B2]}})).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        // A file that is no table, and a recurring blast with a file, are refused saying why.
        let bad = expect_error(post_form(&ana, "/api/blasts/preview", &request, "x.csv", b"nama,kota\nBudi,Bogor\n".to_vec()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad["field"], "recipients_file", "{bad}");
        let mut recurring = request.clone();
        recurring["start"] = json!("recurring");
        recurring["schedule"] = json!({"rule": {"every": "daily"}, "time": "09:00"});
        let err = expect_error(post_form(&ana, "/api/blasts", &recurring, "p.csv", format!("no_wa\n{B2}\n").into_bytes()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "recipients_file", "{err}");
        assert!(err["message"].as_str().unwrap().contains("recurring"), "{err}");
        let unknown = Form::new().text("request", request.to_string()).text("other", "x");
        let res = ana.client.post(format!("{}/api/blasts", ana.base)).header("x-csrf-token", &ana.csrf).multipart(unknown).send().await.unwrap();
        expect_error(res, StatusCode::BAD_REQUEST).await;
        app.stop().await;
    }
}
