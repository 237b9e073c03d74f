//! Chatbot flows through `/api/chatbots`, driven by sandbox inbound messages on the sim engine.
//! "Nothing was answered" is checked behind a barrier as in `auto_replies.rs`: a `ping` from
//! another number that a rule answers `pong`; the automations worker takes inbound messages of
//! a device in order, so once the `pong` is written a reply to any earlier message would be too.
//! No prompt ends with "?": a simulated customer answers questions, which would be an answer.

use crate::helpers::*;
use domain::{Clock, Role, UserId};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::both_backends;

const BARRIER: &str = "081399999999";

/// Asks a name and a choice (1/2), branches on it and ends; started by "daftar".
fn flow(name: &str) -> Value {
    json!({
        "name": name, "active": true,
        "trigger": {"type": "keywords", "keywords": ["daftar"]},
        "steps": [
            {"id": "nama", "type": "ask", "prompt": "Tulis nama Anda", "variable": "nama", "next": "pilih"},
            {"id": "pilih", "type": "ask", "prompt": "Halo {{nama}}, ketik 1 (promo) atau 2 (alamat)", "variable": "pilihan",
             "validation": {"type": "options", "options": ["1", "2"]}, "retry_message": "Ketik 1 atau 2 ya", "max_retries": 2,
             "next": "cabang"},
            {"id": "cabang", "type": "branch", "cases": [{"op": "equals", "value": "1", "next": "promo"}], "otherwise": "alamat"},
            {"id": "promo", "type": "end", "message": "Promo untuk {{nama}}: diskon 10%"},
            {"id": "alamat", "type": "end", "message": "Alamat kami di Bandung"}
        ]
    })
}

async fn create(s: &Session, body: Value) -> Value {
    expect_json(s.post("/api/chatbots", body).await, StatusCode::CREATED).await
}

async fn inbound(s: &Session, outlet: i64, from: &str, text: &str) {
    let path = format!("/api/sandbox/outlets/{outlet}/inbound");
    expect_json(s.post(&path, json!({"from": from, "text": text})).await, StatusCode::ACCEPTED).await;
}

/// The outlet's outgoing messages, oldest first.
async fn outgoing(s: &Session, outlet: i64) -> Vec<Value> {
    let path = format!("/api/messages?direction=out&outlet_id={outlet}&per_page=200");
    let mut items = expect_json(s.get(&path).await, StatusCode::OK).await["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

/// The texts sent to `to`, oldest first.
async fn replies_to(s: &Session, outlet: i64, to: &str) -> Vec<String> {
    let peer = format!("+62{}", &to[1..]);
    outgoing(s, outlet)
        .await
        .iter()
        .filter(|m| m["peer"] == peer.as_str())
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until `to` got `n` replies; panics with them after 15 s.
async fn wait_replies(s: &Session, outlet: i64, to: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = replies_to(s, outlet, to).await;
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "expected {n} replies to {to}, got {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every earlier inbound message of the outlet has been handled once this returns.
async fn barrier(s: &Session, outlet: i64) {
    let pongs = replies_to(s, outlet, BARRIER).await.len();
    inbound(s, outlet, BARRIER, "ping").await;
    wait_replies(s, outlet, BARRIER, pongs + 1).await;
}

/// A user with a connected sim outlet and the barrier's `ping` rule.
async fn owner(app: &TestApp, email: &str, number: &str) -> (UserId, Session, i64) {
    let (id, s) = app.as_new(email, Role::User).await;
    let o = create_outlet(&s, "Outlet", "Bandung", number).await;
    pair_sim(app, &s, o).await;
    let ping = json!({"name": "Ping", "triggers": ["ping"], "match_type": "exact", "priority": 0, "reply": "pong"});
    expect_json(s.post("/api/auto-replies", ping).await, StatusCode::CREATED).await;
    (id, s, o)
}

/// A tracking service: `/track/{resi}` answers `{"data": {"status": "dikirim"}}`.
#[allow(clippy::disallowed_methods)] // a test server, not our API
async fn tracking_server() -> String {
    let app = axum::Router::new().route(
        "/track/{resi}",
        axum::routing::get(|axum::extract::Path(resi): axum::extract::Path<String>| async move {
            axum::Json(json!({"data": {"status": "dikirim", "resi": resi}}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn counts(app: &TestApp, owner: UserId) -> (i64, i64, i64) {
    let c = app.store.chatbot_counts(Some(owner), app.clock.now()).await.unwrap();
    (c.total, c.active, c.active_sessions)
}

both_backends! {
    async fn a_flow_asks_retries_branches_and_ends(db) {
        let app = TestApp::start(db).await;
        let (ana, s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        create(&s, flow("Daftar")).await;
        let c = "081311110001";
        for text in ["Daftar", "Ana", "3", "1"] {
            inbound(&s, o, c, text).await;
        }
        let got = wait_replies(&s, o, c, 4).await;
        assert_eq!(got, ["Tulis nama Anda", "Halo Ana, ketik 1 (promo) atau 2 (alamat)", "Ketik 1 atau 2 ya", "Promo untuk Ana: diskon 10%"]);
        let sent = outgoing(&s, o).await;
        assert!(sent.iter().filter(|m| m["body"] != "pong").all(|m| m["origin"] == "chatbot"), "{sent:?}");
        // The conversation is over: the next message is no answer to anything.
        inbound(&s, o, c, "2").await;
        barrier(&s, o).await;
        assert_eq!(replies_to(&s, o, c).await.len(), 4);
        let list = expect_json(s.get("/api/chatbots/sessions?status=closed").await, StatusCode::OK).await;
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["items"][0]["variables"]["nama"], "Ana");
        // The other branch.
        let d = "081311110002";
        for text in ["daftar", "Dewi", "2"] {
            inbound(&s, o, d, text).await;
        }
        assert_eq!(wait_replies(&s, o, d, 3).await[2], "Alamat kami di Bandung");
        assert_eq!(counts(&app, ana).await, (1, 1, 2), "two conversations active in the last 30 minutes");
        app.stop().await;
    }

    async fn sessions_expire_end_on_the_keyword_and_are_handed_over_when_the_phone_replies(db) {
        let app = TestApp::start(db).await;
        let (ana, s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        create(&s, flow("Daftar")).await;
        let c = "081311110001";
        inbound(&s, o, c, "daftar").await;
        wait_replies(&s, o, c, 1).await;
        assert_eq!(counts(&app, ana).await.2, 1);
        // 31 minutes of silence: the conversation expired; "Budi" answers nothing.
        app.clock.advance_secs(31 * 60);
        assert_eq!(counts(&app, ana).await.2, 0, "no activity in the last 30 minutes");
        let s = app.login("ana@shop.id").await;
        inbound(&s, o, c, "Budi").await;
        barrier(&s, o).await;
        assert_eq!(replies_to(&s, o, c).await.len(), 1);
        inbound(&s, o, c, "daftar").await;
        inbound(&s, o, c, "Budi").await;
        let got = wait_replies(&s, o, c, 3).await;
        assert_eq!(got[1..], ["Tulis nama Anda", "Halo Budi, ketik 1 (promo) atau 2 (alamat)"], "started afresh");
        // The end keyword closes it: "1" is then no answer.
        inbound(&s, o, c, "#SELESAI").await;
        inbound(&s, o, c, "1").await;
        barrier(&s, o).await;
        assert_eq!(replies_to(&s, o, c).await.len(), 3, "{:?}", replies_to(&s, o, c).await);

        // A person answers from the phone: the bot stays quiet for the hand-over minutes (60).
        let d = "081311110002";
        inbound(&s, o, d, "daftar").await;
        wait_replies(&s, o, d, 1).await;
        let mut events = s.get("/api/events").await;
        let path = format!("/api/sandbox/outlets/{o}/inbound");
        let from_phone = json!({"from": d, "text": "Halo kak, saya bantu ya", "from_me": true});
        expect_json(s.post(&path, from_phone).await, StatusCode::ACCEPTED).await;
        let mut seen = String::new();
        while !seen.contains("event: chatbot.handed_over") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk()).await.expect("in time").unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(seen.contains("\"peer\":\"+6281311110002\""), "the owner hears of it: {seen}");
        drop(events);
        inbound(&s, o, d, "Dewi").await;
        inbound(&s, o, d, "daftar").await;
        barrier(&s, o).await;
        assert_eq!(replies_to(&s, o, d).await.len(), 1, "quiet while handed over");
        let handed = expect_json(s.get("/api/chatbots/sessions?status=handed_over").await, StatusCode::OK).await;
        assert_eq!(handed["total"], 1, "{handed}");
        app.clock.advance_secs(61 * 60);
        let s = app.login("ana@shop.id").await;
        inbound(&s, o, d, "daftar").await;
        assert_eq!(wait_replies(&s, o, d, 2).await[1], "Tulis nama Anda", "the bot is back");

        // The controls: hand over now, give back, close.
        let sessions = expect_json(s.get("/api/chatbots/sessions?status=active").await, StatusCode::OK).await;
        let id = sessions["items"][0]["id"].as_i64().unwrap();
        let over = expect_json(s.post(&format!("/api/chatbots/sessions/{id}/hand-over?minutes=5"), json!({})).await, StatusCode::OK).await;
        assert_eq!(over["status"], "handed_over");
        inbound(&s, o, d, "Dewi").await;
        barrier(&s, o).await;
        assert_eq!(replies_to(&s, o, d).await.len(), 2);
        let back = expect_json(s.post(&format!("/api/chatbots/sessions/{id}/resume"), json!({})).await, StatusCode::OK).await;
        assert_eq!(back["status"], "active");
        inbound(&s, o, d, "Dewi").await;
        assert_eq!(wait_replies(&s, o, d, 3).await[2], "Halo Dewi, ketik 1 (promo) atau 2 (alamat)");
        let closed = expect_json(s.post(&format!("/api/chatbots/sessions/{id}/close"), json!({})).await, StatusCode::OK).await;
        assert_eq!(closed["status"], "closed");
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        expect_error(bob.post(&format!("/api/chatbots/sessions/{id}/close"), json!({})).await, StatusCode::NOT_FOUND).await;
        app.stop().await;
    }

    async fn tenants_are_apart_and_a_replay_is_answered_once(db) {
        let app = TestApp::start(db).await;
        let (_, ana, a) = owner(&app, "ana@shop.id", "081200000001").await;
        let (_, bob, b) = owner(&app, "bob@shop.id", "081200000002").await;
        // Ana's flow has no outlets (all of hers) and answers any message.
        let mut any = flow("Semua");
        any["trigger"] = json!({"type": "any"});
        create(&ana, any).await;
        let c = "081311110001";
        inbound(&bob, b, c, "halo").await;
        barrier(&bob, b).await;
        assert!(replies_to(&bob, b, c).await.is_empty(), "Ana's flow never answers on Bob's outlet");

        let path = format!("/api/sandbox/outlets/{a}/inbound");
        let sent = expect_json(ana.post(&path, json!({"from": c, "text": "halo"})).await, StatusCode::ACCEPTED).await;
        wait_replies(&ana, a, c, 1).await;
        let again = json!({"from": c, "text": "halo", "message_id": sent["message_id"]});
        expect_json(ana.post(&path, again).await, StatusCode::ACCEPTED).await;
        inbound(&ana, a, c, "Ana").await;
        let got = wait_replies(&ana, a, c, 2).await;
        barrier(&ana, a).await;
        let inbox = expect_json(ana.get(&format!("/api/messages?direction=in&outlet_id={a}")).await, StatusCode::OK).await;
        let inbox: Vec<String> = inbox["items"].as_array().unwrap().iter().map(|m| format!("{} {} {}", m["id"], m["peer"], m["body"])).collect();
        assert_eq!(got, ["Tulis nama Anda", "Halo Ana, ketik 1 (promo) atau 2 (alamat)"], "the replay was not answered; inbox {inbox:?}");
        assert_eq!(replies_to(&ana, a, c).await.len(), 2, "{:?}", replies_to(&ana, a, c).await);
        app.stop().await;
    }

    async fn flows_are_checked_kept_counted_and_simulated(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let refuse = |steps: Value| {
            let s = &s;
            async move {
                let body = json!({"name": "X", "trigger": {"type": "any"}, "steps": steps});
                expect_error(s.post("/api/chatbots", body).await, StatusCode::UNPROCESSABLE_ENTITY).await
            }
        };
        let lost = refuse(json!([{"id": "a", "type": "end"}, {"id": "hilang", "type": "send", "text": "x"}])).await;
        assert_eq!(lost["field"], "steps");
        assert!(lost["message"].as_str().unwrap().contains("'hilang'"), "{lost}");
        let nowhere = refuse(json!([{"id": "a", "type": "send", "text": "x", "next": "zzz"}])).await;
        let m = nowhere["message"].as_str().unwrap();
        assert!(m.contains("'a'") && m.contains("'zzz'"), "{nowhere}");
        let spin = refuse(json!([{"id": "a", "type": "send", "text": "x", "next": "b"},
            {"id": "b", "type": "set_variable", "variable": "v", "value": "1", "next": "a"}])).await;
        assert!(spin["message"].as_str().unwrap().contains("'a'"), "{spin}");
        let unknown = refuse(json!([{"id": "a", "type": "end", "mesage": "typo"}])).await;
        assert!(unknown["message"].as_str().unwrap().contains("mesage"), "{unknown}");
        let bad_regex = refuse(json!([{"id": "q", "type": "ask", "prompt": "?", "variable": "v",
            "validation": {"type": "regex", "pattern": "(x"}}])).await;
        assert!(bad_regex["message"].as_str().unwrap().contains("'q'"), "{bad_regex}");

        // Counters follow each change.
        let mut off = flow("Daftar");
        off["active"] = json!(false);
        let bot = create(&s, off).await;
        let id = bot["id"].as_i64().unwrap();
        assert_eq!(counts(&app, ana).await, (1, 0, 0));
        expect_json(s.post(&format!("/api/chatbots/{id}/activate"), json!({})).await, StatusCode::OK).await;
        assert_eq!(counts(&app, ana).await, (1, 1, 0));
        let copy = expect_json(s.post(&format!("/api/chatbots/{id}/duplicate"), json!({})).await, StatusCode::CREATED).await;
        assert_eq!((copy["name"].as_str(), copy["active"].as_bool()), (Some("Daftar (copy)"), Some(false)));
        assert_eq!(counts(&app, ana).await, (2, 1, 0));
        expect_json(s.post(&format!("/api/chatbots/{id}/deactivate"), json!({})).await, StatusCode::OK).await;
        assert_eq!(counts(&app, ana).await, (2, 0, 0));
        let exported = expect_json(s.get(&format!("/api/chatbots/{id}/export")).await, StatusCode::OK).await;
        let mut imported = exported.clone();
        imported["name"] = json!("Impor");
        imported["active"] = json!(true);
        let new = expect_json(s.post("/api/chatbots/import", imported).await, StatusCode::CREATED).await;
        assert_eq!(new["steps"], exported["steps"]);
        assert_eq!(counts(&app, ana).await, (3, 1, 0));
        assert_eq!(s.delete(&format!("/api/chatbots/{}", new["id"])).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(s.delete(&format!("/api/chatbots/{}", copy["id"])).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(counts(&app, ana).await, (1, 0, 0));
        expect_error(s.post("/api/chatbots", flow("daftar")).await, StatusCode::CONFLICT).await;
        let renamed = expect_json(s.patch(&format!("/api/chatbots/{id}"), json!({"name": "Pendaftaran"})).await, StatusCode::OK).await;
        assert_eq!(renamed["name"], "Pendaftaran");

        // The simulator: a saved flow and one being edited; nothing is written.
        let sim = json!({"chatbot_id": id, "messages": ["daftar", "Ana", "3", "2"]});
        let got = expect_json(s.post("/api/chatbots/simulate", sim).await, StatusCode::OK).await;
        let texts: Vec<&str> = got["turns"].as_array().unwrap().iter().map(|t| t["replies"][0]["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["Tulis nama Anda", "Halo Ana, ketik 1 (promo) atau 2 (alamat)", "Ketik 1 atau 2 ya", "Alamat kami di Bandung"]);
        assert_eq!((got["variables"]["nama"].as_str(), got["variables"]["pilihan"].as_str()), (Some("Ana"), Some("2")));
        let draft = json!({"flow": flow("Draf"), "messages": ["halo", "Ana"]});
        let got = expect_json(s.post("/api/chatbots/simulate", draft).await, StatusCode::OK).await;
        assert_eq!(got["waiting_step"], "pilih");
        assert_eq!(expect_json(s.get("/api/chatbots").await, StatusCode::OK).await["total"], 1, "the draft was not saved");
        assert_eq!(expect_json(s.get("/api/chatbots/sessions").await, StatusCode::OK).await["total"], 0);

        // Another tenant sees none of it; monitoring is refused.
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        expect_error(bob.get(&format!("/api/chatbots/{id}")).await, StatusCode::NOT_FOUND).await;
        expect_error(bob.post("/api/chatbots/simulate", json!({"chatbot_id": id, "messages": ["x"]})).await, StatusCode::NOT_FOUND).await;
        let (_, monitor) = app.as_new("eye@shop.id", Role::Monitoring).await;
        expect_error(monitor.get("/api/chatbots").await, StatusCode::FORBIDDEN).await;
        app.stop().await;
    }

    async fn an_http_call_fills_variables_a_delay_waits_for_the_clock_and_the_hand_over_is_announced(db) {
        let app = TestApp::start_with(db, |c| c.webhooks_allow_private = true).await;
        let (_, s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        let base = tracking_server().await;
        create(&s, json!({
            "name": "Lacak", "active": true, "trigger": {"type": "keywords", "keywords": ["cek"]},
            "steps": [
                {"id": "resi", "type": "ask", "prompt": "Tulis nomor resi", "variable": "resi", "next": "lacak"},
                {"id": "lacak", "type": "http", "url": format!("{base}/track/{{{{resi}}}}"), "timeout_secs": 5,
                 "save": [{"pointer": "/data/status", "variable": "status"}], "next": "kabar", "on_error": "gagal"},
                {"id": "kabar", "type": "send", "text": "Resi {{resi}}: {{status}}", "next": "tunggu"},
                {"id": "tunggu", "type": "delay", "seconds": 120, "next": "serah"},
                {"id": "serah", "type": "hand_over", "message": "Admin kami segera membantu", "minutes": 10},
                {"id": "gagal", "type": "end", "message": "Maaf, coba lagi nanti"}
            ]
        })).await;
        let mut events = s.get("/api/events").await;
        let c = "081311110001";
        inbound(&s, o, c, "cek").await;
        inbound(&s, o, c, "AB123").await;
        assert_eq!(wait_replies(&s, o, c, 2).await, ["Tulis nomor resi", "Resi AB123: dikirim"]);
        // The delay waits for the clock, not for real time: the worker looks for due delays
        // every second, so a second and a half covers at least one look.
        barrier(&s, o).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(replies_to(&s, o, c).await.len(), 2, "still waiting");
        app.clock.advance_secs(121);
        assert_eq!(wait_replies(&s, o, c, 3).await[2], "Admin kami segera membantu");
        let mut seen = String::new();
        while !seen.contains("event: chatbot.handed_over") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk()).await.expect("in time").unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(seen.contains("\"peer\":\"+6281311110001\"") && !seen.contains("owner_id"), "{seen}");
        let handed = expect_json(s.get("/api/chatbots/sessions?status=handed_over").await, StatusCode::OK).await;
        assert_eq!(handed["items"][0]["variables"]["status"], "dikirim", "{handed}");
        inbound(&s, o, c, "halo?").await;
        barrier(&s, o).await;
        assert_eq!(replies_to(&s, o, c).await.len(), 3, "quiet after the hand-over step");
        app.stop().await;
    }

    async fn a_first_message_flow_greets_a_new_number_once_with_a_template_and_its_image(db) {
        let app = TestApp::start(db).await;
        let (_, s, o) = owner(&app, "ana@shop.id", "081200000001").await;
        let body = json!({"name": "Sambutan", "body": "Selamat datang di {{outlet}}", "caption_mode": "caption"});
        let t = expect_json(s.post("/api/templates", body).await, StatusCode::CREATED).await;
        let file = reqwest::multipart::Part::bytes(&b"\x89PNG\r\n\x1a\nsambutan"[..]).file_name("sambutan.png");
        let put = s.client.put(format!("{}/api/templates/{}/media", s.base, t["id"])).header("x-csrf-token", &s.csrf);
        let put = put.multipart(reqwest::multipart::Form::new().part("file", file)).send().await.unwrap();
        expect_json(put, StatusCode::OK).await;
        // A number that wrote before the flow existed is no new number.
        inbound(&s, o, "081311110002", "halo").await;
        barrier(&s, o).await;
        create(&s, json!({"name": "Sambutan", "active": true, "trigger": {"type": "first"},
            "steps": [{"id": "sapa", "type": "send", "template_id": t["id"], "next": "akhir"},
                      {"id": "akhir", "type": "end", "message": "Ketik menu untuk melihat menu"}]})).await;

        inbound(&s, o, "081311110001", "permisi").await;
        inbound(&s, o, "081311110001", "permisi lagi").await;
        inbound(&s, o, "081311110002", "halo lagi").await;
        barrier(&s, o).await;
        let sent: Vec<Value> = outgoing(&s, o).await.into_iter().filter(|m| m["peer"] == "+6281311110001").collect();
        let shape = |m: &Value| (m["kind"].clone(), m["body"].clone(), m["origin"].clone());
        assert_eq!(sent.len(), 2, "greeted once: {sent:?}");
        assert_eq!(shape(&sent[0]), (json!("image"), json!("Selamat datang di Outlet"), json!("chatbot")));
        assert_eq!(shape(&sent[1]), (json!("text"), json!("Ketik menu untuk melihat menu"), json!("chatbot")));
        assert_eq!(wait_message(&s, sent[0]["id"].as_i64().unwrap(), "read").await["media_mime"], "image/png");
        assert!(replies_to(&s, o, "081311110002").await.is_empty(), "not a new number");
        app.stop().await;
    }

    async fn two_flows_answering_each_other_stop_at_the_cap(db) {
        let app = TestApp::start(db).await;
        let (_, ana, a) = owner(&app, "ana@shop.id", "081200000001").await;
        let (_, bob, b) = owner(&app, "bob@shop.id", "081200000002").await;
        for (s, name) in [(&ana, "Ana"), (&bob, "Bob")] {
            create(s, json!({"name": "Semua", "active": true, "trigger": {"type": "any"},
                "steps": [{"id": "a", "type": "end", "message": format!("Otomatis {name}")}]})).await;
        }
        expect_json(ana.post("/api/messages", json!({"outlet_id": a, "to": "081200000002", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        wait_replies(&ana, a, "081200000002", 6).await;
        wait_replies(&bob, b, "081200000001", 5).await;
        // Every message of the loop reached the other device before it was read.
        for (s, o) in [(&ana, a), (&bob, b)] {
            for m in outgoing(s, o).await {
                wait_message(s, m["id"].as_i64().unwrap(), "read").await;
            }
        }
        barrier(&ana, a).await;
        barrier(&bob, b).await;
        assert_eq!(replies_to(&ana, a, "081200000002").await.len(), 6, "Halo and 5 automatic replies");
        assert_eq!(replies_to(&bob, b, "081200000001").await.len(), 5, "5 automatic replies a minute to a number");
        app.stop().await;
    }
}
