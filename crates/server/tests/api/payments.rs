//! Paying for a plan through Midtrans Snap, against a stand-in speaking its formats with the
//! real client code: an admin's key, a checkout that writes the invoice first, a signed
//! notification that activates the plan once; a forged signature, an unknown order, a repeated
//! and a late notification change nothing.

use crate::helpers::*;
use crate::providers::Midtrans;
use domain::policy::UserChange;
use domain::{Clock, Plan, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::both_backends;

const KEY: &str = "SB-Mid-server-TOKO4x9Kq2";

async fn notify(app: &TestApp, body: Value) -> reqwest::Response {
    app.client().post(app.url("/api/payments/midtrans")).json(&body).send().await.unwrap()
}

both_backends! {
    async fn a_free_owner_pays_for_pro_through_midtrans_and_the_plan_is_active_once(db) {
        let midtrans = Midtrans::start(KEY).await;
        let base = midtrans.base();
        let app = TestApp::start_with(db, move |c| {
            c.midtrans_url = Some(base);
            c.public_url = Some("https://wa.toko.id".into());
        })
        .await;
        let (_, admin) = app.as_new("admin@kewhats.id", Role::Admin).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        app.store.update_user(ana, UserChange { plan: Some(Plan::Free), ..Default::default() }, app.clock.now()).await.unwrap();

        // Before an admin sets the key there is nothing to pay with (but the sandbox's page,
        // which the tests' sandbox setting offers by default).
        let midtrans_only = json!({"plan": "pro", "cycle": "monthly", "gateway": "midtrans"});
        let err = expect_error(s.post("/api/billing/checkout", midtrans_only).await, StatusCode::CONFLICT).await;
        assert_eq!(err["code"], "gateway_not_set");
        let wrong = json!({"server_key": "SB-Mid-server-wrong"});
        expect_error(s.put("/api/admin/payment-gateways/midtrans", wrong.clone()).await, StatusCode::FORBIDDEN).await;
        let set = expect_json(admin.put("/api/admin/payment-gateways/midtrans", wrong).await, StatusCode::OK).await;
        assert_eq!((set["production"].as_bool(), set["key_hint"].as_str()), (Some(false), Some("…rong")));

        // A wrong key: Midtrans' words reach the owner and the invoice is failed.
        let err = expect_error(s.post("/api/billing/checkout", json!({"plan": "pro", "cycle": "monthly"})).await, StatusCode::CONFLICT).await;
        assert_eq!(err["code"], "gateway_refused");
        assert!(err["message"].as_str().unwrap().contains("Access denied"), "{err}");
        let listed = expect_json(s.get("/api/billing/invoices").await, StatusCode::OK).await;
        assert_eq!((listed["total"].as_i64(), listed["items"][0]["status"].as_str()), (Some(1), Some("failed")));
        let set = expect_json(admin.put("/api/admin/payment-gateways/midtrans", json!({"server_key": KEY})).await, StatusCode::OK).await;
        assert!(!set.to_string().contains(KEY), "the key is never shown again");

        // Checkout: the invoice, then Snap with its number as the order id.
        let free = expect_error(s.post("/api/billing/checkout", json!({"plan": "free", "cycle": "monthly"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(free["field"], "plan");
        let invoice = expect_json(s.post("/api/billing/checkout", json!({"plan": "pro", "cycle": "monthly"})).await, StatusCode::CREATED).await;
        let number = invoice["number"].as_str().unwrap().to_string();
        assert_eq!((invoice["status"].as_str(), invoice["amount"].as_i64(), invoice["gateway"].as_str()), (Some("pending"), Some(20_000), Some("midtrans")));
        assert_eq!(invoice["payment_url"], format!("{}/snap/v4/redirection/snap-token-1", midtrans.base()));
        let made = midtrans.made();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0]["transaction_details"], json!({"order_id": number, "gross_amount": 20000}));
        assert_eq!(made[0]["customer_details"]["email"], "ana@shop.id");
        assert_eq!(made[0]["callbacks"]["finish"], "https://wa.toko.id/billing");
        assert_eq!(made[0]["x_override_notification"], "https://wa.toko.id/api/payments/midtrans");

        // Forged, unknown, or for another amount: refused, nothing changes.
        assert_eq!(notify(&app, midtrans.notification(&number, 20_000, "settlement", true)).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(notify(&app, json!({"order_id": number})).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(notify(&app, midtrans.notification("KW-999-abcdef", 20_000, "settlement", false)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(notify(&app, midtrans.notification(&number, 1_000, "settlement", false)).await.status(), StatusCode::CONFLICT);
        // Still waiting: a pending notification decides nothing.
        let pending = expect_json(notify(&app, midtrans.notification(&number, 20_000, "pending", false)).await, StatusCode::OK).await;
        assert_eq!(pending["result"], "waiting");
        assert_eq!(expect_json(s.get("/api/billing").await, StatusCode::OK).await["plan"], "free");

        // Paid: pro for a month, once however often Midtrans says so, and a late "expire" is too late.
        let paid = expect_json(notify(&app, midtrans.notification(&number, 20_000, "settlement", false)).await, StatusCode::OK).await;
        assert_eq!(paid["result"], "paid");
        let mine = expect_json(s.get("/api/billing").await, StatusCode::OK).await;
        assert_eq!((mine["plan"].as_str(), mine["subscription"]["status"].as_str(), mine["limits"]["outlets"].as_i64()),
            (Some("pro"), Some("active"), Some(3)));
        let end = mine["subscription"]["period_end"].clone();
        let again = expect_json(notify(&app, midtrans.notification(&number, 20_000, "settlement", false)).await, StatusCode::OK).await;
        assert_eq!(again["result"], "already_paid");
        let late = expect_json(notify(&app, midtrans.notification(&number, 20_000, "expire", false)).await, StatusCode::OK).await;
        assert_eq!(late["result"], "already_paid");
        let mine = expect_json(s.get("/api/billing").await, StatusCode::OK).await;
        assert_eq!(mine["subscription"]["period_end"], end, "the period was extended once");
        let listed = expect_json(s.get("/api/billing/invoices").await, StatusCode::OK).await;
        assert_eq!((listed["items"][0]["status"].as_str(), listed["items"][0]["paid_at"].is_string()), (Some("paid"), true));

        // A renewal before the end extends the period from its end, by a year for a yearly invoice.
        let yearly = expect_json(s.post("/api/billing/checkout", json!({"plan": "pro", "cycle": "yearly"})).await, StatusCode::CREATED).await;
        assert_eq!(yearly["amount"], 200_000);
        let number = yearly["number"].as_str().unwrap();
        expect_json(notify(&app, midtrans.notification(number, 200_000, "settlement", false)).await, StatusCode::OK).await;
        let sub = app.store.subscription(ana).await.unwrap().unwrap();
        let before = chrono_ms(&end);
        assert_eq!(sub.period_end, domain::add_months(domain::Timestamp(before), 12));
        // Money sent back later: the invoice says refunded (and an admin is told in the log).
        let back = expect_json(notify(&app, midtrans.notification(number, 200_000, "refund", false)).await, StatusCode::OK).await;
        assert_eq!(back["result"], "closed");
        let listed = expect_json(s.get("/api/billing/invoices").await, StatusCode::OK).await;
        assert_eq!(listed["items"][0]["status"], "refunded");
        // Another owner's invoices are not Ana's.
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;
        assert_eq!(expect_json(bob.get("/api/billing/invoices").await, StatusCode::OK).await["total"], 0);
        app.stop().await;
    }

    async fn the_sandbox_pays_through_the_same_signed_notification_for_its_owner_only(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        app.store.update_user(ana, UserChange { plan: Some(Plan::Free), ..Default::default() }, app.clock.now()).await.unwrap();
        let (_, bob) = app.as_new("bob@shop.id", Role::User).await;

        // No Midtrans key, sandbox on (as in the demo): the simulated page.
        let first = expect_json(s.post("/api/billing/checkout", json!({"plan": "pro", "cycle": "monthly"})).await, StatusCode::CREATED).await;
        let number = first["number"].as_str().unwrap().to_string();
        assert_eq!((first["gateway"].as_str(), first["payment_url"].as_str()), (Some("sandbox"), Some(format!("/billing/sandbox/{number}").as_str())));
        assert_eq!(s.get(&format!("/billing/sandbox/{number}")).await.status(), StatusCode::OK);
        assert_eq!(bob.get(&format!("/billing/sandbox/{number}")).await.status(), StatusCode::FORBIDDEN, "another owner's invoice");
        expect_error(bob.post(&format!("/api/billing/sandbox/{number}"), json!({"pay": true})).await, StatusCode::NOT_FOUND).await;

        // Refused: failed, still free. Paid: pro.
        let refused = expect_json(s.post(&format!("/api/billing/sandbox/{number}"), json!({"pay": false})).await, StatusCode::OK).await;
        assert_eq!(refused["result"], "closed");
        assert_eq!(expect_json(s.get("/api/billing").await, StatusCode::OK).await["plan"], "free");
        let second = expect_json(s.post("/api/billing/checkout", json!({"plan": "pro", "cycle": "monthly"})).await, StatusCode::CREATED).await;
        let number = second["number"].as_str().unwrap();
        let paid = expect_json(s.post(&format!("/api/billing/sandbox/{number}"), json!({"pay": true})).await, StatusCode::OK).await;
        assert_eq!(paid["result"], "paid");
        let again = expect_json(s.post(&format!("/api/billing/sandbox/{number}"), json!({"pay": true})).await, StatusCode::OK).await;
        assert_eq!(again["result"], "already_paid");
        let late = expect_json(s.post(&format!("/api/billing/sandbox/{number}"), json!({"pay": false})).await, StatusCode::OK).await;
        assert_eq!(late["result"], "already_paid", "a refusal after paying changes nothing");
        assert_eq!(expect_json(s.get("/api/billing").await, StatusCode::OK).await["plan"], "pro");
        let listed = expect_json(s.get("/api/billing/invoices").await, StatusCode::OK).await;
        let statuses: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["paid", "failed"]);
        app.stop().await;
    }
}
