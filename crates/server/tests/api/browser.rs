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
    let nav_expected = [
        "Dashboard",
        "Outlet status",
        "Outlets",
        "Messages",
        "Contacts",
        "Templates",
        "Broadcasts",
        "Auto-replies",
        "Chatbots",
        "Integrations",
        "Webhooks",
        "API keys",
        "Plan & billing",
        "Profile",
    ];
    assert_eq!(nav, json!(nav_expected));

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

mod outlet_status_page {
    use super::*;

    fn row_health(outlet: i64) -> String {
        format!("document.querySelector('tr[data-outlet=\"{outlet}\"]')?.dataset.health")
    }

    #[tokio::test]
    async fn an_owner_sees_only_their_outlets_and_an_admin_sees_all() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let (_, other) = app.as_new("other@shop.id", Role::User).await;
        let mine = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        create_outlet(&other, "Rival Bandung", "Jakarta", "081200000002").await;
        pair_sim(&app, &owner, mine).await;
        app.user("boss@shop.id", Role::Admin).await;

        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/outlet-status")).await;
        b.wait_for("the rows", "document.querySelectorAll('#status-table tbody tr').length === 1").await;
        let text = b.text().await;
        assert!(text.contains("Kopi Jakarta") && !text.contains("Rival Bandung"), "{text}");
        assert!(text.contains("Ready for broadcast"));
        assert_eq!(b.eval("return document.getElementById('sum-healthy').textContent").await, "1");
        b.wait_for(
            "the age of the data",
            "/Last updated \\d+ s ago/.test(document.getElementById('updated').textContent)",
        )
        .await;

        b.click("#logout").await;
        b.wait_for("the login page", "location.pathname === '/login'").await;
        log_in(&b, &app, "boss@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/outlet-status")).await;
        b.wait_for("every outlet", "document.querySelectorAll('#status-table tbody tr').length === 2").await;
        let text = b.text().await;
        assert!(text.contains("Kopi Jakarta") && text.contains("Rival Bandung"), "{text}");
        assert_eq!(b.eval("return document.getElementById('sum-problem').textContent").await, "1");
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_dropped_device_turns_red_without_a_reload_and_rescan_turns_it_green() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let jkt = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &owner, jkt).await;

        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/outlet-status")).await;
        b.wait_for("a healthy row", &format!("{} === 'healthy'", row_health(jkt))).await;
        b.eval("window.__sameDocument = true; return 1").await;

        // The phone unlinks: the row must turn red by itself (SSE), well within 10 s.
        owner.post(&format!("/api/sandbox/outlets/{jkt}/fault"), json!({"kind": "logout_from_phone"})).await;
        b.wait_for("the row to turn red", &format!("{} === 'problem'", row_health(jkt))).await;
        assert_eq!(b.eval("return window.__sameDocument === true").await, true, "no reload happened");
        assert!(b.text().await.contains("logged out from the phone"), "the reason is shown");

        b.click(&format!("tr[data-outlet=\"{jkt}\"] button.rescan")).await;
        b.wait_for("the QR code", "!document.getElementById('pair-qr').hidden && document.getElementById('pair-qr').src.startsWith('data:image/svg+xml')").await;
        b.wait_for("the sandbox scan button", "!document.getElementById('pair-sim-scan').hidden").await;
        b.click("#pair-sim-scan").await;
        b.wait_for("the row to turn green", &format!("{} === 'healthy'", row_health(jkt))).await;
        b.wait_for("the dialog to close", "!document.getElementById('pair-dialog').open").await;
        assert_eq!(b.eval("return window.__sameDocument === true").await, true);
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }

    /// Script that makes the page believe the tab is hidden (or shown) and tells it so.
    fn tab(hidden: bool) -> String {
        let state = if hidden { "hidden" } else { "visible" };
        format!(
            "for (const [k, v] of [['hidden', {hidden}], ['visibilityState', '{state}']]) \
               Object.defineProperty(document, k, {{ configurable: true, get: () => v }}); \
             document.dispatchEvent(new Event('visibilitychange'));"
        )
    }

    #[tokio::test]
    async fn a_hidden_tab_makes_no_requests_and_refreshes_at_once_when_shown() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/outlet-status")).await;
        b.wait_for("the row", "document.querySelectorAll('#status-table tbody tr').length === 1").await;

        // Count every request the page makes, and poll every 200 ms instead of every 10 s; a
        // hide and show starts the shorter interval, which must then run while visible.
        b.eval(&format!(
            "window.__requests = 0; const real = window.fetch; \
             window.fetch = (...args) => {{ window.__requests++; return real(...args); }}; \
             document.getElementById('status-table').dataset.refreshMs = '200'; {} {} return 1",
            tab(true),
            tab(false)
        ))
        .await;
        b.wait_for("polling every 200 ms", "window.__requests >= 4").await;

        let before = b.eval(&format!("{} return window.__requests", tab(true))).await.as_i64().unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let hidden = b.eval("return window.__requests").await.as_i64().unwrap() - before;
        assert_eq!(hidden, 0, "no request while hidden (about 6 were due)");

        let at_once = b.eval(&format!("{} return window.__requests", tab(false))).await.as_i64().unwrap() - before;
        assert_eq!(at_once, 1, "showing the tab refreshes once, before anything else runs");
        b.wait_for("polling to resume", &format!("window.__requests >= {}", before + 3)).await;
        assert_eq!(b.eval("return document.getElementById('sum-total').textContent").await, "1");
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn an_empty_account_and_a_failing_api_are_explained() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        app.user("new@shop.id", Role::User).await;
        log_in(&b, &app, "new@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/outlet-status")).await;
        b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
        assert!(b.text().await.contains("No outlets yet"));
        // The API fails (the database is gone): an error banner, not a blank page.
        app.store.close().await;
        b.eval("document.getElementById('health-filter').value = 'problem'; document.getElementById('health-filter').dispatchEvent(new Event('change')); return 1").await;
        b.wait_for("the error banner", "!document.getElementById('status-error').hidden").await;
        assert!(b.text().await.contains("Could not load the outlet status"));
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_api_key_is_created_shown_once_used_and_revoked_in_the_browser() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    app.user("owner@shop.id", Role::User).await;
    log_in(&b, &app, "owner@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/api-keys")).await;
    b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
    b.type_into("#key-form input[name=name]", "Cashier app").await;
    b.click("#key-form button[type=submit]").await;
    b.wait_for("the secret", "!document.getElementById('new-secret').hidden").await;
    let secret =
        b.eval("return document.getElementById('secret-value').textContent").await.as_str().unwrap().to_string();
    assert!(secret.starts_with("kwk_"));
    b.wait_for("the key row", "document.querySelectorAll('#keys-table tbody tr').length === 1").await;
    let used = app.client().get(app.url("/api/outlets")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(used.status(), reqwest::StatusCode::OK);
    b.goto(&app.url("/api-keys")).await;
    b.wait_for(
        "the counted request",
        "document.querySelector('#keys-table tbody tr td:nth-child(3)')?.textContent === '1'",
    )
    .await;
    assert!(!b.text().await.contains(&secret[12..]), "the secret is not shown again");
    b.eval("window.confirm = () => { throw new Error('confirm() is not used') }; return 1").await;
    b.click("#keys-table tbody button.danger").await;
    // A dialog asks first; Escape would keep the key.
    b.wait_for("the question", "document.querySelector('dialog[open]')").await;
    b.click("dialog[open] button.danger").await;
    b.wait_for("revoked", "document.querySelector('#keys-table .badge.bad')?.textContent === 'revoked'").await;
    let after = app.client().get(app.url("/api/outlets")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(after.status(), reqwest::StatusCode::UNAUTHORIZED);
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_message_sent_from_the_page_reaches_read() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
    let outlet = create_outlet(&owner, "Kopi Jakarta", "", "081200000001").await;
    pair_sim(&app, &owner, outlet).await;

    log_in(&b, &app, "owner@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/messages")).await;
    b.wait_for("the outlet choice", "document.querySelectorAll('#outlet-select option').length === 1").await;
    b.type_into("#send-form input[name=to]", "0813 1111 2222").await;
    b.type_into("#send-form input[name=text]", "Pesanan siap").await;
    b.click("#send-form button[type=submit]").await;
    b.wait_for("the message row", "document.querySelectorAll('#messages-table tbody tr').length === 1").await;
    b.wait_for(
        "status read",
        "document.querySelector('#messages-table tbody tr td:last-child').textContent.startsWith('read')",
    )
    .await;
    assert!(b.text().await.contains("+6281311112222"));

    // An image, uploaded from the same form.
    let picture = std::env::temp_dir().join(format!("kewhats_promo_{}.png", std::process::id()));
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny").unwrap();
    b.eval("const s = document.getElementById('type-select'); s.value = 'image'; s.dispatchEvent(new Event('change')); return 1").await;
    assert_eq!(b.eval("return document.getElementById('text-field').hidden").await, json!(true));
    b.type_into("#send-form input[name=file]", &picture.display().to_string()).await;
    b.type_into("#send-form input[name=caption]", "Promo minggu ini").await;
    b.click("#send-form button[type=submit]").await;
    b.wait_for("the image row", "document.querySelectorAll('#messages-table tbody tr').length === 2").await;
    b.wait_for(
        "the image read",
        "document.querySelector('#messages-table tbody tr td:last-child').textContent.startsWith('read')",
    )
    .await;
    let _ = std::fs::remove_file(&picture);
    let sent = owner.get("/api/messages?direction=out").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(
        (sent["items"][0]["kind"].as_str(), sent["items"][0]["body"].as_str()),
        (Some("image"), Some("Promo minggu ini"))
    );

    // A contact picked by name and a template: previewed for that contact, sent as previewed.
    let sari = json!({"name": "Bu Sari", "wa_number": "081377778888", "fields": {"kota": "Bandung"}});
    expect_json(owner.post("/api/contacts", sari).await, reqwest::StatusCode::CREATED).await;
    let body = json!({"name": "Sapa", "category": "greeting", "body": "Halo {{name}} di {{kota}}"});
    let template = expect_json(owner.post("/api/templates", body).await, reqwest::StatusCode::CREATED).await;
    b.goto(&app.url("/messages")).await;
    b.wait_for("the template choice", "document.querySelectorAll('#template-select option').length === 2").await;
    b.type_into("#contact-search", "Sari").await;
    b.wait_for("the contact choice", "document.querySelectorAll('#contact-options option').length === 1").await;
    b.eval("const i = document.getElementById('contact-search'); i.value = document.querySelector('#contact-options option').value; i.dispatchEvent(new Event('input')); return 1").await;
    assert_eq!(
        b.eval("return document.querySelector('#send-form input[name=to]').value").await,
        json!("+6281377778888")
    );
    b.eval(&format!("const s = document.getElementById('template-select'); s.value = '{}'; s.dispatchEvent(new Event('change')); return 1", template["id"])).await;
    b.wait_for("the preview", "document.getElementById('template-preview').textContent === 'Halo Bu Sari di Bandung'")
        .await;
    assert_eq!(b.eval("return document.getElementById('text-field').hidden").await, json!(true));
    b.click("#send-form button[type=submit]").await;
    b.wait_for("the templated row", "document.querySelectorAll('#messages-table tbody tr').length === 3").await;
    let sent = owner.get("/api/messages?direction=out").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(sent["items"][0]["body"], "Halo Bu Sari di Bandung");
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_webhook_is_added_tested_and_its_delivery_log_shown_in_the_browser() {
    let db = TestDb::sqlite();
    let app = TestApp::start_with(&db, |c| c.webhooks_allow_private = true).await;
    let Some(b) = Browser::start().await else { return };
    let rx = crate::receiver::Receiver::start().await;
    rx.answer(500);
    app.user("owner@shop.id", Role::User).await;
    log_in(&b, &app, "owner@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/webhooks")).await;
    b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
    b.type_into("#webhook-form input[name=url]", &rx.url()).await;
    b.click("#webhook-form button[type=submit]").await;
    b.wait_for("the secret", "!document.getElementById('new-secret').hidden").await;
    let secret =
        b.eval("return document.getElementById('secret-value').textContent").await.as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    b.wait_for("the webhook row", "document.querySelectorAll('#webhooks-table tbody tr').length === 1").await;
    assert!(b.text().await.contains("message.received, message.status"));

    // The receiver fails: the log says how, and a manual redelivery gets through.
    b.eval("[...document.querySelectorAll('#webhooks-table button')].find(x => x.textContent === 'Send test').click(); return 1").await;
    b.wait_for(
        "the failed attempt",
        "document.querySelector('#deliveries-table tbody tr td:nth-child(5)')?.textContent.includes('HTTP 500')",
    )
    .await;
    assert_eq!(rx.hits()[0].verified(&secret)["event"], "webhook.test");
    rx.answer(200);
    app.clock.advance_secs(60);
    app.store.deliveries_waiting().notify_one();
    b.wait_for(
        "delivered",
        "document.querySelector('#deliveries-table tbody tr td:nth-child(3)')?.textContent === 'delivered'",
    )
    .await;
    b.click("#deliveries-table tbody button").await;
    b.wait_for("the payload", "document.getElementById('payload-dialog').open").await;
    assert!(b.text().await.contains("This is a test event from kewhats."), "the posted body is shown");
    b.click("#payload-close").await;
    b.eval("[...document.querySelectorAll('#deliveries-table button')].find(x => x.textContent === 'Redeliver').click(); return 1").await;
    b.wait_for("the redelivery", "document.getElementById('flash').textContent.includes('queued again')").await;
    rx.wait_until("the redelivered event", |h| h.iter().filter(|h| h.answered == 200).count() == 2).await;
    let ids: Vec<String> = rx.hits().iter().map(|h| h.id().to_string()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one event, one id: {ids:?}");
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_api_reference_renders_every_operation_under_the_strict_policy() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let doc: serde_json::Value =
        app.client().get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let operations = crate::openapi::operations(&doc).len();
    b.goto(&app.url("/api/docs")).await;
    // Swagger UI draws one block per operation once it has fetched and read the document.
    let drawn = format!("document.querySelectorAll('.opblock').length === {operations}");
    b.wait_for("every operation drawn", &drawn).await;
    let text = b.text().await;
    assert!(text.contains("kewhats API") && text.contains("/api/outlets/{id}/device/connect"), "{text}");
    // Its stylesheet applied (a blocked style would leave the blocks unstyled).
    let border = b.eval("return getComputedStyle(document.querySelector('.opblock')).borderTopStyle").await;
    assert_eq!(border, json!("solid"));
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn an_owner_reads_outlet_status_in_indonesian_then_switches_to_english() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let (_, ibu) = app.as_new("ibu@toko.id", Role::User).await;
    ibu.patch("/api/me", json!({"language": "id"})).await;
    let healthy = create_outlet(&ibu, "Toko Bandung", "Bandung", "081200000001").await;
    create_outlet(&ibu, "Toko Bogor", "Bogor", "081200000002").await;
    pair_sim(&app, &ibu, healthy).await;

    log_in(&b, &app, "ibu@toko.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/outlet-status")).await;
    b.wait_for("both rows", "document.querySelectorAll('#status-table tbody tr').length === 2").await;
    let text = b.text().await;
    for words in [
        "Status Koneksi Outlet",
        "Sehat",
        "Bermasalah",
        "Pindai Ulang QR",
        "Siap untuk broadcast",
        "Belum ada perangkat",
    ] {
        assert!(text.contains(words), "{words} in: {text}");
    }
    assert_eq!(b.eval("return document.documentElement.lang").await, json!("id"));

    b.goto(&app.url("/profile")).await;
    b.eval("document.querySelector('#preferences-form select[name=language]').value = 'en'; return 1").await;
    b.click("#preferences-form button[type=submit]").await;
    b.wait_for("the page in English", "document.documentElement.lang === 'en'").await;
    b.goto(&app.url("/outlet-status")).await;
    b.wait_for("both rows", "document.querySelectorAll('#status-table tbody tr').length === 2").await;
    let text = b.text().await;
    for words in ["Outlet connection status", "Healthy", "Problem", "Rescan QR", "Ready for broadcast"] {
        assert!(text.contains(words), "{words} in: {text}");
    }
    assert!(!text.contains("Sehat") && !text.contains("Pindai"), "{text}");
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

/// A real 1×1 PNG, so that the browser draws it.
const TINY_PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\x50\x58\x90\x00\x00\x02\x04\x01\x21\x62\x0c\x53\x94\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[tokio::test]
async fn a_template_is_written_with_a_live_preview_corrected_saved_and_listed() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
    let sari = json!({"name": "Bu Sari", "wa_number": "081311112222", "fields": {"kota": "Bandung"}});
    let sari =
        owner.post("/api/contacts", sari).await.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    log_in(&b, &app, "owner@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/templates")).await;
    b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
    b.wait_for("the contact to preview with", "document.querySelectorAll('#preview-contact option').length === 2")
        .await;

    // A misspelt variable is refused at the field, with where it is.
    b.type_into("#template-form input[name=name]", "Sapa pelanggan").await;
    b.type_into("#template-body", "Halo {{nama}}").await;
    b.wait_for(
        "the error at the body",
        "!document.getElementById('body-error').hidden && document.getElementById('body-error').textContent.includes('line 1, column 6')",
    )
    .await;
    assert_eq!(
        b.eval("return document.getElementById('template-body').getAttribute('aria-invalid')").await,
        json!("true")
    );

    // Fixed with the variable buttons; the preview follows, with sample values, then the contact's.
    b.type_into("#template-body", "Halo ").await;
    b.click("button[data-variable=name]").await;
    b.eval("const t = document.getElementById('template-body'); t.setRangeText(' dari ', t.value.length, t.value.length, 'end'); return 1").await;
    b.click("button[data-variable=kota]").await;
    assert_eq!(
        b.eval("return document.getElementById('template-body').value").await,
        json!("Halo {{name}} dari {{kota}}")
    );
    b.wait_for("the sample preview", "document.getElementById('preview-text').textContent === 'Halo Sari dari [kota]'")
        .await;
    assert_eq!(b.eval("return document.getElementById('body-error').hidden").await, json!(true));
    b.eval(&format!("const s = document.getElementById('preview-contact'); s.value = '{sari}'; s.dispatchEvent(new Event('change')); return 1")).await;
    b.wait_for(
        "the contact's preview",
        "document.getElementById('preview-text').textContent === 'Halo Bu Sari dari Bandung'",
    )
    .await;

    b.click("#template-form button[type=submit]").await;
    b.wait_for("the saved row", "document.querySelectorAll('#templates-table tbody tr').length === 1").await;
    let row = b.eval("return document.querySelector('#templates-table tbody tr').innerText").await;
    assert!(row.as_str().unwrap().contains("Sapa pelanggan") && row.as_str().unwrap().contains("{{name}}"), "{row}");
    assert!(b.eval("return document.getElementById('empty').hidden").await == json!(true));
    let saved = owner.get("/api/templates").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(saved["items"][0]["body"], "Halo {{name}} dari {{kota}}");

    // A picture attached in the editor: saved with the text, shown as a thumbnail, the preview's
    // text under it as its caption; removed again after the question.
    let picture = std::env::temp_dir().join(format!("kewhats_template_{}.png", std::process::id()));
    std::fs::write(&picture, TINY_PNG).unwrap();
    b.click("#templates-table tbody button:not(.danger)").await;
    b.wait_for("the editor", "document.getElementById('template-body').value === 'Halo {{name}} dari {{kota}}'").await;
    b.type_into("#template-file", &picture.display().to_string()).await;
    b.wait_for("the chosen picture", "document.getElementById('media-thumb').src.startsWith('data:image/png')").await;
    b.click("#template-form button[type=submit]").await;
    b.wait_for(
        "the row with its image",
        "document.querySelector('#templates-table tbody td.text-cell .badge') !== null",
    )
    .await;
    let _ = std::fs::remove_file(&picture);
    let saved = owner.get("/api/templates").await.json::<serde_json::Value>().await.unwrap();
    let media = &saved["items"][0]["media"];
    assert_eq!((media["kind"].as_str(), media["mime"].as_str()), (Some("image"), Some("image/png")), "{saved}");
    b.click("#templates-table tbody button:not(.danger)").await;
    b.wait_for(
        "the thumbnail from the server",
        "((i) => !i.hidden && i.src.includes('/media') && i.complete && i.naturalWidth === 1)(document.getElementById('media-thumb'))",
    )
    .await;
    let about = b.eval("return document.getElementById('media-about').textContent").await;
    assert!(about.as_str().unwrap().contains("kewhats_template_"), "{about}");
    b.wait_for(
        "the caption under the picture",
        "!document.getElementById('preview-media').hidden && document.getElementById('preview-image').naturalWidth === 1 && document.getElementById('preview-text').classList.contains('caption')",
    )
    .await;
    b.click("#media-remove").await;
    b.wait_for("the question", "document.querySelector('dialog[open]')").await;
    b.click("dialog[open] button.danger").await;
    b.wait_for(
        "no picture",
        "document.getElementById('template-media').hidden && document.getElementById('preview-media').hidden",
    )
    .await;
    let saved = owner.get("/api/templates").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(saved["items"][0]["media"], json!(null));
    b.click("#cancel-edit").await;

    // Deleted after the question.
    b.click("#templates-table tbody button.danger").await;
    b.wait_for("the question", "document.querySelector('dialog[open]')").await;
    b.click("dialog[open] button.danger").await;
    b.wait_for("the empty state again", "!document.getElementById('empty').hidden").await;
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_contact_file_is_checked_imported_found_tagged_exported_and_deleted_on_the_contacts_page() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
    // The outlets the sample file names as home outlets.
    for (i, city) in ["Jakarta", "Bandung", "Surabaya"].iter().enumerate() {
        create_outlet(&owner, &format!("Kopi Nusantara {city}"), city, &format!("08120000000{i}")).await;
    }
    log_in(&b, &app, "owner@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/contacts")).await;
    b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;

    // Checked first: the report names the six bad rows of the sample, and nothing is saved yet.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/contacts-sample.csv");
    b.click("#open-import").await;
    b.type_into("#import-file", &sample.canonicalize().expect("the sample file").display().to_string()).await;
    b.click("#import-check").await;
    b.wait_for("the report", "!document.getElementById('import-report').hidden").await;
    let counts = b.eval("return document.getElementById('import-counts').textContent").await;
    assert!(counts.as_str().unwrap().starts_with("994 new, 0 updated, 0 unchanged, 6 rejected"), "{counts}");
    let lines = b.eval("return [...document.querySelectorAll('#import-rejected tbody tr td:first-child')].map(td => td.textContent)").await;
    assert_eq!(lines, json!(["19", "44", "101", "152", "302", "514"]));
    assert!(b.text().await.contains("duplicate of line 5"), "the duplicate says which line it repeats");
    let mapped =
        b.eval("return [...document.querySelectorAll('#import-columns tbody tr')].map(tr => tr.textContent)").await;
    assert!(mapped.as_array().unwrap().iter().any(|m| m == "no_waWhatsApp number"), "{mapped}");
    assert_eq!(expect_json(owner.get("/api/contacts").await, reqwest::StatusCode::OK).await["total"], 0);

    b.click("#import-apply").await;
    b.wait_for("the import", "document.getElementById('flash').textContent.includes('994 new')").await;
    b.wait_for("the list", "document.getElementById('pager').textContent.includes('994')").await;

    // Found by search, shown with its tags; tagged in bulk; the export has what the list shows.
    b.type_into("#search", "Gilang Putra").await;
    b.wait_for("the search", "document.querySelectorAll('#contacts-table tbody tr').length === 1").await;
    assert!(b.text().await.contains("+6283490350503"));
    b.eval("document.getElementById('bulk-tag').value = [...document.getElementById('bulk-tag').options].find(o => o.text === 'baru').value; return 1").await;
    b.click("#select-page").await;
    b.click("#bulk-add-tag").await;
    b.wait_for("the tag", "document.querySelector('#contacts-table tbody .tags-cell')?.textContent.includes('baru')")
        .await;
    b.eval(
        "fetch(document.getElementById('export').href).then(r => r.text()).then(t => window.exported = t); return 1",
    )
    .await;
    b.wait_for("the export", "window.exported").await;
    let csv = b.eval("return window.exported").await;
    let csv: Vec<&str> = csv.as_str().unwrap().lines().collect();
    assert_eq!(csv.len(), 2, "the header and the one contact searched for: {csv:?}");
    assert!(csv[0].starts_with("name,phone,email,tags,outlet"), "{}", csv[0]);
    assert!(csv[1].starts_with("Gilang Putra,+6283490350503,gilang.putra3@outlook.com,baru;vip"), "{}", csv[1]);

    // A bulk delete asks first; "no" keeps the contact, "yes" deletes it.
    b.click("#bulk-delete").await;
    b.wait_for("the question", "document.querySelector('dialog[open]')?.textContent.includes('Delete 1 contacts?')")
        .await;
    b.press_escape().await;
    b.wait_for("no question", "!document.querySelector('dialog[open]')").await;
    b.click("#bulk-delete").await;
    b.wait_for("the question", "document.querySelector('dialog[open] button.danger')").await;
    b.click("dialog[open] button.danger").await;
    b.wait_for("the deletion", "document.getElementById('flash').textContent.includes('1 contacts deleted')").await;
    b.wait_for("the empty search", "!document.getElementById('empty').hidden").await;
    assert_eq!(expect_json(owner.get("/api/contacts").await, reqwest::StatusCode::OK).await["total"], 993);
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

mod blast_page {
    use super::*;

    /// Sets a form control's value from script and tells the page, as a person choosing would.
    fn set(css: &str, value: &str) -> String {
        format!(
            "const e = document.querySelector('{css}'); e.value = '{value}'; \
             e.dispatchEvent(new Event('input', {{ bubbles: true }})); \
             e.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1"
        )
    }

    #[tokio::test]
    async fn from_ready_for_broadcast_a_templated_blast_to_a_tag_runs_to_completed_and_reports_each_recipient() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let jkt = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        let bdg = create_outlet(&owner, "Kopi Bandung", "Bandung", "081200000002").await;
        create_outlet(&owner, "Kopi Bogor", "Bogor", "081200000003").await; // no device: a problem
        pair_sim(&app, &owner, jkt).await;
        pair_sim(&app, &owner, bdg).await;
        let tag =
            expect_json(owner.post("/api/tags", json!({"name": "pelanggan"})).await, reqwest::StatusCode::CREATED)
                .await["id"]
                .as_i64()
                .unwrap();
        let mut tagged = Vec::new();
        for (name, number) in [("Bu Sari", "081311110001"), ("Pak Budi", "081311110002"), ("Rina", "081311110003")] {
            let c = json!({"name": name, "wa_number": number});
            tagged.push(
                expect_json(owner.post("/api/contacts", c).await, reqwest::StatusCode::CREATED).await["id"].clone(),
            );
        }
        // Rina is blocked: she is counted out and reported as skipped.
        owner.patch(&format!("/api/contacts/{}", tagged[2]), json!({"blocked": true})).await;
        owner.post("/api/contacts", json!({"name": "Tono", "wa_number": "081311110004"})).await; // no tag
        owner.post("/api/contacts/bulk", json!({"action": "tag", "ids": tagged, "tag_id": tag})).await;
        let body = json!({"name": "Sapa", "category": "marketing", "body": "Halo {{name}}, promo di {{outlet}}"});
        let template = expect_json(owner.post("/api/templates", body).await, reqwest::StatusCode::CREATED).await;

        // From the status page's "Ready for broadcast" of one outlet to the blast page, that
        // outlet alone chosen; the problem outlet says why and links to Rescan QR.
        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/outlet-status")).await;
        b.wait_for("the rows", "document.querySelectorAll('#status-table tbody tr').length === 3").await;
        b.click(&format!("tr[data-outlet=\"{bdg}\"] a.ready")).await;
        b.wait_for("the blast page", "location.pathname === '/blast'").await;
        assert_eq!(b.eval("return location.search").await, json!(format!("?outlet={bdg}")));
        b.wait_for("the outlets", "document.querySelectorAll('#outlet-list li').length === 3").await;
        let chosen = b
            .eval("return [...document.querySelectorAll('#outlet-list input:checked')].map(i => Number(i.value))")
            .await;
        assert_eq!(chosen, json!([bdg]), "the outlet clicked is the one chosen");
        let first_two = b.eval("return [...document.querySelectorAll('#outlet-list li')].slice(0, 2).every(li => li.classList.contains('healthy'))").await;
        assert_eq!(first_two, json!(true), "healthy outlets first");
        let problem = b.eval("return document.querySelector('#outlet-list li.problem').innerText").await;
        let problem = problem.as_str().unwrap();
        assert!(problem.contains("Kopi Bogor") && problem.contains("Rescan QR"), "{problem}");
        assert_eq!(
            b.eval("return document.querySelector('#outlet-list li.problem input').disabled && document.querySelector('#outlet-list li.problem a').getAttribute('href')").await,
            json!("/outlet-status")
        );

        // Compose with the template, previewed; to the tag, counted after exclusions.
        b.type_into("#blast-name", "Promo Desember").await;
        b.wait_for("the template choice", "document.querySelectorAll('#template-select option').length === 2").await;
        b.eval(&set("#template-select", &template["id"].to_string())).await;
        b.wait_for("the preview", "document.getElementById('preview-text').textContent.startsWith('Halo ')").await;
        b.click(&format!("#tags-field input[value=\"{tag}\"]")).await;
        b.wait_for("the live count", "document.getElementById('recipient-count').dataset.count === '2'").await;
        let count = b.eval("return document.getElementById('recipient-count').textContent").await;
        assert!(
            count.as_str().unwrap().contains("2 recipients over 1 outlets")
                && count.as_str().unwrap().contains("1 blocked"),
            "{count}"
        );

        // The smallest gaps and any time of day, under Advanced, which shows the defaults.
        b.click("#advanced summary").await;
        assert_eq!(
            b.eval("return ['gap-min', 'gap-max', 'daily-cap', 'window-start', 'window-end'].map(id => document.getElementById(id).value)").await,
            json!(["3", "8", "1000", "08:00", "21:00"])
        );
        b.eval(&set("#gap-max", "700")).await;
        b.click("#review").await;
        b.wait_for("the refusal at the field", "!document.getElementById('err-pacing-gap_max_secs').hidden").await;
        assert_eq!(b.eval("return document.getElementById('review-box').hidden").await, json!(true));
        for (id, value) in [("#gap-min", "1"), ("#gap-max", "1"), ("#window-start", "00:00"), ("#window-end", "00:00")]
        {
            b.eval(&set(id, value)).await;
        }

        // Review, then a question that says how many over how many outlets.
        b.click("#review").await;
        b.wait_for("the review", "!document.getElementById('review-box').hidden").await;
        let review = b.eval("return document.getElementById('review-box').innerText").await;
        let review = review.as_str().unwrap();
        assert!(review.contains("Kopi Bandung: 2 recipients") && review.contains("Promo Desember"), "{review}");
        assert!(review.contains("promo di Kopi Bandung"), "the first recipient's text: {review}");
        b.eval("window.confirm = () => { throw new Error('confirm() is not used') }; return 1").await;
        b.click("#confirm").await;
        b.wait_for("the question", "document.querySelector('dialog[open]')").await;
        let question = b.eval("return document.querySelector('dialog[open]').innerText").await;
        assert!(question.as_str().unwrap().contains("to 2 recipients over 1 outlets"), "{question}");
        b.click("dialog[open] button.primary").await;
        b.wait_for("the blast in the history", "document.querySelectorAll('#blasts-table tbody tr').length === 1")
            .await;
        b.wait_for("the blast opened", "!document.getElementById('detail').hidden").await;

        // The progress bar reaches completed: the clock moves a second at a time (the gap).
        let done = "document.querySelector('#blasts-table tbody tr')?.dataset.status === 'completed' \
                    && (p => p && p.value === p.max)(document.querySelector('#blasts-table tbody tr progress'))";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while b.eval(&format!("return !!({done})")).await != json!(true) {
            assert!(std::time::Instant::now() < deadline, "never completed: {}", b.text().await);
            app.clock.advance_secs(1);
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        }
        let row = b.eval("return document.querySelector('#blasts-table tbody tr').innerText").await;
        let row = row.as_str().unwrap();
        assert!(row.contains("Completed") && row.contains("3 of 3 done") && row.contains("Skipped 1"), "{row}");
        b.wait_for("the open blast completed", "document.getElementById('detail').dataset.status === 'completed'")
            .await;
        assert_eq!(
            b.eval("return document.getElementById('detail-progress').getAttribute('aria-live')").await,
            json!("polite")
        );

        // The report: each recipient's status, filtered, and the CSV of the same.
        b.click("#blasts-table tbody tr button.open").await;
        b.wait_for("the two sent", "[...document.querySelectorAll('#recipients-table tbody tr')].filter(tr => ['read', 'delivered', 'sent'].includes(tr.dataset.status)).length === 2").await;
        let report = b.eval("return document.querySelector('#recipients-table').innerText").await;
        let report = report.as_str().unwrap();
        assert!(report.contains("+6281311110001") && report.contains("Kopi Bandung"), "{report}");
        assert!(report.contains("Skipped") && report.contains("blocked"), "{report}");
        b.eval(&set("#recipient-filter", "skipped")).await;
        b.wait_for("only the skipped", "document.querySelectorAll('#recipients-table tbody tr').length === 1 && document.querySelector('#recipients-table tbody tr').dataset.status === 'skipped'").await;
        b.eval("fetch(document.getElementById('csv').href).then(r => r.text()).then(t => window.__csv = t); return 1")
            .await;
        b.wait_for("the CSV", "typeof window.__csv === 'string'").await;
        let csv = b.eval("return window.__csv").await;
        let lines: Vec<&str> = csv.as_str().unwrap().lines().collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[1].starts_with("+6281311110003,skipped,blocked"), "{lines:?}");

        let blasts = expect_json(owner.get("/api/blasts").await, reqwest::StatusCode::OK).await;
        let c = &blasts["items"][0]["counters"];
        assert_eq!((c["total"].as_i64(), c["skipped"].as_i64(), c["pending"].as_i64()), (Some(3), Some(1), Some(0)));
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }

    /// Moves the clock a second at a time until `done` (a JS expression) holds in the page.
    async fn run_until(b: &Browser, app: &TestApp, what: &str, done: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while b.eval(&format!("return !!({done})")).await != json!(true) {
            assert!(std::time::Instant::now() < deadline, "never {what}: {}", b.text().await);
            app.clock.advance_secs(1);
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        }
    }

    #[tokio::test]
    async fn a_contact_chosen_by_search_a_preview_for_another_and_an_image_go_out_as_one_blast() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let jkt = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &owner, jkt).await;
        for (name, number) in [("Bu Sari", "081311110001"), ("Pak Budi", "081311110002"), ("Rina", "081311110003")] {
            let c = json!({"name": name, "wa_number": number});
            expect_json(owner.post("/api/contacts", c).await, reqwest::StatusCode::CREATED).await;
        }

        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/blast")).await;
        b.wait_for("the outlets", "document.querySelectorAll('#outlet-list input:checked').length === 1").await;
        // No template yet: the page starts on a text of one's own.
        b.wait_for("the text field", "!document.getElementById('body-field').hidden").await;
        b.type_into("#blast-name", "Sapa Sari").await;
        b.type_into("#blast-body", "Halo {{name}}!").await;

        // A file of numbers: named once chosen, counted with its refused row said.
        let list = std::env::temp_dir().join(format!("kewhats_blast_{}.csv", std::process::id()));
        std::fs::write(&list, "name,phone\nAni,081311119001\nAgus,081311119002\nSalah,12ab\n").unwrap();
        b.click("input[name=audience][value=file]").await;
        b.type_into("#recipients-file", &list.display().to_string()).await;
        b.wait_for("the file counted", "document.getElementById('recipient-count').dataset.count === '2'").await;
        let _ = std::fs::remove_file(&list);
        let count = b.eval("return document.getElementById('recipient-count').textContent").await;
        assert!(count.as_str().unwrap().contains("(left out: 1 not a valid number)"), "{count}");
        let chosen = b.eval("return document.getElementById('file-chosen').textContent").await;
        assert!(chosen.as_str().unwrap().starts_with("File: kewhats_blast_"), "{chosen}");

        // One contact, found by typing part of her name, chosen as a chip; counted alone.
        b.click("input[name=audience][value=contacts]").await;
        b.wait_for("the empty choice explained", "!document.getElementById('no-chosen').hidden").await;
        b.type_into("#contact-search", "sari").await;
        b.wait_for("the one found", "document.querySelectorAll('#contact-results button').length === 1").await;
        let found = b.eval("return document.querySelector('#contact-results button').textContent").await;
        assert_eq!(found, json!("Add Bu Sari (+6281311110001)"));
        b.click("#contact-results button").await;
        b.wait_for("the chip", "document.querySelectorAll('#chosen-contacts li').length === 1").await;
        assert_eq!(
            b.eval("return document.querySelector('#contact-results button').disabled && document.getElementById('no-chosen').hidden").await,
            json!(true)
        );
        b.wait_for("the live count", "document.getElementById('recipient-count').dataset.count === '1'").await;
        b.wait_for("her sample", "document.getElementById('preview-text').textContent === 'Halo Bu Sari!'").await;

        // The preview for another contact, found in the preview's own search: says whose it is.
        b.type_into("#preview-search", "budi").await;
        b.wait_for("his sample", "document.getElementById('preview-text').textContent === 'Halo Pak Budi!'").await;
        let who = b.eval("return document.getElementById('preview-who').textContent").await;
        assert!(who.as_str().unwrap().contains("Pak Budi"), "{who}");
        assert_eq!(b.eval("return document.getElementById('recipient-count').dataset.count").await, json!("1"));

        // A picture attached, shown in the preview with the text as its caption.
        let picture = std::env::temp_dir().join(format!("kewhats_blast_{}.png", std::process::id()));
        std::fs::write(&picture, TINY_PNG).unwrap();
        b.type_into("#blast-file", &picture.display().to_string()).await;
        b.wait_for("the chosen picture", "document.getElementById('preview-image').src.startsWith('data:image/png')")
            .await;
        assert_eq!(
            b.eval("return document.getElementById('preview-media').classList.contains('with-caption') && !document.getElementById('blast-media').hidden").await,
            json!(true)
        );
        // It cannot go with a recurring blast (each run is made anew): said at the file.
        b.click("input[name=start][value=recurring]").await;
        b.click("#review").await;
        b.wait_for("the refusal at the file", "!document.getElementById('err-media').hidden").await;
        b.click("input[name=start][value=now]").await;

        b.click("#advanced summary").await;
        for (id, value) in [("#gap-min", "1"), ("#gap-max", "1"), ("#window-start", "00:00"), ("#window-end", "00:00")]
        {
            b.eval(&set(id, value)).await;
        }
        b.click("#review").await;
        b.wait_for("the review", "!document.getElementById('review-box').hidden").await;
        let review = b.eval("return document.getElementById('review-box').innerText").await;
        let review = review.as_str().unwrap();
        assert!(review.contains("Halo Pak Budi!") && review.contains("Sample for Pak Budi"), "{review}");
        assert!(review.contains("Image: kewhats_blast_") && review.contains("the text is its caption"), "{review}");
        assert!(review.contains("1 recipients over 1 outlets"), "{review}");
        // A change after the review asks for a new one: what is sent is what was reviewed.
        b.eval(&set("#gap-max", "1")).await;
        b.wait_for("the review withdrawn", "document.getElementById('review-box').hidden").await;
        b.click("#review").await;
        b.wait_for("the review again", "!document.getElementById('review-box').hidden").await;
        // The chips, the results, the file and the review pass the accessibility check too.
        let problems = b.accessibility_violations().await;
        assert!(problems.is_empty(), "{problems:?}");
        b.click("#confirm").await;
        b.wait_for("the question", "document.querySelector('dialog[open]')").await;
        b.click("dialog[open] button.primary").await;
        b.wait_for("the blast opened", "!document.getElementById('detail').hidden").await;
        let _ = std::fs::remove_file(&picture);

        run_until(&b, &app, "completed", "document.getElementById('detail').dataset.status === 'completed' && document.querySelector('#blasts-table tbody tr')?.dataset.status === 'completed'").await;
        let media = b.eval("return document.getElementById('detail-media').textContent").await;
        assert!(media.as_str().unwrap().starts_with("Attachment: Image: kewhats_blast_"), "{media}");
        let row = b.eval("return document.querySelector('#blasts-table tbody tr').innerText").await;
        assert!(row.as_str().unwrap().contains("with image") && row.as_str().unwrap().contains("1 of 1 done"), "{row}");

        let blasts = expect_json(owner.get("/api/blasts").await, reqwest::StatusCode::OK).await;
        let blast = &blasts["items"][0];
        assert_eq!(blasts["items"].as_array().map(Vec::len), Some(1), "one blast, no leftover draft");
        assert_eq!(
            (blast["media"]["kind"].as_str(), blast["media"]["mime"].as_str()),
            (Some("image"), Some("image/png"))
        );
        assert_eq!(blast["recipients"]["contact_ids"].as_array().map(Vec::len), Some(1));
        let sent =
            expect_json(owner.get(&format!("/api/blasts/{}/recipients", blast["id"])).await, reqwest::StatusCode::OK)
                .await;
        assert_eq!(sent["items"][0]["wa_number"], json!("+6281311110001"));
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_running_blast_shows_its_eta_why_it_waits_and_a_paused_outlet_and_a_schedule_is_stopped() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let jkt = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        let bogor = create_outlet(&owner, "Kopi Bogor", "Bogor", "081200000002").await; // no phone
        pair_sim(&app, &owner, jkt).await;
        let numbers = json!(["081311110001", "081311110002", "081311110003"]);
        let any_time = json!({"gap_min_secs": 60, "gap_max_secs": 60, "window_start": "00:00", "window_end": "00:00"});
        // A minute between two sends, and the clock stands still: it is running for good.
        let slow = json!({"name": "Pelan", "body": "Halo", "outlet_ids": [jkt], "recipients": {"numbers": numbers}, "pacing": any_time, "start": "now"});
        let slow = expect_json(owner.post("/api/blasts", slow).await, reqwest::StatusCode::CREATED).await["blast"]
            ["id"]
            .clone();
        // Sending hours that begin two hours from now (Jakarta time, the owner's).
        let local_hour = (domain::Clock::now(&app.clock).millis() / 3_600_000 + 7).rem_euclid(24);
        let window = json!({"window_start": format!("{:02}:00", (local_hour + 2) % 24), "window_end": format!("{:02}:00", (local_hour + 3) % 24)});
        let later = json!({"name": "Nanti", "body": "Halo", "outlet_ids": [jkt], "recipients": {"numbers": numbers}, "pacing": window, "start": "now"});
        let later = expect_json(owner.post("/api/blasts", later).await, reqwest::StatusCode::CREATED).await["blast"]
            ["id"]
            .clone();
        let stuck = json!({"name": "Bogor", "body": "Halo", "outlet_ids": [bogor], "recipients": {"numbers": numbers}, "pacing": any_time, "start": "now"});
        let stuck = expect_json(owner.post("/api/blasts", stuck).await, reqwest::StatusCode::CREATED).await["blast"]
            ["id"]
            .clone();
        let weekly = json!({"name": "Promo Jumat", "body": "Halo", "outlet_ids": [jkt], "recipients": {"numbers": numbers}, "start": "recurring",
            "schedule": {"rule": {"every": "weekly", "days": [5]}, "time": "09:00", "max_runs": 4}});
        expect_json(owner.post("/api/blasts", weekly).await, reqwest::StatusCode::CREATED).await;

        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/blast")).await;
        let row =
            |id: &serde_json::Value| format!("document.querySelector('#blasts-table tbody tr[data-id=\"{id}\"]')");
        b.wait_for("the three blasts", "document.querySelectorAll('#blasts-table tbody tr').length === 3").await;

        // The slow one: how long still, and until when.
        b.wait_for(
            "the ETA in the list",
            &format!("/min left, done (tomorrow )?at \\d\\d:\\d\\d/.test({}.innerText)", row(&slow)),
        )
        .await;
        b.click(&format!("#blasts-table tbody tr[data-id=\"{slow}\"] button.open")).await;
        b.wait_for(
            "the ETA of the open blast",
            "/min left, done (tomorrow )?at \\d\\d:\\d\\d/.test(document.getElementById('detail-eta').textContent)",
        )
        .await;
        assert_eq!(b.eval("return document.getElementById('detail-waiting').hidden").await, json!(true));
        // The gap passes: the next send reaches the list by the event stream alone (the list is
        // polled only while the stream is down).
        assert_eq!(b.eval("return document.querySelectorAll('#blasts-table tbody tr').length").await, json!(3));
        app.clock.advance_secs(61);
        b.wait_for(
            "the next send in the list",
            &format!("/2 of 3 done · about \\d+ min left/.test({}.innerText)", row(&slow)),
        )
        .await;

        // The one outside its hours says when it goes on (with the day after midnight).
        let opens = format!("{:02}:00", (local_hour + 2) % 24);
        b.wait_for(
            "the wait in the list",
            &format!(
                "(t => t.startsWith('Waiting for the sending hours: goes on at ') && t.endsWith('{opens}'))({}.querySelector('.waiting')?.textContent || '')",
                row(&later)
            ),
        )
        .await;
        b.click(&format!("#blasts-table tbody tr[data-id=\"{later}\"] button.open")).await;
        b.wait_for("the wait of the open blast", &format!("(t => t.startsWith('Waiting for the sending hours: goes on at ') && t.endsWith('{opens}'))(document.getElementById('detail-waiting').textContent)")).await;

        // The one whose outlet has no phone: that outlet is named, with the way to fix it.
        b.click(&format!("#blasts-table tbody tr[data-id=\"{stuck}\"] button.open")).await;
        b.wait_for("the paused outlet", "document.querySelectorAll('#detail-paused li').length === 1").await;
        let paused = b.eval("return document.querySelector('#detail-paused li').innerText").await;
        assert!(paused.as_str().unwrap().starts_with("Kopi Bogor — Paused: no phone linked"), "{paused}");
        assert_eq!(
            b.eval("return document.querySelector('#detail-paused li a').getAttribute('href')").await,
            json!("/outlet-status")
        );
        let waiting = b.eval("return document.getElementById('detail-waiting').textContent").await;
        assert!(waiting.as_str().unwrap().starts_with("No outlet phone can send now"), "{waiting}");
        let problems = b.accessibility_violations().await;
        assert!(problems.is_empty(), "the waits and the paused outlet: {problems:?}");

        // The repeating one: its rule, next run and runs; stopped after a question.
        b.wait_for("the schedule", "document.querySelectorAll('#schedules-table tbody tr').length === 1").await;
        let schedule = b.eval("return document.querySelector('#schedules-table tbody tr').innerText").await;
        let schedule = schedule.as_str().unwrap();
        assert!(
            schedule.contains("Promo Jumat")
                && schedule.contains("Every week on Friday at 09:00")
                && schedule.contains("0 of 4")
                && schedule.contains("Active"),
            "{schedule}"
        );
        b.click("#schedules-table tbody button.stop").await;
        b.wait_for("the question", "document.querySelector('dialog[open]')").await;
        b.press_escape().await;
        b.wait_for("no question", "!document.querySelector('dialog[open]')").await;
        assert_eq!(
            b.eval("return document.querySelector('#schedules-table tbody tr').dataset.active").await,
            json!("true")
        );
        b.click("#schedules-table tbody button.stop").await;
        b.wait_for("the question", "document.querySelector('dialog[open]')").await;
        b.click("dialog[open] button.danger").await;
        b.wait_for(
            "the schedule stopped",
            "document.querySelector('#schedules-table tbody tr')?.dataset.active === 'false'",
        )
        .await;
        assert!(b
            .eval("return document.querySelector('#schedules-table tbody tr').innerText")
            .await
            .as_str()
            .unwrap()
            .contains("Stopped"));
        let schedules = expect_json(owner.get("/api/blasts/schedules").await, reqwest::StatusCode::OK).await;
        assert_eq!(schedules["items"][0]["active"], json!(false));

        // Loaded afresh, the list names the outlet a blast waits at.
        b.goto(&app.url("/blast")).await;
        b.wait_for(
            "the paused outlet in the list",
            &format!(
                "{}?.querySelector('.paused-note')?.textContent === 'Paused at Kopi Bogor: open it to see why'",
                row(&stuck)
            ),
        )
        .await;
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

mod auto_reply_page {
    use super::*;

    #[tokio::test]
    async fn a_rule_made_in_the_page_answers_in_the_tester_and_on_whatsapp_marked_automatic() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let jkt = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &owner, jkt).await;

        // No rule yet: the empty state, whose button leads to the form.
        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/auto-replies")).await;
        b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
        assert!(b.text().await.contains("No auto-replies yet."));
        b.wait_for("the outlets to choose", "document.querySelectorAll('#outlet-choices input').length === 1").await;
        b.click("#empty-create").await;
        assert_eq!(b.eval("return document.activeElement.id").await, json!("rule-name"));

        // A pattern that does not compile is refused at the triggers, with the reason.
        b.type_into("#rule-name", "Harga").await;
        b.click("input[name=match_type][value=regex]").await;
        b.type_into("#trigger-input", "(harga").await;
        b.click("#trigger-add").await;
        b.wait_for("the chip", "document.querySelectorAll('#trigger-list li').length === 1").await;
        b.type_into("#rule-reply", "Harga kopi susu Rp 20.000, kak ").await;
        b.click("button[data-variable=name]").await;
        b.click("#rule-form button[type=submit]").await;
        b.wait_for("the refusal at the triggers", "!document.getElementById('err-triggers').hidden").await;
        let refusal = b.eval("return document.getElementById('err-triggers').textContent").await;
        assert!(refusal.as_str().unwrap().contains("(harga"), "{refusal}");
        assert!(refusal.as_str().unwrap().contains("unclosed"), "the reason: {refusal}");
        assert_eq!(b.eval("return document.querySelectorAll('#rules-table tbody tr').length").await, json!(0));

        // Fixed: two plain words, "contains", saved.
        b.click("#trigger-list li button").await;
        b.click("input[name=match_type][value=contains]").await;
        for word in ["harga", "price list"] {
            b.type_into("#trigger-input", word).await;
            b.click("#trigger-add").await;
        }
        assert_eq!(
            b.eval("return document.getElementById('rule-reply').value").await,
            json!("Harga kopi susu Rp 20.000, kak {{name}}")
        );
        b.click("#rule-form button[type=submit]").await;
        b.wait_for("the rule in the list", "document.querySelectorAll('#rules-table tbody tr').length === 1").await;
        assert!(b
            .eval("return document.getElementById('flash').textContent")
            .await
            .as_str()
            .unwrap()
            .contains("Rule \"Harga\" saved."));
        let row = b.eval("return document.querySelector('#rules-table tbody tr').innerText").await;
        let row = row.as_str().unwrap();
        for shown in ["Harga", "harga", "price list", "Contains", "All outlets", "100", "Never answered"] {
            assert!(row.contains(shown), "{shown} in {row}");
        }
        assert_eq!(b.eval("return document.getElementById('empty').hidden").await, json!(true));

        // The tester: which rule answers and with what; another text, none. Nothing is written.
        b.type_into("#test-text", "Berapa HARGA kopinya?").await;
        b.eval(&format!("document.getElementById('test-outlet').value = '{jkt}'; return 1")).await;
        b.click("#tester-form button[type=submit]").await;
        b.wait_for("the answer", "document.getElementById('test-result').dataset.rule").await;
        let verdict = b.eval("return document.getElementById('test-verdict').textContent").await;
        assert_eq!(verdict, json!("Rule \"Harga\" answers (matched \"harga\")."));
        let reply = b.eval("return document.getElementById('test-reply').textContent").await;
        assert!(reply.as_str().unwrap().starts_with("Harga kopi susu Rp 20.000, kak "), "{reply}");
        b.type_into("#test-text", "jam buka?").await;
        b.click("#tester-form button[type=submit]").await;
        b.wait_for("no rule", "document.getElementById('test-result').dataset.rule === ''").await;
        assert_eq!(
            b.eval("return document.getElementById('test-verdict').textContent").await,
            json!("No rule matches: this message gets no automatic reply.")
        );
        assert_eq!(b.eval("return document.getElementById('test-reply').hidden").await, json!(true));
        assert_eq!(expect_json(owner.get("/api/messages").await, reqwest::StatusCode::OK).await["total"], 0);

        // A customer asks on WhatsApp: the reply is in /messages, marked automatic.
        let path = format!("/api/sandbox/outlets/{jkt}/inbound");
        let body = json!({"from": "081311110001", "text": "Kak, price list dong"});
        expect_json(owner.post(&path, body).await, reqwest::StatusCode::ACCEPTED).await;
        b.goto(&app.url("/messages")).await;
        b.wait_for("the automatic reply", "document.querySelector('#messages-table tbody .badge.origin')").await;
        let marked = b
            .eval("return document.querySelector('#messages-table tbody .badge.origin').closest('tr').innerText")
            .await;
        let marked = marked.as_str().unwrap();
        assert!(marked.contains("Auto-reply") && marked.contains("Harga kopi susu Rp 20.000"), "{marked}");
        assert!(marked.contains("+6281311110001"), "{marked}");
        let unmarked = b.eval("return [...document.querySelectorAll('#messages-table tbody tr')].filter(tr => !tr.querySelector('.badge.origin')).map(tr => tr.innerText)").await;
        assert!(
            unmarked.as_array().unwrap().iter().all(|t| t.as_str().unwrap().contains("price list dong")),
            "only the reply is marked: {unmarked}"
        );

        // Back on the page: counted; switched off; deleted after a question.
        b.goto(&app.url("/auto-replies")).await;
        b.wait_for("the count", "document.querySelector('#rules-table tbody tr td .count')?.textContent === '1'").await;
        b.click("#rules-table tbody tr input.active-toggle").await;
        b.wait_for("switched off", "document.querySelector('#rules-table tbody tr')?.dataset.active === 'false'").await;
        let rules = expect_json(owner.get("/api/auto-replies").await, reqwest::StatusCode::OK).await;
        assert_eq!(rules["items"][0]["active"], json!(false));
        b.click("#rules-table tbody tr button.danger").await;
        b.wait_for("the question", "document.querySelector('dialog[open]')").await;
        let question = b.eval("return document.querySelector('dialog[open]').innerText").await;
        assert!(question.as_str().unwrap().contains("Delete the rule \"Harga\"?"), "{question}");
        b.press_escape().await;
        b.wait_for("no question", "!document.querySelector('dialog[open]')").await;
        assert_eq!(b.eval("return document.querySelectorAll('#rules-table tbody tr').length").await, json!(1));
        b.click("#rules-table tbody tr button.danger").await;
        b.wait_for("the question", "document.querySelector('dialog[open] button.danger')").await;
        b.click("dialog[open] button.danger").await;
        b.wait_for("the empty state again", "!document.getElementById('empty').hidden").await;
        assert_eq!(expect_json(owner.get("/api/auto-replies").await, reqwest::StatusCode::OK).await["total"], 0);
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

mod chatbot_page {
    use super::*;

    /// Sets a `<select>` in the page and tells the page it changed.
    async fn choose(b: &Browser, css: &str, value: &str) {
        b.eval(&format!(
            "const s = document.querySelector('{css}'); s.value = '{value}'; s.dispatchEvent(new Event('change')); return 1"
        ))
        .await;
    }

    #[tokio::test]
    async fn a_two_step_flow_built_in_the_page_runs_in_the_simulator_then_on_whatsapp_and_is_handed_over() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        let jkt = create_outlet(&owner, "Kopi Jakarta", "Jakarta", "081200000001").await;
        pair_sim(&app, &owner, jkt).await;

        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/chatbots")).await;
        b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
        assert!(b.text().await.contains("No chatbots yet."));
        b.click("#empty-create").await;
        assert_eq!(b.eval("return document.activeElement.id").await, json!("bot-name"));
        b.type_into("#bot-name", "Daftar member").await;
        b.type_into("#bot-keywords", "daftar, member").await;

        // Two steps, added top to bottom: a question, then the end. The first goes on to the
        // second by itself. (No "?" in the question: the sandbox's customers answer questions.)
        b.click("#add-step").await; // (a question is the kind offered first)
        b.wait_for("the first step", "document.querySelectorAll('#step-list li.flow-step').length === 1").await;
        let first = "#step-list li.flow-step:nth-child(1)";
        b.type_into(&format!("{first} [name=prompt]"), "Tulis nama kakak ya").await;
        choose(&b, "#new-step-type", "end").await;
        b.click("#add-step").await;
        b.wait_for("the second step", "document.querySelectorAll('#step-list li.flow-step').length === 2").await;
        let second = "#step-list li.flow-step:nth-child(2)";
        b.type_into(&format!("{second} [name=message]"), "Terima kasih {{nama}}, sudah terdaftar.").await;
        let arrow = b
            .eval(&format!(
                "const s = document.querySelector('{first} select[name=next]'); return s.options[s.selectedIndex].text"
            ))
            .await;
        assert_eq!(arrow, json!("2. step-2"));
        let text = b.text().await;
        assert!(text.contains("1. Ask a question") && text.contains("2. End the conversation"), "{text}");

        // Saving without the variable the answer is kept in: refused, naming the step.
        b.click("#bot-form button[type=submit]").await;
        b.wait_for("the refusal at the steps", "!document.getElementById('err-steps').hidden").await;
        let refusal = b.eval("return document.getElementById('err-steps').textContent").await;
        assert!(refusal.as_str().unwrap().contains("step-1"), "{refusal}");
        assert_eq!(expect_json(owner.get("/api/chatbots").await, reqwest::StatusCode::OK).await["total"], 0);
        b.type_into(&format!("{first} [name=variable]"), "nama").await;

        // The simulator runs the flow as it is in the editor, before it is saved.
        b.type_into("#sim-text", "daftar").await;
        b.click("#sim-form button[type=submit]").await;
        b.wait_for("the question", "document.querySelectorAll('#sim-log li.bot').length === 1").await;
        assert_eq!(
            b.eval("return document.querySelector('#sim-log li.bot').innerText").await,
            json!("Tulis nama kakak ya")
        );
        assert!(b
            .eval("return document.getElementById('sim-log').innerText")
            .await
            .as_str()
            .unwrap()
            .contains("The bot waits for the answer."));
        b.type_into("#sim-text", "Budi").await;
        b.click("#sim-form button[type=submit]").await;
        b.wait_for("the thanks", "document.querySelectorAll('#sim-log li.bot').length === 2").await;
        let log = b.eval("return [...document.querySelectorAll('#sim-log li')].map(li => li.innerText)").await;
        assert_eq!(
            log,
            json!([
                "daftar",
                "Tulis nama kakak ya",
                "The bot waits for the answer.",
                "Budi",
                "Terima kasih Budi, sudah terdaftar.",
                "The conversation ended."
            ])
        );
        let kept = b.eval("return [...document.querySelectorAll('#sim-variables dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent])").await;
        assert!(kept.as_array().unwrap().contains(&json!(["nama", "Budi"])), "{kept}");
        assert_eq!(
            expect_json(owner.get("/api/messages").await, reqwest::StatusCode::OK).await["total"],
            0,
            "the simulator sends nothing"
        );

        // Saved switched on: in the list, and the API holds the two steps with their arrow.
        b.click("#bot-active").await;
        b.click("#bot-form button[type=submit]").await;
        b.wait_for("the chatbot in the list", "document.querySelectorAll('#bots-table tbody tr').length === 1").await;
        let row = b.eval("return document.querySelector('#bots-table tbody tr').innerText").await;
        let row = row.as_str().unwrap();
        for shown in ["Daftar member", "daftar", "member", "All outlets", "2"] {
            assert!(row.contains(shown), "{shown} in {row}");
        }
        let bots = expect_json(owner.get("/api/chatbots").await, reqwest::StatusCode::OK).await;
        let bot = &bots["items"][0];
        assert_eq!(bot["active"], json!(true));
        assert_eq!(
            bot["trigger"],
            json!({"type": "keywords", "keywords": ["daftar", "member"], "match_type": "exact"})
        );
        assert_eq!(bot["steps"][0]["next"], json!("step-2"));
        assert_eq!(bot["steps"][0]["variable"], json!("nama"));

        // A customer starts it on WhatsApp: the conversation is listed, waiting at the question.
        let path = format!("/api/sandbox/outlets/{jkt}/inbound");
        expect_json(
            owner.post(&path, json!({"from": "081311110001", "text": "Daftar"})).await,
            reqwest::StatusCode::ACCEPTED,
        )
        .await;
        let listed = "document.querySelector('#sessions-table tbody tr[data-status=active]')";
        for _ in 0..50 {
            b.click("#sessions-refresh").await;
            if b.eval(&format!("return !!{listed}")).await == json!(true) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        b.wait_for("the conversation", listed).await;
        let row = b.eval("return document.querySelector('#sessions-table tbody tr').innerText").await;
        let row = row.as_str().unwrap();
        for shown in ["+6281311110001", "Daftar member", "Kopi Jakarta", "Active", "step-1"] {
            assert!(row.contains(shown), "{shown} in {row}");
        }

        // Taken over from the page, for 15 minutes: the bot keeps quiet to that customer.
        b.click("#sessions-table tbody tr button.hand-over").await;
        b.wait_for("the question", "document.querySelector('dialog[open] input[name=minutes]')").await;
        b.type_into("dialog[open] input[name=minutes]", "15").await;
        b.click("dialog[open] button.primary").await;
        b.wait_for("handed over", "document.querySelector('#sessions-table tbody tr[data-status=handed_over]')").await;
        let sessions =
            expect_json(owner.get("/api/chatbots/sessions?status=handed_over").await, reqwest::StatusCode::OK).await;
        assert_eq!(sessions["total"], 1);
        assert!(sessions["items"][0]["handed_over_until"].is_string());
        assert!(b
            .eval("return document.querySelector('#sessions-table tbody tr').innerText")
            .await
            .as_str()
            .unwrap()
            .contains("quiet until"));

        // The question went out on WhatsApp, marked as the chatbot's.
        b.goto(&app.url("/messages")).await;
        b.wait_for(
            "the chatbot's message",
            "document.querySelector('#messages-table tbody .badge.origin[data-origin=chatbot]')",
        )
        .await;
        let marked = b
            .eval("return document.querySelector('#messages-table tbody .badge.origin').closest('tr').innerText")
            .await;
        assert!(marked.as_str().unwrap().contains("Tulis nama kakak ya"), "{marked}");
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

mod integration_page {
    use super::*;
    use crate::providers::{Kind, Provider};

    #[tokio::test]
    async fn a_telegram_integration_added_in_the_page_gets_its_test_and_the_log_says_delivered() {
        let tg = Provider::start(Kind::Telegram).await;
        let db = TestDb::sqlite();
        let base = tg.base();
        let app = TestApp::start_with(&db, move |c| {
            c.webhooks_allow_private = true;
            c.telegram_api_url = base;
            c.public_url = Some("https://wa.toko.id".into());
        })
        .await;
        let Some(b) = Browser::start().await else { return };
        let (_, owner) = app.as_new("owner@shop.id", Role::User).await;
        log_in(&b, &app, "owner@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/integrations")).await;
        b.wait_for("the empty state", "!document.getElementById('empty').hidden").await;
        assert!(b.text().await.contains("No integrations yet."));
        b.click("#empty-create").await;

        // A wrong token is refused at the channel, saying what a token looks like.
        b.type_into("#bot-token", "token-saya").await;
        b.type_into("#chat-id", "-1001234567890").await;
        b.type_into("#integration-name", "Grup admin").await;
        b.click("#integration-form button[type=submit]").await;
        b.wait_for("the refusal", "!document.getElementById('err-channel').hidden").await;
        let refusal = b.eval("return document.getElementById('err-channel').textContent").await;
        assert!(refusal.as_str().unwrap().contains("@BotFather"), "{refusal}");
        b.type_into("#bot-token", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").await;
        b.click("#integration-form button[type=submit]").await;
        b.wait_for(
            "the integration in the list",
            "document.querySelectorAll('#integrations-table tbody tr').length === 1",
        )
        .await;
        let row = b.eval("return document.querySelector('#integrations-table tbody tr').innerText").await;
        let row = row.as_str().unwrap();
        for shown in ["Grup admin", "Telegram", "customer messages", "Not used yet"] {
            assert!(row.contains(shown), "{shown} in {row}");
        }
        assert!(!b.text().await.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), "the token is not shown");

        // Send test: the log opens and, refreshed, says delivered; Telegram got the test.
        b.click("#integrations-table tbody tr button.test").await;
        b.wait_for("the log", "!document.getElementById('log-card').hidden").await;
        let delivered = "document.querySelector('#log-table tbody tr[data-status=delivered]')";
        for _ in 0..50 {
            if b.eval(&format!("return !!{delivered}")).await == json!(true) {
                break;
            }
            b.click("#log-refresh").await;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        b.wait_for("delivered in the log", delivered).await;
        let line = b.eval("return document.querySelector('#log-table tbody tr').innerText").await;
        assert!(line.as_str().unwrap().contains("Delivered") && line.as_str().unwrap().contains("test"), "{line}");
        let calls = tg.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].body["chat_id"], "-1001234567890");
        assert!(calls[0].body["text"].as_str().unwrap().contains("This integration works"));
        // Refreshing the log refreshes the list too: the integration works.
        b.click("#log-refresh").await;
        b.wait_for("working", "document.querySelector('#integrations-table tbody tr')?.dataset.status === 'connected'")
            .await;
        let listed = expect_json(owner.get("/api/integrations").await, reqwest::StatusCode::OK).await;
        assert_eq!(listed["items"][0]["status"], "connected");

        // Replies on: Telegram is told where to post, and the row says so.
        b.click("#integrations-table tbody tr button.replies").await;
        b.wait_for("replies on", "!!document.querySelector('#integrations-table tbody tr .badge.replies-on')").await;
        assert!(b.text().await.contains("reply to a forwarded customer message"), "the flash explains replies");
        let calls = tg.calls();
        assert_eq!(calls[1].uri, "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/setWebhook");
        let id = listed["items"][0]["id"].as_i64().unwrap();
        assert_eq!(calls[1].body["url"], format!("https://wa.toko.id/api/integrations/{id}/telegram"));
        let button =
            b.eval("return document.querySelector('#integrations-table tbody tr button.replies').textContent").await;
        assert_eq!(button, json!("Turn replies off"));
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

mod plans_page {
    use super::*;

    #[tokio::test]
    async fn an_admin_raises_a_plans_limit_in_the_editor_and_its_owners_may_add_one_more() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        app.as_new("boss@shop.id", Role::Admin).await;
        let (owner, s) = app.as_new("ana@shop.id", Role::User).await;
        let change = domain::policy::UserChange { plan: Some(domain::Plan::Free), ..Default::default() };
        app.store.update_user(owner, change, domain::Clock::now(&app.clock)).await.unwrap();
        create_outlet(&s, "Kopi Jakarta", "Jakarta", "081200000001").await;
        let second = json!({"name": "Kopi Bogor", "wa_number": "081200000002"});
        assert_eq!(s.post("/api/outlets", second.clone()).await.status(), reqwest::StatusCode::PAYMENT_REQUIRED);

        log_in(&b, &app, "boss@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/admin/billing")).await;
        b.wait_for("the four plans", "document.querySelectorAll('#plan-forms form').length === 4").await;
        let shown = b.eval("return document.getElementById('free-outlets').value").await;
        assert_eq!(shown, json!("1"));
        assert_eq!(
            b.eval("return document.getElementById('unlimited-contacts').value").await,
            json!(""),
            "unlimited is empty"
        );
        b.type_into("#free-outlets", "2").await;
        b.click("form[data-plan=free] button[type=submit]").await;
        b.wait_for("saved", "document.body.innerText.includes('Plan \"Free\" saved.')").await;
        assert_eq!(b.eval("return document.getElementById('free-outlets').value").await, json!("2"));

        // The owner may add the second outlet now, and no third; the billing page says so.
        expect_json(s.post("/api/outlets", second).await, reqwest::StatusCode::CREATED).await;
        let third = json!({"name": "Kopi Depok", "wa_number": "081200000003"});
        assert_eq!(s.post("/api/outlets", third).await.status(), reqwest::StatusCode::PAYMENT_REQUIRED);
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

mod billing_page {
    use super::*;
    use crate::providers::Midtrans;

    #[tokio::test]
    async fn a_free_owner_upgrades_to_pro_through_midtrans_and_sees_the_new_limits() {
        let midtrans = Midtrans::start("SB-Mid-server-TOKO4x9Kq2").await;
        let db = TestDb::sqlite();
        let base = midtrans.base();
        let app = TestApp::start_with(&db, move |c| c.midtrans_url = Some(base)).await;
        let Some(b) = Browser::start().await else { return };
        let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
        expect_json(
            admin.put("/api/admin/payment-gateways/midtrans", json!({"server_key": midtrans.key})).await,
            reqwest::StatusCode::OK,
        )
        .await;
        let (owner, _) = app.as_new("ana@shop.id", Role::User).await;
        let change = domain::policy::UserChange { plan: Some(domain::Plan::Free), ..Default::default() };
        app.store.update_user(owner, change, domain::Clock::now(&app.clock)).await.unwrap();

        log_in(&b, &app, "ana@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/billing")).await;
        b.wait_for("the plans", "document.querySelectorAll('#plans-table tbody tr').length === 4").await;
        let outlets = "document.querySelector('#usage li[data-limit=outlets] .usage-count').textContent";
        assert_eq!(b.eval(&format!("return {outlets}")).await, json!("0 of 1"));
        assert!(b.text().await.contains("No invoices yet."));

        // Pay monthly for Pro: off to Midtrans' page; Midtrans tells the server it was paid.
        b.click("#plans-table tr[data-plan=pro] button.pay-monthly").await;
        b.wait_for("Midtrans' page", "location.pathname.startsWith('/snap/v4/redirection/')").await;
        let made = midtrans.made();
        let order = made[0]["transaction_details"]["order_id"].as_str().unwrap().to_string();
        let paid = app
            .client()
            .post(app.url("/api/payments/midtrans"))
            .json(&midtrans.notification(&order, 20_000, "settlement", false))
            .send()
            .await
            .unwrap();
        assert_eq!(paid.status(), reqwest::StatusCode::OK);

        // Back on the billing page: Pro, its limits, and the paid invoice.
        b.goto(&app.url("/billing")).await;
        b.wait_for(
            "the invoice",
            "document.querySelectorAll('#invoices-table tbody tr[data-status=paid]').length === 1",
        )
        .await;
        let summary = b.eval("return document.getElementById('plan-summary').textContent").await;
        assert!(summary.as_str().unwrap().starts_with("You are on the Pro plan until"), "{summary}");
        assert_eq!(b.eval(&format!("return {outlets}")).await, json!("0 of 3"));
        let current = b.eval("return document.querySelector('#plans-table tr.current').dataset.plan").await;
        assert_eq!(current, json!("pro"));
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn in_the_sandbox_an_owner_pays_on_the_simulated_page_and_is_on_the_plan() {
        let db = TestDb::sqlite();
        let app = TestApp::start(&db).await;
        let Some(b) = Browser::start().await else { return };
        let (owner, _) = app.as_new("ana@shop.id", Role::User).await;
        let change = domain::policy::UserChange { plan: Some(domain::Plan::Free), ..Default::default() };
        app.store.update_user(owner, change, domain::Clock::now(&app.clock)).await.unwrap();
        log_in(&b, &app, "ana@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        b.goto(&app.url("/billing")).await;
        b.wait_for("the plans", "document.querySelectorAll('#plans-table tbody tr').length === 4").await;
        b.click("#plans-table tr[data-plan=enterprise] button.pay-yearly").await;
        b.wait_for("the simulated page", "location.pathname.startsWith('/billing/sandbox/')").await;
        b.wait_for("its button", "!!document.getElementById('sandbox-pay')").await;
        let page = b.text().await;
        assert!(page.contains("Rp 500.000") && page.contains("no money moves"), "{page}");
        assert_eq!(b.accessibility_violations().await, Vec::<String>::new());
        b.click("#sandbox-pay").await;
        b.wait_for("back on billing", "location.pathname === '/billing'").await;
        b.wait_for(
            "the paid invoice",
            "document.querySelectorAll('#invoices-table tbody tr[data-status=paid]').length === 1",
        )
        .await;
        let summary = b.eval("return document.getElementById('plan-summary').textContent").await;
        assert!(summary.as_str().unwrap().starts_with("You are on the Enterprise plan until"), "{summary}");
        b.quit().await;
        app.stop().await;
        db.cleanup().await;
    }
}

/// Each page, and what shows that its script has filled it in.
const PAGES: &[(&str, &str)] = &[
    ("/dashboard", "document.querySelector('.cards .stat')"),
    ("/outlet-status", "document.querySelectorAll('#status-table tbody tr').length > 0"),
    ("/outlets", "document.querySelectorAll('#outlets-table tbody tr').length > 0"),
    ("/messages", "document.querySelectorAll('#messages-table tbody tr').length > 0"),
    ("/webhooks", "document.querySelectorAll('#webhooks-table tbody tr').length > 0"),
    ("/api-keys", "document.querySelectorAll('#keys-table tbody tr').length > 0"),
    ("/contacts", "document.querySelectorAll('#contacts-table tbody tr').length > 0 && document.querySelectorAll('#tag-list li').length > 0"),
    ("/templates", "document.querySelectorAll('#templates-table tbody tr').length > 0 && document.getElementById('preview-text').textContent"),
    // (With Advanced unfolded and the first blast's report open, so that both are checked too.)
    ("/blast", "document.querySelectorAll('#outlet-list li').length > 0 && document.getElementById('recipient-count').textContent && document.getElementById('preview-text').textContent && (document.getElementById('advanced').open = true) && (window.__opened ||= !!document.querySelector('#blasts-table tbody tr button.open')?.click() || !!document.querySelector('#blasts-table tbody tr button.open')) && !document.getElementById('detail').hidden && document.querySelectorAll('#recipients-table tbody tr').length > 0"),
    // (With a rule in the editor and the tester's answer shown, so that both are checked too.)
    ("/auto-replies", "document.querySelectorAll('#rules-table tbody tr').length > 0 && document.querySelectorAll('#outlet-choices input').length > 0 && (window.__edited ||= !!document.querySelector('#rules-table tbody tr button.edit')?.click() || true) && (window.__tried ||= (document.getElementById('test-text').value = 'harga', !!document.querySelector('#tester-form button[type=submit]')?.click() || true)) && !document.getElementById('test-result').hidden"),
    // (With a flow in the editor, its steps shown, and a conversation listed.)
    ("/chatbots", "document.querySelectorAll('#bots-table tbody tr').length > 0 && document.querySelectorAll('#sessions-table tbody tr').length > 0 && (window.__opened ||= !!document.querySelector('#bots-table tbody tr button.edit')?.click() || true) && document.querySelectorAll('#step-list li.flow-step').length > 1 && document.querySelector('#step-list [name=retry_message]') && !document.getElementById('step-list').textContent.includes('[object')"),
    // (With an e-mail integration in the form, so that its fields are checked too.)
    ("/integrations", "document.querySelectorAll('#integrations-table tbody tr').length > 0 && (window.__shown ||= !!document.querySelector('#integrations-table tbody tr button.edit')?.click() || true) && !document.querySelector('[data-type=email]').hidden"),
    ("/admin/users", "document.querySelectorAll('#users-table tbody tr').length > 0"),
    ("/billing", "document.querySelectorAll('#usage li').length === 9 && document.querySelectorAll('#plans-table tbody tr').length === 4"),
    ("/admin/billing", "document.querySelectorAll('#plan-forms form').length === 4"),
    ("/profile", "document.getElementById('preferences-form')"),
];

#[tokio::test]
async fn every_page_passes_the_accessibility_check_on_a_desktop_and_on_a_phone() {
    let db = TestDb::sqlite();
    let app = TestApp::start_with(&db, |c| c.registration = app::config::Registration::Open).await;
    let Some(b) = Browser::start().await else { return };
    let (_, admin) = app.as_new("boss@shop.id", Role::Admin).await;
    let outlet = create_outlet(&admin, "Toko Bandung", "Bandung", "081200000001").await;
    create_outlet(&admin, "Toko Bogor", "Bogor", "081200000002").await;
    pair_sim(&app, &admin, outlet).await;
    admin.post("/api/messages", json!({"outlet_id": outlet, "to": "081311112222", "text": "Halo"})).await;
    admin.post("/api/keys", json!({"name": "Kasir"})).await;
    let tag = expect_json(admin.post("/api/tags", json!({"name": "vip"})).await, reqwest::StatusCode::CREATED).await;
    let sari =
        json!({"name": "Bu Sari", "wa_number": "081311112222", "email": "sari@contoh.id", "home_outlet_id": outlet});
    let sari = expect_json(admin.post("/api/contacts", sari).await, reqwest::StatusCode::CREATED).await;
    admin.post("/api/contacts/bulk", json!({"action": "tag", "ids": [sari["id"]], "tag_id": tag["id"]})).await;
    admin.post("/api/templates", json!({"name": "Sapa", "body": "{Halo|Hai} {{name}}"})).await;
    admin.post("/api/webhooks", json!({"url": "https://example.com/hook", "events": ["message.received"]})).await;
    let rule = json!({"name": "Harga", "triggers": ["harga", "price"], "reply": "Halo {{name}}", "outlet_ids": [outlet],
        "business_hours": {"days": [1, 2, 3, 4, 5], "start_min": 480, "end_min": 1020}, "outside_hours_reply": "Kami tutup"});
    expect_json(admin.post("/api/auto-replies", rule).await, reqwest::StatusCode::CREATED).await;
    // Every kind of step, so that each one's fields are checked; and a conversation with it.
    let bot = json!({"name": "Daftar", "active": true, "trigger": {"type": "keywords", "keywords": ["daftar"]}, "steps": [
        {"id": "tanya", "type": "ask", "prompt": "Pilih 1 atau 2", "variable": "nama", "validation": {"type": "options", "options": ["1", "2"]}, "retry_message": "1 atau 2", "next": "pilih"},
        {"id": "pilih", "type": "branch", "cases": [{"op": "equals", "value": "1", "next": "jam"}, {"op": "range", "min": 2, "max": 3, "next": "simpan"}], "otherwise": "akhir"},
        {"id": "jam", "type": "business_hours", "hours": {"days": [1, 2, 3, 4, 5], "start_min": 480, "end_min": 1020}, "open": "kirim", "closed": "admin"},
        {"id": "kirim", "type": "send", "text": "Halo {{nama}}", "next": "tunggu"},
        {"id": "tunggu", "type": "delay", "seconds": 5, "next": "akhir"},
        {"id": "simpan", "type": "set_variable", "variable": "kode", "value": "A1", "next": "cek"},
        {"id": "cek", "type": "http", "method": "POST", "url": "https://example.com/cek", "body": "{}", "save": [{"pointer": "/ok", "variable": "ok"}], "next": "akhir", "on_error": "admin"},
        {"id": "admin", "type": "hand_over", "message": "Sebentar", "minutes": 30},
        {"id": "akhir", "type": "end", "message": "Terima kasih"}]});
    expect_json(admin.post("/api/chatbots", bot).await, reqwest::StatusCode::CREATED).await;
    let mail = json!({"name": "E-mail pemilik", "channel": {"type": "email", "host": "smtp.example.com", "from": "kasir@toko.id", "to": ["pemilik@toko.id"]}});
    expect_json(admin.post("/api/integrations", mail).await, reqwest::StatusCode::CREATED).await;
    let inbound = format!("/api/sandbox/outlets/{outlet}/inbound");
    expect_json(
        admin.post(&inbound, json!({"from": "081311119999", "text": "daftar"})).await,
        reqwest::StatusCode::ACCEPTED,
    )
    .await;
    let blast = json!({"name": "Promo", "body": "Halo {{name}}", "outlet_ids": [outlet], "recipients": {"tag_ids": [tag["id"]]}, "start": "now"});
    expect_json(admin.post("/api/blasts", blast).await, reqwest::StatusCode::CREATED).await;

    let mut problems = Vec::new();
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        b.set_size(width, height).await;
        for path in ["/login", "/register"] {
            b.goto(&app.url(path)).await;
            b.wait_for("the form", "document.querySelector('form')").await;
            problems.extend(b.accessibility_violations().await.into_iter().map(|v| format!("{size} {path}: {v}")));
            if let Some(wide) = b.sticking_out().await {
                problems.push(format!("{size} {path}: scrolls sideways: {wide}"));
            }
        }
        log_in(&b, &app, "boss@shop.id", PASSWORD).await;
        b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
        for (path, ready) in PAGES {
            b.goto(&app.url(path)).await;
            b.wait_for(path, ready).await;
            problems.extend(b.accessibility_violations().await.into_iter().map(|v| format!("{size} {path}: {v}")));
            if let Some(wide) = b.sticking_out().await {
                problems.push(format!("{size} {path}: scrolls sideways: {wide}"));
            }
            let rows = b.eval("return new Set([...document.querySelectorAll('.cards .stat')].map(c => c.getBoundingClientRect().top)).size").await;
            if rows.as_u64().is_some_and(|n| n > 1) {
                problems.push(format!("{size} {path}: the summary cards take {rows} rows"));
            }
        }
        // (On a phone the button sits in the closed menu.)
        b.eval("document.getElementById('logout').closest('form').submit(); return 1").await;
        b.wait_for("the login page", "location.pathname === '/login'").await;
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_question_is_a_dialog_that_holds_the_focus_and_escape_answers_no() {
    let db = TestDb::sqlite();
    let app = TestApp::start(&db).await;
    let Some(b) = Browser::start().await else { return };
    app.as_new("ana@shop.id", Role::User).await;
    log_in(&b, &app, "ana@shop.id", PASSWORD).await;
    b.wait_for("the dashboard", "location.pathname === '/dashboard'").await;
    b.goto(&app.url("/profile")).await;
    b.eval("window.confirm = window.prompt = () => { throw new Error('not a dialog') }; return 1").await;

    b.click("#logout-all").await;
    b.wait_for("the question", "document.querySelector('dialog[open]')").await;
    let focus = b.eval("return !!document.activeElement.closest('dialog[open]')").await;
    assert_eq!(focus, json!(true), "the focus moves into the dialog");
    let text = b.eval("return document.querySelector('dialog[open]').innerText").await;
    assert!(text.as_str().unwrap().contains("Log out of every browser"), "{text}");
    b.press_escape().await;
    b.wait_for("the dialog gone", "!document.querySelector('dialog')").await;
    assert!(b.url().await.ends_with("/profile"), "Escape answered no: still here, still logged in");

    b.click("#logout-all").await;
    b.wait_for("the question", "document.querySelector('dialog[open]')").await;
    b.click("dialog[open] button.danger").await;
    b.wait_for("the login page", "location.pathname === '/login'").await;

    // Rupiah read the same in both languages.
    let idr = b.eval("return import('/assets/js/core.js').then(m => [m.rupiah(20000), m.rupiah(-1250000)])").await;
    assert_eq!(idr, json!(["Rp 20.000", "-Rp 1.250.000"]));
    b.quit().await;
    app.stop().await;
    db.cleanup().await;
}
