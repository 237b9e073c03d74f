//! Contacts: a customer who replies a stop word is opted out of blasts.

use crate::helpers::*;
use domain::{Clock, PhoneNumber, Role};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use store::both_backends;

both_backends! {
    async fn a_reply_of_berhenti_opts_the_sender_out_and_other_words_do_not(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Bandung", "Bandung", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let inbound = |from: &str, text: &str| json!({"from": from, "text": text});
        let say = |from: &'static str, text: &'static str| {
            let s = &s;
            async move {
                expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), inbound(from, text)).await, StatusCode::ACCEPTED).await
            }
        };
        say("081399990001", "jangan stop promonya").await;
        say("081399990002", " Berhenti! ").await;
        let stopped = PhoneNumber::parse("081399990002").unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let contact = loop {
            if let Some(c) = app.store.contact_by_number(ana, &stopped).await.unwrap() {
                break c;
            }
            assert!(Instant::now() < deadline, "the stop request never opted the sender out");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(contact.opted_out_at.is_some());
        assert_eq!(contact.opted_out_reason, "Berhenti!");
        // The stop request is an ordinary received message too.
        let listed = expect_json(s.get("/api/messages?direction=in").await, StatusCode::OK).await;
        assert_eq!(listed["total"], 2);
        // Messages are handled in order: the one before the stop word made no contact.
        let talker = PhoneNumber::parse("081399990001").unwrap();
        assert!(app.store.contact_by_number(ana, &talker).await.unwrap().is_none(), "'stop' inside a sentence is no stop request");
        assert_eq!(app.store.contact_counts(ana).await.unwrap().total, 1);
        app.stop().await;
    }
}

both_backends! {
    async fn contacts_are_checked_kept_per_owner_and_opted_back_in(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let jkt = create_outlet(&ana, "Jakarta", "Jakarta", "081200000001").await;
        let bobs_outlet = create_outlet(&bob, "Bogor", "Bogor", "081200000002").await;
        let body = json!({"name": "Bu Sari", "wa_number": "0813-1111-2222", "email": "sari@contoh.id",
                          "home_outlet_id": jkt, "fields": {"kota": "Bandung"}});
        let sari = expect_json(ana.post("/api/contacts", body.clone()).await, StatusCode::CREATED).await;
        assert_eq!((sari["wa_number"].as_str(), sari["fields"]["kota"].as_str()), (Some("+6281311112222"), Some("Bandung")));
        let id = sari["id"].as_i64().unwrap();
        let again = expect_error(ana.post("/api/contacts", body).await, StatusCode::CONFLICT).await;
        assert!(again["message"].as_str().unwrap().contains("already exists"), "{again}");
        for (bad, field) in [
            (json!({"wa_number": "0812 abc"}), "wa_number"),
            (json!({"wa_number": "081300000001", "email": "sari@"}), "email"),
            (json!({"wa_number": "081300000001", "fields": {"Nama Depan": "x"}}), "fields"),
            (json!({"wa_number": "081300000001", "fields": {"phone": "x"}}), "fields"),
            (json!({"wa_number": "081300000001", "home_outlet_id": bobs_outlet}), "home_outlet_id"),
        ] {
            let err = expect_error(ana.post("/api/contacts", bad.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], field, "{bad}: {err}");
        }
        // Another owner sees, changes and deletes nothing of Ana's.
        expect_error(bob.get(&format!("/api/contacts/{id}")).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.delete(&format!("/api/contacts/{id}")).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.post(&format!("/api/contacts/{id}/opt-in"), json!({})).await, StatusCode::NOT_FOUND).await;
        assert_eq!(expect_json(bob.get("/api/contacts").await, StatusCode::OK).await["total"], 0);
        let found = expect_json(ana.get(&format!("/api/contacts?q=SARI&outlet_id={jkt}")).await, StatusCode::OK).await;
        assert_eq!(found["total"], 1);

        // An opt-out from a reply, and the owner opting the contact back in.
        let number = PhoneNumber::parse("081311112222").unwrap();
        let owner = domain::UserId(sari["owner_id"].as_i64().unwrap());
        app.store.opt_out_contact(owner, &number, "STOP", app.clock.now()).await.unwrap();
        let out = expect_json(ana.get("/api/contacts?opted_out=true").await, StatusCode::OK).await;
        assert_eq!(out["items"][0]["opted_out_reason"], "STOP");
        let back = expect_json(ana.post(&format!("/api/contacts/{id}/opt-in"), json!({})).await, StatusCode::OK).await;
        assert!(back["opted_out_at"].is_null());
        assert_eq!(expect_json(ana.get("/api/contacts?opted_out=true").await, StatusCode::OK).await["total"], 0);
        expect_json(ana.delete(&format!("/api/contacts/{id}")).await, StatusCode::NO_CONTENT).await;
        assert_eq!(app.store.contact_counts(owner).await.unwrap().total, 0);
        app.stop().await;
    }
}
