//! The pages in real headless Chromium. UI behaviour does not depend on the database, so
//! these run on SQLite only.

use crate::helpers::*;
use crate::webdriver::Browser;
use domain::Role;
use serde_json::json;
use store::testing::TestDb;

async fn log_in(b: &Browser, app: &TestApp, email: &str, password: &str) {
    b.goto(&app.url("/login")).await;
    b.type_into("input[name=email]", email).await;
    b.type_into("input[name=password]", password).await;
    b.click("#login-form button[type=submit]").await;
}

#[tokio::test]
async fn an_owner_logs_in_manages_outlets_and_logs_out() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
    let (_, other) = app.as_new("other@shop.id", Role::User).await;
    owner.post("/api/outlets", json!({"name": "Kopi Jakarta", "city": "Jakarta", "wa_number": "081200000001"})).await;
    other.post("/api/outlets", json!({"name": "Rival Bandung", "city": "Bandung", "wa_number": "081200000002"})).await;

    log_in(&b, &app, "owner@shop.id", "not the password").await;
    b.wait_for("the login error", "!document.getElementById('flash').hidden").await;
    assert!(b.text().await.contains("wrong e-mail or password"));

    log_in(&b, &app, "owner@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    let nav = b.eval("return [...document.querySelectorAll('.sidebar nav a')].map(a => a.textContent)").await;
    assert_eq!(nav, json!(["Dashboard", "Outlets", "Profile"]));

    b.goto(&app.url("/outlets")).await;
    b.wait_for("the outlet rows", "document.querySelectorAll('#outlets-table tbody tr').length === 1").await;
    let text = b.text().await;
    assert!(text.contains("Kopi Jakarta") && !text.contains("Rival Bandung"), "{text}");

    b.type_into("#outlet-form input[name=name]", "Kopi Bogor").await;
    b.type_into("#outlet-form input[name=wa_number]", "0812 abc").await;
    b.click("#outlet-form button[type=submit]").await;
    b.wait_for("the validation error", "!document.getElementById('flash').hidden").await;
    assert!(b.text().await.contains("WhatsApp number may contain only digits"));

    b.type_into("#outlet-form input[name=wa_number]", "0812 3456 7890").await;
    b.click("#outlet-form button[type=submit]").await;
    b.wait_for("the new row", "document.querySelectorAll('#outlets-table tbody tr').length === 2").await;
    assert!(b.text().await.contains("+6281234567890"), "the number is shown normalised");

    b.click("#logout").await;
    b.wait_for("the login page", "location.pathname === '/login'").await;
    b.goto(&app.url("/outlets")).await;
    assert!(b.url().await.ends_with("/login"), "the session is over");
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn an_admin_sees_every_outlet_and_the_users_page() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let (_, a) = app.as_new("a@shop.id", Role::User).await;
    let (_, c) = app.as_new("c@shop.id", Role::User).await;
    a.post("/api/outlets", json!({"name": "Outlet A", "wa_number": "081200000011"})).await;
    c.post("/api/outlets", json!({"name": "Outlet C", "wa_number": "081200000012"})).await;
    app.user("boss@shop.id", Role::Admin).await;

    log_in(&b, &app, "boss@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/outlets")).await;
    b.wait_for("both outlets", "document.querySelectorAll('#outlets-table tbody tr').length === 2").await;
    let text = b.text().await;
    assert!(text.contains("a@shop.id") && text.contains("c@shop.id"), "owners are shown to admins: {text}");

    b.goto(&app.url("/admin/users")).await;
    b.wait_for("the user rows", "document.querySelectorAll('#users-table tbody tr').length === 3").await;
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}
