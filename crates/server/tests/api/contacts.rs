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
        // A number is found as people type it.
        for typed in ["0813-1111", "+62 813 1111 2222", "1111-2222"] {
            let found = expect_json(ana.get(&format!("/api/contacts?q={}", typed.replace('+', "%2B").replace(' ', "%20"))).await, StatusCode::OK).await;
            assert_eq!(found["total"], 1, "{typed}");
        }

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

both_backends! {
    async fn tags_are_put_on_and_taken_off_in_bulk_and_stay_with_their_owner(db) {
        let app = TestApp::start(db).await;
        let (ana_id, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let mut ids = Vec::new();
        for (name, number, email) in [("Sari", "081300000001", Some("sari@contoh.id")), ("Budi", "081300000002", None), ("Wati", "081300000003", None)] {
            let body = json!({"name": name, "wa_number": number, "email": email});
            ids.push(expect_json(ana.post("/api/contacts", body).await, StatusCode::CREATED).await["id"].as_i64().unwrap());
        }
        let bobs = expect_json(bob.post("/api/contacts", json!({"wa_number": "081300000009"})).await, StatusCode::CREATED).await["id"].as_i64().unwrap();

        let vip = expect_json(ana.post("/api/tags", json!({"name": "vip", "color": "purple"})).await, StatusCode::CREATED).await;
        assert_eq!(vip["color"], "purple");
        let vip = vip["id"].as_i64().unwrap();
        let baru = expect_json(ana.post("/api/tags", json!({"name": "baru"})).await, StatusCode::CREATED).await;
        assert_eq!(baru["color"], domain::TagColor::for_name("baru").as_str(), "no colour chosen: one from the name");
        expect_error(ana.post("/api/tags", json!({"name": "vip"})).await, StatusCode::CONFLICT).await;
        expect_error(ana.post("/api/tags", json!({"name": "VIP"})).await, StatusCode::CONFLICT).await;
        let comma = expect_error(ana.post("/api/tags", json!({"name": "a,b"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(comma["message"].as_str().unwrap().contains("separate tags"), "{comma}");
        expect_error(ana.post("/api/tags", json!({"name": "x", "color": "magenta"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let empty = expect_error(ana.post("/api/tags", json!({"name": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(empty["field"], "name");

        // Bulk: Bob's contact in the list is left alone, a second tagging counts nothing.
        let tag = |ids: Vec<i64>| json!({"action": "tag", "ids": ids, "tag_id": vip});
        let done = expect_json(ana.post("/api/contacts/bulk", tag(vec![ids[0], ids[1], bobs])).await, StatusCode::OK).await;
        assert_eq!(done["changed"], 2);
        assert_eq!(expect_json(ana.post("/api/contacts/bulk", tag(vec![ids[0]])).await, StatusCode::OK).await["changed"], 0);
        let tagged = expect_json(ana.get(&format!("/api/contacts?tag_id={vip}")).await, StatusCode::OK).await;
        let names: Vec<_> = tagged["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Budi", "Sari"]);
        assert_eq!(tagged["items"][0]["tags"][0]["name"], "vip");
        assert_eq!(tagged["items"][0]["tags"][0]["color"], "purple");
        let untag = json!({"action": "untag", "ids": [ids[1]], "tag_id": vip});
        assert_eq!(expect_json(ana.post("/api/contacts/bulk", untag).await, StatusCode::OK).await["changed"], 1);
        assert_eq!(expect_json(ana.get(&format!("/api/contacts?tag_id={vip}")).await, StatusCode::OK).await["total"], 1);
        let no_tag = expect_error(ana.post("/api/contacts/bulk", json!({"action": "tag", "ids": [ids[0]]})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(no_tag["field"], "tag_id");
        let none = expect_error(ana.post("/api/contacts/bulk", json!({"action": "delete", "ids": []})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(none["field"], "ids");

        // Bob sees none of Ana's tags and cannot use, change or delete them.
        assert_eq!(expect_json(bob.get("/api/tags").await, StatusCode::OK).await.as_array().unwrap().len(), 0);
        expect_error(bob.post("/api/contacts/bulk", json!({"action": "tag", "ids": [bobs], "tag_id": vip})).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.patch(&format!("/api/tags/{vip}"), json!({"name": "mine"})).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.delete(&format!("/api/tags/{vip}")).await, StatusCode::NOT_FOUND).await;
        let bulk_delete = json!({"action": "delete", "ids": ids.clone()});
        assert_eq!(expect_json(bob.post("/api/contacts/bulk", bulk_delete.clone()).await, StatusCode::OK).await["changed"], 0);
        assert_eq!(app.store.contact_counts(ana_id).await.unwrap().total, 3);

        let renamed = expect_json(ana.patch(&format!("/api/tags/{vip}"), json!({"name": "VIP Emas", "color": "yellow"})).await, StatusCode::OK).await;
        assert_eq!((renamed["name"].as_str(), renamed["color"].as_str()), (Some("VIP Emas"), Some("yellow")));
        // Deleting a tag keeps its contacts; deleting contacts in bulk keeps the counts right.
        expect_json(ana.delete(&format!("/api/tags/{vip}")).await, StatusCode::NO_CONTENT).await;
        assert!(expect_json(ana.get(&format!("/api/contacts/{}", ids[0])).await, StatusCode::OK).await["tags"].as_array().unwrap().is_empty());
        assert_eq!(expect_json(ana.post("/api/contacts/bulk", bulk_delete).await, StatusCode::OK).await["changed"], 3);
        assert_eq!(app.store.contact_counts(ana_id).await.unwrap(), store::ContactCounts { total: 0, with_email: 0 });
        app.stop().await;
    }
}

both_backends! {
    async fn a_contact_is_changed_field_by_field_and_numbers_of_other_countries_are_checked(db) {
        let app = TestApp::start(db).await;
        let (ana_id, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let jkt = create_outlet(&ana, "Jakarta", "Jakarta", "081200000001").await;
        let bobs_outlet = create_outlet(&bob, "Bogor", "Bogor", "081200000002").await;
        // A German number with its + is fine; the same digits without it read as Indonesian.
        let body = json!({"name": "Klaus", "wa_number": "+49 151 23456789", "fields": {"kota": "Berlin"}});
        let klaus = expect_json(ana.post("/api/contacts", body).await, StatusCode::CREATED).await;
        assert_eq!(klaus["wa_number"], "+4915123456789");
        let no_plus = expect_error(ana.post("/api/contacts", json!({"wa_number": "4915123456789"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(no_plus["message"].as_str().unwrap().contains("country code"), "{no_plus}");
        let unreal = expect_error(ana.post("/api/contacts", json!({"wa_number": "+1 111 111 1111"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(unreal["message"].as_str().unwrap().contains("not a valid number for its country"), "{unreal}");
        let id = klaus["id"].as_i64().unwrap();
        let path = format!("/api/contacts/{id}");

        let changed = json!({"email": "klaus@contoh.de", "home_outlet_id": jkt, "blocked": true, "notes": "Pelanggan lama"});
        let klaus = expect_json(ana.patch(&path, changed).await, StatusCode::OK).await;
        assert_eq!((klaus["email"].as_str(), klaus["home_outlet_id"].as_i64(), klaus["blocked"].as_bool()), (Some("klaus@contoh.de"), Some(jkt), Some(true)));
        assert_eq!(klaus["name"], "Klaus", "a field left out keeps its value");
        assert_eq!(klaus["fields"]["kota"], "Berlin");
        assert_eq!(app.store.contact_counts(ana_id).await.unwrap().with_email, 1);
        let cleared = expect_json(ana.patch(&path, json!({"email": null, "home_outlet_id": null})).await, StatusCode::OK).await;
        assert!(cleared["email"].is_null() && cleared["home_outlet_id"].is_null(), "{cleared}");
        assert_eq!(app.store.contact_counts(ana_id).await.unwrap().with_email, 0);

        let other = expect_json(ana.post("/api/contacts", json!({"wa_number": "081300000001"})).await, StatusCode::CREATED).await;
        expect_error(ana.patch(&path, json!({"wa_number": "0813-0000-0001"})).await, StatusCode::CONFLICT).await;
        for (bad, field) in [(json!({"home_outlet_id": bobs_outlet}), "home_outlet_id"), (json!({"email": "klaus@"}), "email"), (json!({"fields": {"Kota": "x"}}), "fields"), (json!({"fields": {"nomor": "1"}}), "fields")] {
            let err = expect_error(ana.patch(&path, bad.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(err["field"], field, "{bad}: {err}");
        }
        expect_error(bob.patch(&path, json!({"name": "Mine"})).await, StatusCode::NOT_FOUND).await;
        let unchanged = expect_json(ana.get(&path).await, StatusCode::OK).await;
        assert_eq!((unchanged["name"].as_str(), unchanged["wa_number"].as_str()), (Some("Klaus"), Some("+4915123456789")));
        assert_ne!(other["id"], unchanged["id"]);
        // The field names used so far are the variables templates may name.
        assert_eq!(app.store.contact_field_names(ana_id).await.unwrap(), ["kota"]);
        app.stop().await;
    }
}
