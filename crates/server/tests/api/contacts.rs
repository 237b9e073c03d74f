//! Contacts: a customer who replies a stop word is opted out of blasts.

use crate::helpers::*;
use domain::{PhoneNumber, Role};
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
