//! Integrations end to end: sandbox events are forwarded by the real worker, through the real
//! clients, to local stand-ins that speak Telegram's, Discord's, Slack's and SMTP's formats
//! (`providers.rs`).

use crate::helpers::*;
use crate::providers::{Answer, Kind, Provider, SmtpServer};
use domain::{Clock, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::both_backends;

const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

/// An app that may reach the stand-ins on 127.0.0.1, with Telegram's API at `telegram`.
async fn app_with(db: &store::testing::TestDb, telegram: &Provider) -> TestApp {
    let base = telegram.base();
    TestApp::start_with(db, move |c| {
        c.webhooks_allow_private = true;
        c.telegram_api_url = base;
    })
    .await
}

async fn integration(s: &Session, body: Value) -> Value {
    expect_json(s.post("/api/integrations", body).await, StatusCode::CREATED).await["integration"].clone()
}

fn telegram(name: &str) -> Value {
    json!({"name": name, "channel": {"type": "telegram", "bot_token": TOKEN, "chat_id": "-1001234567890"}})
}

/// Polls an integration's log until `check` holds for its newest forward.
async fn wait_log(s: &Session, id: i64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = expect_json(s.get(&format!("/api/integrations/{id}/log")).await, StatusCode::OK).await;
        if log["items"].get(0).is_some_and(&check) {
            return log["items"][0].clone();
        }
        assert!(Instant::now() < deadline, "the log never showed {what}: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every forward in the log is delivered or failed, and there are `n`. The worker
/// sends only from the log and never sends a finished forward again: once this holds, nothing
/// more can arrive at a provider.
async fn settled(s: &Session, id: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = expect_json(s.get(&format!("/api/integrations/{id}/log?per_page=200")).await, StatusCode::OK).await;
        let items = log["items"].as_array().unwrap().clone();
        if items.len() == n && items.iter().all(|f| f["status"] == "delivered" || f["status"] == "failed") {
            return items;
        }
        assert!(Instant::now() < deadline, "the log never settled at {n}: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn an_inbound_message_reaches_telegram_discord_slack_and_email_in_their_formats(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let discord = Provider::start(Kind::Discord).await;
        let slack = Provider::start(Kind::Slack).await;
        let smtp = SmtpServer::start().await;
        let app = app_with(db, &tg).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let jkt = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, jkt).await;
        let t = integration(&s, telegram("Grup admin")).await;
        assert_eq!((t["type"].as_str(), t["settings"]["chat_id"].as_str()), (Some("telegram"), Some("-1001234567890")));
        assert_eq!(t["secret_hint"], "…Dsaw", "the token is never shown again");
        assert!(!t.to_string().contains(TOKEN));
        let d = integration(&s, json!({"name": "Discord", "channel": {"type": "discord",
            "webhook_url": format!("{}/api/webhooks/1/discord-token", discord.base())}})).await;
        let k = integration(&s, json!({"name": "Slack", "channel": {"type": "slack",
            "webhook_url": format!("{}/services/T0/B0/slack-secret", slack.base())}})).await;
        let e = integration(&s, json!({"name": "E-mail", "channel": {"type": "email", "host": "127.0.0.1", "port": smtp.addr.port(),
            "tls": "none", "from": "kewhats@toko.id", "to": ["pemilik@toko.id", "admin@toko.id"]}})).await;
        assert!(!k.to_string().contains("slack-secret") && !d.to_string().contains("discord-token"));

        // Another tenant's message reaches none of them.
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        let bdg = create_outlet(&bob, "Roti Bandung", "Bandung", "081200000002").await;
        pair_sim(&app, &bob, bdg).await;
        assert_eq!(bob.get(&format!("/api/integrations/{}", t["id"])).await.status(), StatusCode::NOT_FOUND);
        expect_json(bob.post(&format!("/api/sandbox/outlets/{bdg}/inbound"), json!({"from": "081311110009", "text": "Roti ada?"})).await, StatusCode::ACCEPTED).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), json!({"from": "081311110001", "text": "Kak, masih buka?"})).await, StatusCode::ACCEPTED).await;

        let calls = tg.wait_until("the message", |c| !c.is_empty()).await;
        assert_eq!(calls[0].uri, format!("/bot{TOKEN}/sendMessage"));
        assert_eq!(calls[0].body["chat_id"], "-1001234567890");
        assert_eq!(calls[0].body["text"], "New message · Kopi Jakarta\n+6281311110001: Kak, masih buka?");
        let calls = discord.wait_until("the message", |c| !c.is_empty()).await;
        assert_eq!(calls[0].uri, "/api/webhooks/1/discord-token?wait=true");
        let embed = &calls[0].body["embeds"][0];
        assert_eq!((embed["title"].as_str(), embed["description"].as_str()), (Some("New message · Kopi Jakarta"), Some("+6281311110001: Kak, masih buka?")));
        assert_eq!(calls[0].body["allowed_mentions"], json!({"parse": []}));
        let calls = slack.wait_until("the message", |c| !c.is_empty()).await;
        assert_eq!(calls[0].uri, "/services/T0/B0/slack-secret");
        assert_eq!(calls[0].body["text"], "New message · Kopi Jakarta: +6281311110001: Kak, masih buka?");
        assert_eq!(calls[0].body["blocks"][0]["type"], "section");
        assert_eq!(calls[0].body["blocks"][0]["text"]["text"], "*New message · Kopi Jakarta*\n+6281311110001: Kak, masih buka?");
        let mails = smtp.wait_for(1).await;
        assert_eq!(mails[0].from, "kewhats@toko.id");
        assert_eq!(mails[0].to, ["pemilik@toko.id", "admin@toko.id"]);
        assert!(mails[0].data.contains("+6281311110001: Kak, masih buka?"), "{}", mails[0].data);
        assert!(mails[0].data.contains("Subject: "), "{}", mails[0].data);

        for i in [&t, &d, &k, &e] {
            let id = i["id"].as_i64().unwrap();
            let log = settled(&s, id, 1).await;
            assert_eq!((log[0]["event"].as_str(), log[0]["status"].as_str()), (Some("message.received"), Some("delivered")));
            let now = expect_json(s.get(&format!("/api/integrations/{id}")).await, StatusCode::OK).await;
            assert_eq!(now["status"], "connected");
        }
        // Bob's message went nowhere: each stand-in got exactly Ana's one.
        assert_eq!((tg.calls().len(), discord.calls().len(), slack.calls().len(), smtp.mails().len()), (1, 1, 1, 1));
        let counts = app.store.integration_counts(Some(ana)).await.unwrap();
        assert_eq!(counts.iter().map(|c| (c.kind.as_str(), c.total, c.active)).collect::<Vec<_>>(),
            [("discord", 1, 1), ("email", 1, 1), ("slack", 1, 1), ("telegram", 1, 1)]);
        // Paused: counted as inactive, and nothing more is forwarded to it.
        expect_json(s.patch(&format!("/api/integrations/{}", k["id"]), json!({"active": false})).await, StatusCode::OK).await;
        let counts = app.store.integration_counts(None).await.unwrap();
        assert!(counts.iter().any(|c| c.kind.as_str() == "slack" && (c.total, c.active) == (1, 0)), "{counts:?}");
        app.stop().await;
    }

    async fn a_flood_wait_is_honoured_and_a_refused_token_fails_at_once_with_the_providers_words(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let discord = Provider::start(Kind::Discord).await;
        let app = app_with(db, &tg).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let t = integration(&s, telegram("Grup admin")).await["id"].as_i64().unwrap();

        // 429 with retry_after 30: tried again 30 s later by the clock, not before.
        tg.then(Answer::telegram_flood(30));
        let sent = app.clock.now();
        let queued = expect_json(s.post(&format!("/api/integrations/{t}/test"), json!({})).await, StatusCode::ACCEPTED).await;
        assert_eq!((queued["event"].as_str(), queued["status"].as_str()), (Some("integration.test"), Some("pending")));
        let waiting = wait_log(&s, t, "the retry", |f| f["attempts"] == 1 && f["status"] == "pending").await;
        assert_eq!(waiting["last_error"], "HTTP 429: Too Many Requests: retry after 30");
        let due = chrono_ms(&waiting["next_attempt_at"]);
        assert_eq!(due - sent.millis(), 30_000, "due exactly when Telegram said");
        // Telegram asked the bot to wait: another message to it waits as well.
        expect_json(s.post(&format!("/api/integrations/{t}/test"), json!({})).await, StatusCode::ACCEPTED).await;
        app.clock.advance_secs(29);
        app.store.forwards_waiting().notify_one();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(tg.calls().len(), 1, "not before its time");
        app.clock.advance_secs(1);
        app.store.forwards_waiting().notify_one();
        let log = settled(&s, t, 2).await;
        assert!(log.iter().all(|f| f["status"] == "delivered"), "{log:?}");
        assert_eq!(log[1]["attempts"], 2, "the first, once refused: {log:?}");
        assert_eq!(log[0]["attempts"], 1, "the second, held back rather than refused: {log:?}");
        let calls = tg.calls();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[1].body["text"], "kewhats test\nThis integration works: kewhats can send here.");

        // A token Discord refuses: failed at the first try, Discord's words in the log and on
        // the integration.
        discord.then(Answer::discord_bad_token());
        let d = integration(&s, json!({"name": "Discord", "channel": {"type": "discord",
            "webhook_url": format!("{}/api/webhooks/1/wrong", discord.base())}})).await["id"].as_i64().unwrap();
        expect_json(s.post(&format!("/api/integrations/{d}/test"), json!({})).await, StatusCode::ACCEPTED).await;
        let failed = wait_log(&s, d, "the failure", |f| f["status"] == "failed").await;
        assert_eq!((failed["attempts"].as_i64(), failed["last_error"].as_str()), (Some(1), Some("HTTP 401: Invalid Webhook Token")));
        let shown = expect_json(s.get(&format!("/api/integrations/{d}")).await, StatusCode::OK).await;
        assert_eq!((shown["status"].as_str(), shown["last_error"].as_str()), (Some("error"), Some("HTTP 401: Invalid Webhook Token")));
        // Slack's 429 says its wait in a header.
        let slack = Provider::start(Kind::Slack).await;
        slack.then(Answer::slack_rate_limited(5));
        let k = integration(&s, json!({"name": "Slack", "channel": {"type": "slack",
            "webhook_url": format!("{}/services/T0/B0/x", slack.base())}})).await["id"].as_i64().unwrap();
        let sent = app.clock.now();
        expect_json(s.post(&format!("/api/integrations/{k}/test"), json!({})).await, StatusCode::ACCEPTED).await;
        let waiting = wait_log(&s, k, "the retry", |f| f["attempts"] == 1 && f["status"] == "pending").await;
        assert_eq!(waiting["last_error"], "HTTP 429: rate_limited");
        assert_eq!(chrono_ms(&waiting["next_attempt_at"]) - sent.millis(), 5_000);
        app.clock.advance_secs(5);
        app.store.forwards_waiting().notify_one();
        wait_log(&s, k, "the delivery", |f| f["status"] == "delivered").await;
        // Telegram's own 401 reads the same way.
        tg.then(Answer::telegram_unauthorized());
        expect_json(s.post(&format!("/api/integrations/{t}/test"), json!({})).await, StatusCode::ACCEPTED).await;
        let failed = wait_log(&s, t, "the failure", |f| f["status"] == "failed").await;
        assert_eq!(failed["last_error"], "HTTP 401: Unauthorized");
        app.stop().await;
    }

    async fn a_restart_with_forwards_in_flight_loses_none_and_repeats_none(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let slack = Provider::start(Kind::Slack).await;
        slack.slow(Duration::from_millis(300));
        let app = app_with(db, &tg).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let k = integration(&s, json!({"name": "Slack", "channel": {"type": "slack",
            "webhook_url": format!("{}/services/T0/B0/x", slack.base())}})).await["id"].as_i64().unwrap();
        for n in 0..6 {
            let body = json!({"from": format!("08131111000{n}"), "text": format!("Pesan {n}")});
            expect_json(s.post(&format!("/api/sandbox/outlets/{o}/inbound"), body).await, StatusCode::ACCEPTED).await;
        }
        slack.wait_until("a send under way", |c| !c.is_empty()).await;
        app.stop().await;

        let app = app_with(db, &tg).await;
        let s = app.login("ana@shop.id").await;
        let log = settled(&s, k, 6).await;
        assert!(log.iter().all(|f| f["status"] == "delivered" && f["attempts"] == 1), "{log:?}");
        let mut texts: Vec<String> = slack.calls().iter().map(|c| c.body["text"].as_str().unwrap().to_string()).collect();
        texts.sort();
        let expected: Vec<String> =
            (0..6).map(|n| format!("New message · Kopi Jakarta: +628131111000{n}: Pesan {n}")).collect();
        assert_eq!(texts, expected, "each once");
        app.stop().await;
    }

    async fn every_event_an_integration_forwards_reaches_it_with_its_title(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let slack = Provider::start(Kind::Slack).await;
        let app = app_with(db, &tg).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let jkt = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        let jkt_device = pair_sim(&app, &s, jkt).await;
        let bdg = create_outlet(&s, "Kopi Bandung", "Bandung", "081200000002").await;
        pair_sim(&app, &s, bdg).await;
        let all = ["message.failed", "device.disconnected", "device.logged_out", "device.banned", "blast.finished", "chatbot.handed_over"];
        integration(&s, json!({"name": "Semua", "events": all, "channel": {"type": "slack",
            "webhook_url": format!("{}/services/T0/B0/x", slack.base())}})).await;
        let titled = |title: &'static str| move |calls: &[crate::providers::Call]| {
            calls.iter().any(|c| c.body["text"].as_str().unwrap_or("").starts_with(title))
        };
        let fault = |o: i64, body: Value| {
            let s = &s;
            async move { expect_json(s.post(&format!("/api/sandbox/outlets/{o}/fault"), body).await, StatusCode::ACCEPTED).await }
        };

        // A send WhatsApp refuses.
        fault(jkt, json!({"kind": "fail_sends", "count": 1})).await;
        expect_json(s.post("/api/messages", json!({"outlet_id": jkt, "to": "081311112222", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        slack.wait_until("the failed send", titled("Message not sent · Kopi Jakarta: To +6281311112222: ")).await;
        // A chatbot handing a customer over.
        create_flow(&s).await;
        expect_json(s.post(&format!("/api/sandbox/outlets/{jkt}/inbound"), json!({"from": "081311110001", "text": "admin"})).await, StatusCode::ACCEPTED).await;
        slack.wait_until("the hand-over", titled("A customer is waiting for a person · Kopi Jakarta: +6281311110001 is yours")).await;
        // A broadcast to one number finishing.
        let blast = json!({"name": "Promo", "body": "Halo", "outlet_ids": [jkt], "recipients": {"numbers": ["081311113333"]}, "start": "now"});
        expect_json(s.post("/api/blasts", blast).await, StatusCode::CREATED).await;
        slack.wait_until("the finished broadcast", titled("Broadcast finished: \"Promo\": 1 sent, 0 failed.")).await;
        // An outlet dropping, then logged out from the phone; another banned.
        fault(jkt, json!({"kind": "drop"})).await;
        slack.wait_until("the disconnection", titled("Outlet disconnected · Kopi Jakarta")).await;
        app.wait_status(jkt_device, domain::DeviceStatus::Connected).await;
        fault(jkt, json!({"kind": "logout_from_phone"})).await;
        slack.wait_until("the log-out", titled("Outlet logged out of WhatsApp · Kopi Jakarta")).await;
        fault(bdg, json!({"kind": "temporary_ban", "secs": 3600})).await;
        slack.wait_until("the ban", titled("Outlet's number banned by WhatsApp · Kopi Bandung")).await;
        // Inbound messages were not asked for: none of the customers' messages came.
        assert!(!slack.calls().iter().any(|c| c.body["text"].as_str().unwrap().starts_with("New message")));
        app.stop().await;
    }

    async fn channels_are_checked_when_saved_and_secrets_kept_when_left_out(db) {
        let tg = Provider::start(Kind::Telegram).await;
        let app = app_with(db, &tg).await;
        let (_, s) = app.as_new("ana@shop.id", Role::User).await;
        let refused = |body: Value| {
            let s = &s;
            async move { expect_json(s.post("/api/integrations", body).await, StatusCode::UNPROCESSABLE_ENTITY).await }
        };
        let bad = refused(json!({"name": "X", "channel": {"type": "telegram", "bot_token": "nope", "chat_id": "-100"}})).await;
        assert!(bad["error"]["message"].as_str().unwrap().contains("123456789:AA"), "{bad}");
        let bad = refused(json!({"name": "X", "channel": {"type": "telegram", "chat_id": "-100"}})).await;
        assert_eq!(bad["error"]["field"], "channel");
        let bad = refused(json!({"name": "X", "channel": {"type": "telegram", "bot_token": TOKEN, "chat_id": "grup saya"}})).await;
        assert_eq!(bad["error"]["field"], "channel");
        let bad = refused(json!({"name": "X", "events": ["integration.test"], "channel": {"type": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/x"}})).await;
        assert_eq!(bad["error"]["field"], "events");
        let bad = refused(json!({"name": "X", "format": "{{harga}}", "channel": {"type": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/x"}})).await;
        assert_eq!(bad["error"]["field"], "format");
        let bad = refused(json!({"name": "X", "channel": {"type": "email", "host": "smtp.toko.id", "from": "bukan-email", "to": ["a@toko.id"]}})).await;
        assert!(bad["error"]["message"].as_str().unwrap().contains("bukan-email"), "{bad}");

        // A custom webhook's signing secret is shown once.
        let created = expect_json(s.post("/api/integrations", json!({"name": "Hook", "channel": {"type": "webhook",
            "url": "https://example.com/hook"}})).await, StatusCode::CREATED).await;
        assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
        // A change without the token keeps it; a change of type is refused.
        let t = integration(&s, telegram("Grup")).await["id"].as_i64().unwrap();
        let changed = expect_json(s.patch(&format!("/api/integrations/{t}"),
            json!({"channel": {"type": "telegram", "chat_id": "@tokokopi"}, "events": ["message.failed", "device.banned"]})).await, StatusCode::OK).await;
        assert_eq!((changed["secret_hint"].as_str(), changed["settings"]["chat_id"].as_str()), (Some("…Dsaw"), Some("@tokokopi")));
        assert_eq!(changed["events"], json!(["message.failed", "device.banned"]));
        let bad = expect_json(s.patch(&format!("/api/integrations/{t}"), json!({"channel": {"type": "slack"}})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(bad["error"]["field"], "channel");
        // An e-mail integration pointed at another server needs its password again: the saved
        // one never follows a change of server.
        let mail = json!({"name": "Mail", "channel": {"type": "email", "host": "smtp.toko.id", "username": "kasir",
            "password": "rahasia", "from": "kasir@toko.id", "to": ["pemilik@toko.id"]}});
        let m = integration(&s, mail).await["id"].as_i64().unwrap();
        let moved = json!({"channel": {"type": "email", "host": "smtp.lain.id", "username": "kasir", "from": "kasir@toko.id", "to": ["pemilik@toko.id"]}});
        let bad = expect_json(s.patch(&format!("/api/integrations/{m}"), moved).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(bad["error"]["message"].as_str().unwrap().contains("password again"), "{bad}");
        let same = json!({"channel": {"type": "email", "host": "smtp.toko.id", "username": "kasir", "from": "kasir@toko.id", "to": ["baru@toko.id"]}});
        let kept = expect_json(s.patch(&format!("/api/integrations/{m}"), same).await, StatusCode::OK).await;
        assert_eq!((kept["secret_hint"].as_str(), kept["settings"]["to"][0].as_str()), (Some("••••••"), Some("baru@toko.id")));
        // Paused, a test is refused with a reason; deleted, it is gone.
        expect_json(s.patch(&format!("/api/integrations/{t}"), json!({"active": false})).await, StatusCode::OK).await;
        assert_eq!(s.post(&format!("/api/integrations/{t}/test"), json!({})).await.status(), StatusCode::CONFLICT);
        assert_eq!(s.delete(&format!("/api/integrations/{t}")).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(s.get(&format!("/api/integrations/{t}")).await.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

/// A flow that hands the customer who writes "admin" over to a person.
async fn create_flow(s: &Session) {
    let flow = json!({"name": "Admin", "active": true, "trigger": {"type": "keywords", "keywords": ["admin"]},
        "steps": [{"id": "alih", "type": "hand_over", "message": "Sebentar ya", "minutes": 30}]});
    expect_json(s.post("/api/chatbots", flow).await, StatusCode::CREATED).await;
}
