//! Plans: limits refused at the boundary with `plan_limit`, the monthly message quota taken
//! atomically and given back by a failed send, the free plan's footer, an admin's plan editor,
//! and a paid period that ends unpaid falling back to free (a scheduled blast then carries the
//! footer).

use crate::helpers::*;
use domain::policy::UserChange;
use domain::{BillingCycle, Clock, Plan, Role, SubscriptionStatus, UserId};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::{both_backends, Subscription};

const DAY: i64 = 24 * 3600;

async fn set_plan(app: &TestApp, user: UserId, plan: Plan) {
    let change = UserChange { plan: Some(plan), ..Default::default() };
    app.store.update_user(user, change, app.clock.now()).await.unwrap();
}

/// An admin's edit of one plan's limits (the rest as seeded).
async fn edit_limits(admin: &Session, code: &str, limits: Value) {
    let plans = expect_json(admin.get("/api/plans").await, StatusCode::OK).await;
    let plan = plans.as_array().unwrap().iter().find(|p| p["code"] == code).unwrap().clone();
    let mut merged = plan["limits"].clone();
    merged.as_object_mut().unwrap().extend(limits.as_object().unwrap().clone());
    let body = json!({"name": plan["name"], "price_monthly": plan["price_monthly"], "price_yearly": plan["price_yearly"],
        "limits": merged, "footer": plan["footer"]});
    let saved = expect_json(admin.put(&format!("/api/admin/plans/{code}"), body).await, StatusCode::OK).await;
    assert_eq!(saved["limits"], merged);
}

async fn refused(res: reqwest::Response, what: &str) -> String {
    let err = expect_error(res, StatusCode::PAYMENT_REQUIRED).await;
    assert_eq!(err["code"], "plan_limit", "{what}: {err}");
    err["message"].as_str().unwrap().to_string()
}

/// A client with an API key of the session's user: keys outlive the clock's jumps.
async fn keyed(s: &Session) -> Session {
    let key = expect_json(s.post("/api/keys", json!({"name": "plans"})).await, StatusCode::CREATED).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {}", key["secret"].as_str().unwrap()).parse().unwrap());
    let client = reqwest::Client::builder().default_headers(headers).build().unwrap();
    Session { client, csrf: String::new(), base: s.base.clone() }
}

async fn wait_body(s: &Session, peer: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = expect_json(s.get("/api/messages?direction=out&per_page=100").await, StatusCode::OK).await;
        if let Some(m) = out["items"].as_array().unwrap().iter().find(|m| m["peer"] == peer) {
            return m["body"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "no message to {peer}: {out}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn limits_refuse_at_the_boundary_and_a_downgrade_keeps_what_is_there(db) {
        let app = TestApp::start(db).await;
        let (_, admin) = app.as_new("admin@kewhats.id", Role::Admin).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        set_plan(&app, ana, Plan::Free).await;
        let seeded = expect_json(s.get("/api/plans").await, StatusCode::OK).await;
        let names: Vec<&str> = seeded.as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
        assert_eq!(names, ["free", "pro", "enterprise", "unlimited"]);
        let free = &seeded[0];
        assert_eq!((free["limits"]["outlets"].as_i64(), free["limits"]["messages_per_month"].as_i64()), (Some(1), Some(1500)));
        assert_eq!((seeded[1]["price_monthly"].as_i64(), seeded[1]["price_yearly"].as_i64()), (Some(20_000), Some(200_000)));
        assert!(seeded[3]["limits"]["contacts"].is_null(), "unlimited has no limit");

        // Free: one outlet; the second is refused, naming the limit, the plan and the way up.
        create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        let said = refused(s.post("/api/outlets", json!({"name": "Kopi Bandung", "wa_number": "081200000002"})).await, "outlet").await;
        for part in ["Free", "1 outlets", "/billing"] {
            assert!(said.contains(part), "{part} in {said}");
        }
        // Two webhooks, two API keys, five templates.
        for i in 0..2 {
            expect_json(s.post("/api/webhooks", json!({"url": format!("https://hooks.toko.id/{i}"), "events": ["message.status"]})).await, StatusCode::CREATED).await;
            expect_json(s.post("/api/keys", json!({"name": format!("kunci {i}")})).await, StatusCode::CREATED).await;
        }
        refused(s.post("/api/webhooks", json!({"url": "https://hooks.toko.id/3", "events": ["message.status"]})).await, "webhook").await;
        refused(s.post("/api/keys", json!({"name": "kunci 3"})).await, "key").await;
        for i in 0..5 {
            expect_json(s.post("/api/templates", json!({"name": format!("T{i}"), "body": "Halo"})).await, StatusCode::CREATED).await;
        }
        refused(s.post("/api/templates", json!({"name": "T5", "body": "Halo"})).await, "template").await;

        // The admin lowers free's contacts to 2: two are taken, the third refused, and an
        // import that would pass it is refused whole.
        let own = json!({"name": "Gratis", "price_monthly": 0, "price_yearly": 0, "limits": {}, "footer": ""});
        expect_error(s.put("/api/admin/plans/free", own).await, StatusCode::FORBIDDEN).await;
        edit_limits(&admin, "free", json!({"contacts": 2})).await;
        for n in ["081311110001", "081311110002"] {
            expect_json(s.post("/api/contacts", json!({"name": "Budi", "wa_number": n})).await, StatusCode::CREATED).await;
        }
        let said = refused(s.post("/api/contacts", json!({"name": "Citra", "wa_number": "081311110003"})).await, "contact").await;
        assert!(said.contains("2 contacts"), "{said}");
        let bad = json!({"name": "Free", "price_monthly": -1, "price_yearly": 0, "limits": {}, "footer": ""});
        let err = expect_error(admin.put("/api/admin/plans/free", bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err["field"], "price_monthly");
        let plan = expect_json(admin.get("/api/plans").await, StatusCode::OK).await[0].clone();
        assert_eq!((plan["price_monthly"].as_i64(), plan["limits"]["contacts"].as_i64()), (Some(0), Some(2)), "a refused edit changes nothing");

        // A downgrade deletes nothing: Bob's three outlets stay; a fourth is refused.
        let (bob, b) = app.as_new("bob@shop.id", Role::User).await;
        for (i, n) in ["081200000011", "081200000012", "081200000013"].iter().enumerate() {
            create_outlet(&b, &format!("Roti {i}"), "", n).await;
        }
        set_plan(&app, bob, Plan::Free).await;
        let listed = expect_json(b.get("/api/outlets").await, StatusCode::OK).await;
        assert_eq!(listed["total"], 3);
        refused(b.post("/api/outlets", json!({"name": "Roti 4", "wa_number": "081200000014"})).await, "fourth outlet").await;
        let mine = expect_json(b.get("/api/billing").await, StatusCode::OK).await;
        assert_eq!((mine["plan"].as_str(), mine["usage"]["outlets"].as_i64(), mine["limits"]["outlets"].as_i64()),
            (Some("free"), Some(3), Some(1)));
        app.stop().await;
    }

    async fn fifty_concurrent_sends_against_a_quota_of_ten_accept_exactly_ten_and_a_failed_send_gives_back(db) {
        let app = TestApp::start(db).await;
        let (_, admin) = app.as_new("admin@kewhats.id", Role::Admin).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, o).await;
        set_plan(&app, ana, Plan::Free).await;
        edit_limits(&admin, "free", json!({"messages_per_month": 10})).await;

        // A send that fails before it was sent gives its message back.
        expect_json(s.post(&format!("/api/sandbox/outlets/{o}/fault"), json!({"kind": "fail_sends", "count": 1})).await, StatusCode::ACCEPTED).await;
        let first = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311119999", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        assert_eq!(first["body"], "Halo\n\nSent via kewhats", "the free plan's footer");
        wait_message(&s, first["id"].as_i64().unwrap(), "failed").await;
        assert_eq!(expect_json(s.get("/api/billing").await, StatusCode::OK).await["usage"]["messages"], 0);
        // (Had it not been given back, nine of the fifty below would pass, not ten.)

        let mut sends = tokio::task::JoinSet::new();
        for i in 0..50 {
            let (client, url, csrf) = (s.client.clone(), format!("{}/api/messages", s.base), s.csrf.clone());
            let body = json!({"outlet_id": o, "to": format!("08131112{i:04}"), "text": format!("Promo {i}")});
            sends.spawn(async move { client.post(url).header("x-csrf-token", csrf).json(&body).send().await.unwrap() });
        }
        let mut accepted = 0;
        let mut over = 0;
        while let Some(res) = sends.join_next().await {
            let res = res.unwrap();
            match res.status() {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::PAYMENT_REQUIRED => {
                    over += 1;
                    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "plan_limit");
                }
                other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
            }
        }
        assert_eq!((accepted, over), (10, 40));
        let out = expect_json(s.get("/api/messages?direction=out&per_page=100").await, StatusCode::OK).await;
        assert_eq!(out["total"], 11, "ten accepted and the failed one; nothing of the refused");
        let mine = expect_json(s.get("/api/billing").await, StatusCode::OK).await;
        assert_eq!((mine["usage"]["messages"].as_i64(), mine["limits"]["messages_per_month"].as_i64()), (Some(10), Some(10)));
        // A blast meets the same quota: its recipient waits (no message, still pending) until
        // there is room, then goes, a few minutes later, with the footer.
        let pacing = json!({"gap_min_secs": 1, "gap_max_secs": 1, "window_start": "00:00", "window_end": "00:00"});
        let blast = expect_json(s.post("/api/blasts", json!({"name": "Promo", "body": "Diskon", "outlet_ids": [o],
            "recipients": {"numbers": ["081311117777"]}, "start": "now", "pacing": pacing})).await, StatusCode::CREATED).await;
        let id = blast["blast"]["id"].as_i64().unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let waiting = expect_json(s.get(&format!("/api/blasts/{id}")).await, StatusCode::OK).await;
        assert_eq!((waiting["status"].as_str(), waiting["counters"]["pending"].as_i64()), (Some("running"), Some(1)), "{waiting}");
        assert_eq!(expect_json(s.get("/api/messages?direction=out&per_page=100").await, StatusCode::OK).await["total"], 11);
        edit_limits(&admin, "free", json!({"messages_per_month": 11})).await;
        app.clock.advance_secs(301);
        assert_eq!(wait_body(&s, "+6281311117777").await, "Diskon\n\nSent via kewhats");
        assert_eq!(expect_json(s.get("/api/billing").await, StatusCode::OK).await["usage"]["messages"], 11);
        // Paid plans carry no footer.
        set_plan(&app, ana, Plan::Pro).await;
        let paid = expect_json(s.post("/api/messages", json!({"outlet_id": o, "to": "081311118888", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        assert_eq!(paid["body"], "Halo");
        app.stop().await;
    }

    async fn an_unpaid_period_end_falls_back_to_free_and_a_scheduled_blast_runs_with_the_footer(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let o = create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &s, o).await;
        let k = keyed(&s).await;
        let now = app.clock.now();
        let pro = Subscription { plan: Plan::Pro, cycle: BillingCycle::Monthly, status: SubscriptionStatus::Active,
            period_start: now, period_end: now.plus_secs(30 * DAY) };
        app.store.set_subscription(ana, &pro, now).await.unwrap();
        let mine = expect_json(k.get("/api/billing").await, StatusCode::OK).await;
        assert_eq!((mine["plan"].as_str(), mine["subscription"]["status"].as_str()), (Some("pro"), Some("active")));
        let sent = expect_json(k.post("/api/messages", json!({"outlet_id": o, "to": "081311110001", "text": "Halo"})).await, StatusCode::ACCEPTED).await;
        assert_eq!(sent["body"], "Halo");

        // A blast scheduled for after the period's end, while on pro.
        let at = now.plus_secs(31 * DAY).to_rfc3339();
        let pacing = json!({"gap_min_secs": 1, "gap_max_secs": 1, "window_start": "00:00", "window_end": "00:00"});
        let blast = expect_json(k.post("/api/blasts", json!({"name": "Promo Desember", "body": "Diskon 20%", "outlet_ids": [o],
            "recipients": {"numbers": ["081311110002"]}, "start": "at", "start_at": at, "pacing": pacing})).await, StatusCode::CREATED).await;
        assert_eq!(blast["blast"]["status"], "scheduled");

        // The period ends unpaid: free, before any sweep has run; the blast carries the footer.
        app.clock.advance_secs(31 * DAY + 1);
        assert_eq!(expect_json(k.get("/api/billing").await, StatusCode::OK).await["plan"], "free");
        assert_eq!(wait_body(&k, "+6281311110002").await, "Diskon 20%\n\nSent via kewhats");
        // The sweep writes it down.
        assert_eq!(app.store.expire_subscriptions(app.clock.now()).await.unwrap(), 1);
        assert_eq!(app.store.user(ana).await.unwrap().unwrap().plan, Plan::Free);
        assert_eq!(app.store.subscription(ana).await.unwrap().unwrap().status, SubscriptionStatus::Expired);
        assert_eq!(app.store.expire_subscriptions(app.clock.now()).await.unwrap(), 0, "once");
        app.stop().await;
    }
}
