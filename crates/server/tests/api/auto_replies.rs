//! Auto-reply rules through `/api/auto-replies`, answering sandbox inbound messages on the sim
//! engine. "Nothing was answered" is checked behind a barrier: a later message on the same
//! outlet that a `ping` rule answers. The automations worker takes inbound messages one at a
//! time in the order their device stored them, so once the `pong` is written, a reply to any
//! earlier message would have been written too.

use crate::helpers::*;
use domain::{Clock, DeviceStatus, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::both_backends;

/// Creates a rule; returns it.
async fn rule(s: &Session, body: Value) -> Value {
    expect_json(s.post("/api/auto-replies", body).await, StatusCode::CREATED).await
}

/// The barrier rule: `ping` is answered `pong` before any other rule.
async fn ping_rule(s: &Session) {
    rule(s, json!({"name": "Ping", "triggers": ["ping"], "match_type": "exact", "priority": 0, "reply": "pong"})).await;
}

async fn inbound(s: &Session, outlet: i64, from: &str, text: &str) -> String {
    let path = format!("/api/sandbox/outlets/{outlet}/inbound");
    let sent = expect_json(s.post(&path, json!({"from": from, "text": text})).await, StatusCode::ACCEPTED).await;
    sent["message_id"].as_str().unwrap().to_string()
}

/// The outlet's outgoing messages, oldest first.
async fn outgoing(s: &Session, outlet: i64) -> Vec<Value> {
    let l = expect_json(
        s.get(&format!("/api/messages?direction=out&outlet_id={outlet}&per_page=200")).await,
        StatusCode::OK,
    )
    .await;
    let mut items = l["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

/// The outlet's outgoing texts, oldest first.
async fn replies(s: &Session, outlet: i64) -> Vec<String> {
    outgoing(s, outlet).await.iter().map(|m| m["body"].as_str().unwrap().to_string()).collect()
}

/// Waits until the outlet's outgoing messages are `n` texts; panics with them after 15 s.
async fn wait_replies(s: &Session, outlet: i64, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = replies(s, outlet).await;
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "expected {n} replies, got {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `ping` from `from` and waits for its `pong`: every earlier inbound message of the
/// outlet has been handled. Returns the outlet's outgoing texts.
async fn barrier(s: &Session, outlet: i64, from: &str) -> Vec<String> {
    let pongs = replies(s, outlet).await.iter().filter(|r| *r == "pong").count();
    inbound(s, outlet, from, "ping").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = replies(s, outlet).await;
        if got.iter().filter(|r| *r == "pong").count() > pongs {
            return got;
        }
        assert!(Instant::now() < deadline, "the barrier was never answered: {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A user with an outlet whose sim device is connected.
async fn owner(app: &TestApp, email: &str, number: &str) -> (Session, i64) {
    let (_, s) = app.as_new(email, Role::User).await;
    let o = create_outlet(&s, "Outlet", "Bandung", number).await;
    pair_sim(app, &s, o).await;
    (s, o)
}

async fn test(s: &Session, body: Value) -> Value {
    expect_json(s.post("/api/auto-replies/test", body).await, StatusCode::OK).await
}

both_backends! {
    async fn rules_match_per_type_and_priority_without_case_or_accents(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        rule(&s, json!({"name": "Exact", "triggers": ["harga"], "match_type": "exact", "reply": "R-exact"})).await;
        rule(&s, json!({"name": "Starts", "triggers": ["halo"], "match_type": "starts_with", "reply": "R-starts"})).await;
        rule(&s, json!({"name": "Ends", "triggers": ["terima kasih"], "match_type": "ends_with", "reply": "R-ends"})).await;
        rule(&s, json!({"name": "Regex", "triggers": [r"^order\s*#?\d+$"], "match_type": "regex", "reply": "R-regex {{phone}}"})).await;
        rule(&s, json!({"name": "Promo late", "triggers": ["promo"], "priority": 50, "reply": "R-late"})).await;
        let first = rule(&s, json!({"name": "Promo", "triggers": ["promo", "diskon"], "priority": 5, "reply": "R-promo"})).await;
        rule(&s, json!({"name": "Promo tie", "triggers": ["promo"], "priority": 5, "reply": "R-tie"})).await;
        rule(&s, json!({"name": "Strict", "triggers": ["VIP"], "case_sensitive": true, "reply": "R-vip"})).await;
        let answer = |text: &'static str| { let s = &s; async move { test(s, json!({"text": text, "outlet_id": o})).await["reply"].clone() } };
        assert_eq!(answer("  HARGA ").await, "R-exact");
        assert_eq!(answer("harga berapa").await, Value::Null, "exact means the whole message");
        assert_eq!(answer("Hálo kak").await, "R-starts");
        assert_eq!(answer("oke, Terima  Kasih").await, "R-ends");
        assert_eq!(answer("ORDER #42").await, "R-regex +6281234567890");
        assert_eq!(answer("ada PRÓMO?").await, "R-promo", "priority 5 before 50; on a tie the older rule");
        assert_eq!(answer("saya VIP").await, "R-vip");
        assert_eq!(answer("saya vip").await, Value::Null, "a case-sensitive rule");
        let t = test(&s, json!({"text": "Diskon dong"})).await;
        assert_eq!((t["rule_id"].clone(), t["trigger"].clone()), (first["id"].clone(), json!("diskon")));

        // The same through WhatsApp: the reply is an outbox message marked automatic.
        inbound(&s, o, "081311110001", "Order 7").await;
        inbound(&s, o, "081311110002", "PROMO!").await;
        let got = wait_replies(&s, o, 2).await;
        assert_eq!(got, ["R-regex +6281311110001", "R-promo"]);
        let sent = outgoing(&s, o).await;
        assert!(sent.iter().all(|m| m["origin"] == "auto_reply"), "{sent:?}");
        wait_message(&s, sent[1]["id"].as_i64().unwrap(), "read").await;
        let promo = expect_json(s.get(&format!("/api/auto-replies/{}", first["id"])).await, StatusCode::OK).await;
        assert_eq!(promo["trigger_count"], 1);
        assert!(promo["last_triggered_at"].is_string(), "{promo}");
        app.stop().await;
    }

    async fn bad_rules_are_refused_with_the_reason(db) {
        let app = TestApp::start(db).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let bobs = create_outlet(&bob, "Bob", "", "081200000002").await;
        let refuse = |body: Value| { let s = &s; async move { expect_error(s.post("/api/auto-replies", body).await, StatusCode::UNPROCESSABLE_ENTITY).await } };
        let bad = refuse(json!({"name": "R", "triggers": ["(unclosed"], "match_type": "regex", "reply": "x"})).await;
        assert_eq!(bad["field"], "triggers");
        let message = bad["message"].as_str().unwrap();
        assert!(message.contains("(unclosed") && message.contains("unclosed group"), "{message}");
        let huge = refuse(json!({"name": "R", "triggers": [r"\w{1000}\w{1000}"], "match_type": "regex", "reply": "x"})).await;
        assert!(huge["message"].as_str().unwrap().contains("bytes"), "{huge}");
        assert_eq!(refuse(json!({"name": "R", "triggers": [], "reply": "x"})).await["field"], "triggers");
        assert_eq!(refuse(json!({"name": "R", "is_welcome": true, "triggers": ["x"], "reply": "x"})).await["field"], "triggers");
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x"]})).await["field"], "reply");
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x"], "reply": "Halo {{nama}}"})).await["field"], "reply");
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x"], "reply": "hi\u{0}"})).await["field"], "reply");
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x\u{0}"], "reply": "x"})).await["field"], "triggers");
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x"], "reply": "x", "outlet_ids": [bobs]})).await["field"], "outlet_ids");
        let hours = json!({"days": [8], "start_min": 0, "end_min": 60});
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x"], "reply": "x", "business_hours": hours})).await["field"], "business_hours");
        assert_eq!(refuse(json!({"name": "R", "triggers": ["x"], "reply": "x", "outside_hours_reply": "tutup"})).await["field"], "outside_hours_reply");
        let ok = rule(&s, json!({"name": "R", "triggers": ["x"], "reply": "x"})).await;
        expect_error(s.post("/api/auto-replies", json!({"name": "r", "triggers": ["y"], "reply": "y"})).await, StatusCode::CONFLICT).await;
        let path = format!("/api/auto-replies/{}", ok["id"]);
        let patch = expect_error(s.patch(&path, json!({"match_type": "regex", "triggers": ["a)"]})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(patch["field"], "triggers");
        let kept = expect_json(s.get(&path).await, StatusCode::OK).await;
        assert_eq!((kept["match_type"].as_str(), kept["triggers"].clone()), (Some("contains"), json!(["x"])), "nothing changed");
        expect_error(bob.get(&path).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.patch(&path, json!({"active": false})).await, StatusCode::NOT_FOUND).await;
        let list = expect_json(s.get("/api/auto-replies").await, StatusCode::OK).await;
        assert_eq!(list["total"], 1);
        assert_eq!(expect_json(bob.get("/api/auto-replies").await, StatusCode::OK).await["total"], 0);
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        expect_error(monitor.get("/api/auto-replies").await, StatusCode::FORBIDDEN).await;
        assert_eq!(s.delete(&path).await.status(), StatusCode::NO_CONTENT);
        expect_error(s.get(&path).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }

    async fn business_hours_pick_the_reply_and_a_cooldown_keeps_a_rule_quiet(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        ping_rule(&s).await;
        // Opens in an hour (Asia/Jakarta, the owner's zone), for an hour, every day.
        let local_min = (app.clock.now().millis() / 60_000 + 7 * 60) % 1440;
        let hours = json!({"days": [1, 2, 3, 4, 5, 6, 7], "start_min": (local_min + 60) % 1440, "end_min": (local_min + 120) % 1440});
        rule(&s, json!({"name": "Jam", "triggers": ["buka"], "reply": "Kami buka", "business_hours": hours, "outside_hours_reply": "Kami tutup"})).await;
        rule(&s, json!({"name": "Tanya", "triggers": ["tanya"], "reply": "Dijawab", "business_hours": hours})).await;
        rule(&s, json!({"name": "Sekali", "triggers": ["menu"], "reply": "Menu kami", "cooldown_secs": 600})).await;
        assert_eq!(test(&s, json!({"text": "buka?"})).await["outside_hours"], true);
        inbound(&s, o, "081311110001", "Buka?").await;
        inbound(&s, o, "081311110002", "mau tanya").await;
        inbound(&s, o, "081311110003", "menu").await;
        inbound(&s, o, "081311110003", "menu lagi").await;
        let got = barrier(&s, o, "081311110009").await;
        assert_eq!(got, ["Kami tutup", "Menu kami", "pong"], "outside hours: the other reply or none; the cooldown holds");
        app.clock.advance_secs(90 * 60);
        let s = app.login("ana@shop.id").await;
        inbound(&s, o, "081311110001", "buka?").await;
        inbound(&s, o, "081311110002", "tanya").await;
        inbound(&s, o, "081311110003", "menu").await;
        let got = wait_replies(&s, o, 6).await;
        assert_eq!(got[3..], ["Kami buka", "Dijawab", "Menu kami"]);
        app.stop().await;
    }

    async fn the_welcome_rule_answers_only_the_first_message_from_a_number(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        rule(&s, json!({"name": "Sambutan", "is_welcome": true, "priority": 1, "reply": "Selamat datang di {{outlet}}"})).await;
        rule(&s, json!({"name": "Halo", "triggers": ["halo"], "reply": "Halo juga"})).await;
        assert_eq!(test(&s, json!({"text": "halo", "first_message": true})).await["rule_name"], "Sambutan");
        assert_eq!(test(&s, json!({"text": "halo"})).await["rule_name"], "Halo");
        inbound(&s, o, "081311110001", "halo").await;
        wait_replies(&s, o, 1).await;
        inbound(&s, o, "081311110001", "halo").await;
        wait_replies(&s, o, 2).await;
        inbound(&s, o, "081311110002", "halo").await;
        let got = wait_replies(&s, o, 3).await;
        assert_eq!(got, ["Selamat datang di Outlet", "Halo juga", "Selamat datang di Outlet"]);
        app.stop().await;
    }

    async fn another_owners_inbound_never_triggers_a_rule(db) {
        let app = TestApp::start(db).await;
        let (ana, a1) = owner(&app, "ana@shop.id", "081200000001").await;
        let a2 = create_outlet(&ana, "Cabang", "Bogor", "081200000003").await;
        pair_sim(&app, &ana, a2).await;
        let (bob, b) = owner(&app, "bob@shop.id", "081200000002").await;
        let everywhere = rule(&ana, json!({"name": "Harga", "triggers": ["harga"], "reply": "Harga Ana"})).await;
        rule(&ana, json!({"name": "Khusus", "triggers": ["khusus"], "reply": "Khusus cabang", "outlet_ids": [a2]})).await;
        ping_rule(&ana).await;
        ping_rule(&bob).await;
        inbound(&bob, b, "081311110001", "harga").await;
        inbound(&bob, b, "081311110001", "khusus").await;
        assert_eq!(barrier(&bob, b, "081311110001").await, ["pong"], "Bob's outlet answers with Bob's rules only");
        inbound(&ana, a1, "081311110001", "khusus").await;
        assert_eq!(barrier(&ana, a1, "081311110001").await, ["pong"], "a rule for chosen outlets only");
        inbound(&ana, a2, "081311110001", "khusus").await;
        assert_eq!(wait_replies(&ana, a2, 1).await, ["Khusus cabang"]);
        let kept = expect_json(ana.get(&format!("/api/auto-replies/{}", everywhere["id"])).await, StatusCode::OK).await;
        assert_eq!(kept["trigger_count"], 0);
        // The tester of one owner never sees another's outlet.
        let foreign = expect_error(ana.post("/api/auto-replies/test", json!({"text": "harga", "outlet_id": b})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(foreign["field"], "outlet_id");
        app.stop().await;
    }

    async fn a_replayed_message_is_answered_once(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        ping_rule(&s).await;
        rule(&s, json!({"name": "Harga", "triggers": ["harga"], "reply": "Harga kami"})).await;
        let id = inbound(&s, o, "081311110001", "harga").await;
        assert_eq!(wait_replies(&s, o, 1).await, ["Harga kami"]);
        // The connection drops and comes back; WhatsApp delivers the message again.
        let device = expect_json(s.get(&format!("/api/outlets/{o}/device")).await, StatusCode::OK).await;
        let device = domain::DeviceId(device["id"].as_i64().unwrap());
        expect_json(s.post(&format!("/api/sandbox/outlets/{o}/fault"), json!({"kind": "drop"})).await, StatusCode::ACCEPTED).await;
        app.wait_device(device, "reconnected", |d| !app.timer.delays().is_empty() && d.status == DeviceStatus::Connected).await;
        let path = format!("/api/sandbox/outlets/{o}/inbound");
        for _ in 0..2 {
            expect_json(s.post(&path, json!({"from": "081311110001", "text": "harga", "message_id": id})).await, StatusCode::ACCEPTED).await;
        }
        assert_eq!(barrier(&s, o, "081311110001").await, ["Harga kami", "pong"]);
        app.stop().await;
    }

    async fn our_own_group_and_phone_messages_are_ignored(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        ping_rule(&s).await;
        rule(&s, json!({"name": "Semua", "triggers": ["."], "match_type": "regex", "priority": 10, "reply": "Otomatis"})).await;
        let sent = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311110001", "text": "harga"})).await, StatusCode::ACCEPTED).await;
        wait_message(&s, sent["id"].as_i64().unwrap(), "read").await;
        let path = format!("/api/sandbox/outlets/{o}/inbound");
        for body in [
            json!({"from": "081311110002", "text": "harga", "chat": "group"}),
            json!({"from": "081311110002", "text": "harga", "chat": "broadcast"}),
            json!({"from": "081311110002", "text": "harga", "chat": "status"}),
            json!({"from": "081311110002", "text": "harga", "from_me": true}),
        ] {
            expect_json(s.post(&path, body).await, StatusCode::ACCEPTED).await;
        }
        assert_eq!(barrier(&s, o, "081311110002").await, ["harga", "pong"]);
        let inbox = expect_json(s.get(&format!("/api/messages?direction=in&outlet_id={o}")).await, StatusCode::OK).await;
        assert_eq!(inbox["total"], 1, "only the direct message was stored: {inbox}");
        app.stop().await;
    }

    async fn a_group_is_answered_only_by_rules_and_flows_that_opt_in(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        ping_rule(&s).await;
        let path = format!("/api/sandbox/outlets/{o}/inbound");
        let in_group = |text: &str| json!({"from": "081311110002", "text": text, "chat": "group"});
        rule(&s, json!({"name": "Harga", "triggers": ["harga"], "priority": 10, "reply": "Harga pribadi"})).await;
        let group_rule = rule(&s, json!({"name": "Grup", "triggers": ["harga"], "priority": 20, "reply": "Harga grup", "in_groups": true, "active": false})).await;
        // No rule answers in groups yet: the group's message is neither stored nor answered.
        expect_json(s.post(&path, in_group("harga")).await, StatusCode::ACCEPTED).await;
        assert_eq!(barrier(&s, o, "081311110003").await, ["pong"]);

        // Switched on, the group rule answers in the group, though a rule before it matches too
        // (that one does not answer in groups); a person's message still gets the first rule.
        expect_json(s.patch(&format!("/api/auto-replies/{}", group_rule["id"]), json!({"active": true})).await, StatusCode::OK).await;
        expect_json(s.post(&path, in_group("harga dong")).await, StatusCode::ACCEPTED).await;
        inbound(&s, o, "081311110002", "harga").await;
        assert_eq!(barrier(&s, o, "081311110003").await, ["pong", "Harga grup", "Harga pribadi", "pong"]);
        let sent = outgoing(&s, o).await;
        let group = engine::sim::SIM_GROUP;
        assert_eq!(sent[1]["peer"], group, "the reply goes to the group: {}", sent[1]);
        wait_message(&s, sent[1]["id"].as_i64().unwrap(), "read").await;
        let inbox = expect_json(s.get(&format!("/api/messages?direction=in&outlet_id={o}&per_page=50")).await, StatusCode::OK).await;
        let from_group = inbox["items"].as_array().unwrap().iter().filter(|m| m["peer"] == group).count();
        assert_eq!(from_group, 1, "only the message after the opt-in was stored: {inbox}");

        // A flow that opts in holds the group's conversation; one that does not, does not start.
        let flow = |name: &str, keyword: &str, in_groups: bool| json!({"name": name, "active": true, "in_groups": in_groups,
            "trigger": {"type": "keywords", "keywords": [keyword]},
            "steps": [{"id": "akhir", "type": "end", "message": format!("{name} selesai")}]});
        expect_json(s.post("/api/chatbots", flow("Pribadi", "daftar", false)).await, StatusCode::CREATED).await;
        expect_json(s.post("/api/chatbots", flow("Arisan", "arisan", true)).await, StatusCode::CREATED).await;
        expect_json(s.post(&path, in_group("daftar")).await, StatusCode::ACCEPTED).await;
        expect_json(s.post(&path, in_group("arisan")).await, StatusCode::ACCEPTED).await;
        let got = barrier(&s, o, "081311110003").await;
        assert_eq!(got[4..], ["Arisan selesai", "pong"]);
        app.stop().await;
    }

    async fn a_loop_between_two_automated_numbers_stops_at_the_cap(db) {
        let app = TestApp::start(db).await;
        let (ana, a) = owner(&app, "ana@shop.id", "081200000001").await;
        let (bob, b) = owner(&app, "bob@shop.id", "081200000002").await;
        rule(&ana, json!({"name": "Semua", "triggers": ["."], "match_type": "regex", "reply": "Otomatis Ana"})).await;
        rule(&bob, json!({"name": "Semua", "triggers": ["."], "match_type": "regex", "reply": "Otomatis Bob"})).await;
        // Ana writes to Bob's number; the two bots answer each other.
        expect_json(ana.post("/api/messages", json!({"outlet_id": a, "to": "081200000002", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        wait_replies(&ana, a, 6).await;
        wait_replies(&bob, b, 5).await;
        // Once every message of the loop is sent, it is in the other device's queue (the sim
        // hands it over before it reports the send).
        for (s, o) in [(&ana, a), (&bob, b)] {
            for m in outgoing(s, o).await {
                wait_message(s, m["id"].as_i64().unwrap(), "read").await;
            }
        }
        // A third number writes to both: its answers come after every reply of the loop.
        inbound(&ana, a, "081311110009", "halo").await;
        inbound(&bob, b, "081311110009", "halo").await;
        let to = |m: &Value| m["peer"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (ours, theirs) = (outgoing(&ana, a).await, outgoing(&bob, b).await);
            if ours.iter().any(|m| to(m) == "+6281311110009") && theirs.iter().any(|m| to(m) == "+6281311110009") {
                let count = |l: &[Value], peer: &str| l.iter().filter(|m| to(m) == peer && m["origin"] == "auto_reply").count();
                assert_eq!(count(&ours, "+6281200000002"), 5, "Ana's bot stopped at the cap");
                assert_eq!(count(&theirs, "+6281200000001"), 5, "Bob's bot stopped at the cap");
                break;
            }
            assert!(Instant::now() < deadline, "the third number was never answered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.stop().await;
    }

    async fn opted_out_and_blocked_contacts_get_nothing(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        ping_rule(&s).await;
        rule(&s, json!({"name": "Semua", "triggers": ["."], "match_type": "regex", "priority": 10, "reply": "Otomatis"})).await;
        let c = expect_json(s.post("/api/contacts", json!({"name": "Budi", "wa_number": "081311110002"})).await, StatusCode::CREATED).await;
        expect_json(s.patch(&format!("/api/contacts/{}", c["id"]), json!({"blocked": true})).await, StatusCode::OK).await;
        inbound(&s, o, "081311110001", "STOP").await;
        inbound(&s, o, "081311110001", "harga").await;
        inbound(&s, o, "081311110002", "harga").await;
        assert_eq!(barrier(&s, o, "081311110003").await, ["pong"]);
        app.stop().await;
    }

    async fn a_template_answers_with_its_image_first(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        let body = json!({"name": "Katalog", "body": "Katalog {{outlet}}", "caption_mode": "separate"});
        let t = expect_json(s.post("/api/templates", body).await, StatusCode::CREATED).await;
        let file = reqwest::multipart::Part::bytes(&b"\x89PNG\r\n\x1a\nkatalog"[..]).file_name("katalog.png");
        let put = s.client.put(format!("{}/api/templates/{}/media", s.base, t["id"])).header("x-csrf-token", &s.csrf);
        let put = put.multipart(reqwest::multipart::Form::new().part("file", file)).send().await.unwrap();
        expect_json(put, StatusCode::OK).await;
        rule(&s, json!({"name": "Katalog", "triggers": ["katalog"], "template_id": t["id"]})).await;
        inbound(&s, o, "081311110001", "minta katalog").await;
        wait_replies(&s, o, 2).await;
        let sent = outgoing(&s, o).await;
        let shape = |m: &Value| (m["kind"].as_str().map(str::to_string), m["body"].as_str().map(str::to_string), m["origin"].clone());
        assert_eq!(shape(&sent[0]), (Some("image".into()), Some(String::new()), json!("auto_reply")));
        assert_eq!(shape(&sent[1]), (Some("text".into()), Some("Katalog Outlet".into()), json!("auto_reply")));
        wait_message(&s, sent[1]["id"].as_i64().unwrap(), "read").await;
        assert_eq!(wait_message(&s, sent[0]["id"].as_i64().unwrap(), "read").await["media_mime"], "image/png");
        let used = expect_json(s.get(&format!("/api/templates/{}", t["id"])).await, StatusCode::OK).await;
        assert_eq!(used["usage_count"], 1);
        app.stop().await;
    }

    async fn the_tester_answers_with_the_rendered_reply_and_writes_nothing(db) {
        let app = TestApp::start(db).await;
        let (s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        let c = expect_json(s.post("/api/contacts", json!({"name": "Sari", "wa_number": "081311110001"})).await, StatusCode::CREATED).await;
        let t = expect_json(s.post("/api/templates", json!({"name": "Harga", "body": "Halo {{name}}, harga di {{outlet}}"})).await, StatusCode::CREATED).await;
        let r = rule(&s, json!({"name": "Harga", "triggers": ["harga"], "template_id": t["id"]})).await;
        let got = test(&s, json!({"text": "Harga?", "outlet_id": o, "contact_id": c["id"]})).await;
        assert_eq!(got["rule_id"], r["id"]);
        assert_eq!((got["trigger"].as_str(), got["reply"].as_str()), (Some("harga"), Some("Halo Sari, harga di Outlet")));
        let none = test(&s, json!({"text": "apa kabar"})).await;
        assert_eq!((none["rule_id"].clone(), none["reply"].clone()), (Value::Null, Value::Null));
        assert_eq!(expect_error(s.post("/api/auto-replies/test", json!({"text": " "})).await, StatusCode::UNPROCESSABLE_ENTITY).await["field"], "text");
        let kept = expect_json(s.get(&format!("/api/auto-replies/{}", r["id"])).await, StatusCode::OK).await;
        assert_eq!(kept["trigger_count"], 0);
        assert_eq!(expect_json(s.get("/api/messages").await, StatusCode::OK).await["total"], 0);
        // Switching the rule to a text drops the template.
        let changed = expect_json(s.patch(&format!("/api/auto-replies/{}", r["id"]), json!({"reply": "Cek katalog"})).await, StatusCode::OK).await;
        assert_eq!((changed["reply"].as_str(), changed["template_id"].clone()), (Some("Cek katalog"), Value::Null));
        app.stop().await;
    }
}
