//! Role × endpoint: every operation of the OpenAPI document, called by every kind of caller with
//! the session cookie and with an API key, answers as `domain::policy::endpoints::ENDPOINTS`
//! says. A route missing from that table (or a row without a route) fails here.

use crate::helpers::*;
use crate::openapi::{document, operations};
use app::crypto::tokens::sha256_hex;
use domain::policy::endpoints::{Answer, Who, ENDPOINTS};
use domain::{Clock, Role, UserId};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use store::both_backends;

/// One caller's two ways in.
struct Credentials {
    email: String,
    session: Session,
    key: String,
}

/// The owner's resources that paths point at, and the callers.
struct World {
    owner: UserId,
    outlet: i64,
    message: i64,
    webhook: i64,
    delivery: i64,
    integration: i64,
    contact: i64,
    template: i64,
    tag: i64,
    auto_reply: i64,
    /// The owner's chatbot, and a conversation with it.
    chatbot: i64,
    chatbot_session: i64,
    /// The owner's blast and recurring blast schedule.
    blast: i64,
    blast_schedule: i64,
    /// The owner's contact import job.
    import: String,
    /// The owner's sandbox invoice.
    invoice: String,
    callers: Vec<(Who, Option<Credentials>)>,
    numbers: u32,
}

#[derive(Clone, Copy, Debug)]
enum Via {
    Cookie,
    Key,
    /// Anonymous with a key that does not exist.
    BogusKey,
}

impl World {
    async fn build(app: &TestApp) -> World {
        let mut callers = Vec::new();
        let mut owner = UserId(0);
        for (i, caller) in Who::ALL.into_iter().enumerate() {
            let role = match caller {
                Who::Anonymous => {
                    callers.push((caller, None));
                    continue;
                }
                Who::Owner | Who::OtherTenant => Role::User,
                Who::Staff(role) => role,
            };
            let email = format!("caller{i}@matrix.id");
            let id = app.user(&email, role).await;
            if caller == Who::Owner {
                owner = id;
            }
            // Straight into the store: monitoring may not create keys, but a key must not
            // widen what its holder may do either way.
            let key = format!("kwk_matrix_{i}");
            app.store.create_api_key(id, "matrix", &key[..12], &sha256_hex(&key), app.clock.now()).await.unwrap();
            let session = app.login(&email).await;
            callers.push((caller, Some(Credentials { email, session, key })));
        }
        let mut world = World {
            owner,
            outlet: 0,
            message: 0,
            webhook: 0,
            delivery: 0,
            integration: 0,
            contact: 0,
            template: 0,
            tag: 0,
            auto_reply: 0,
            chatbot: 0,
            chatbot_session: 0,
            blast: 0,
            blast_schedule: 0,
            import: String::new(),
            invoice: String::new(),
            callers,
            numbers: 0,
        };
        world.outlet = world.fresh_outlet(app, true).await;
        let sent = json!({"outlet_id": world.outlet, "to": "081311112222", "text": "Halo"});
        let sent = world.owner_session().post("/api/messages", sent).await;
        world.message = expect_json(sent, StatusCode::ACCEPTED).await["id"].as_i64().unwrap();
        world.webhook = world.fresh_webhook().await;
        let test = world.owner_session().post(&format!("/api/webhooks/{}/test", world.webhook), json!({})).await;
        world.delivery = expect_json(test, StatusCode::ACCEPTED).await["id"].as_i64().unwrap();
        world.integration = world.fresh_integration().await;
        world.contact = world.fresh_contact().await;
        world.template = world.fresh_template().await;
        // The template has an image, so that reading its media is served.
        let path = format!("/api/templates/{}/media", world.template);
        let put = media_form(world.owner_session().client.put(app.url(&path)))
            .header("x-csrf-token", &world.owner_session().csrf);
        expect_json(put.send().await.unwrap(), StatusCode::OK).await;
        world.tag = world.fresh_tag().await;
        world.auto_reply = world.fresh_auto_reply().await;
        world.chatbot = world.fresh_chatbot().await;
        world.chatbot_session = world.chatbot_session(app).await;
        let blast = world.blast_body();
        let created = expect_json(world.owner_session().post("/api/blasts", blast).await, StatusCode::CREATED).await;
        world.blast = created["blast"]["id"].as_i64().unwrap();
        // The draft has an image, so that reading its media is served (after it starts, putting
        // or removing media answers 409).
        let path = format!("/api/blasts/{}/media", world.blast);
        let put = media_form(world.owner_session().client.put(app.url(&path)))
            .header("x-csrf-token", &world.owner_session().csrf);
        expect_json(put.send().await.unwrap(), StatusCode::OK).await;
        let mut recurring = world.blast_body();
        recurring["start"] = json!("recurring");
        recurring["schedule"] = json!({"rule": {"every": "daily"}, "time": "09:00"});
        let created =
            expect_json(world.owner_session().post("/api/blasts", recurring).await, StatusCode::CREATED).await;
        world.blast_schedule = created["schedule"]["id"].as_i64().unwrap();
        let imported = import_form(world.owner_session().client.post(app.url("/api/contacts/imports")))
            .header("x-csrf-token", &world.owner_session().csrf);
        let imported = imported.send().await.unwrap();
        world.import = expect_json(imported, StatusCode::ACCEPTED).await["id"].as_str().unwrap().to_string();
        let checkout = json!({"plan": "pro", "cycle": "monthly", "gateway": "sandbox"});
        let invoice = world.owner_session().post("/api/billing/checkout", checkout).await;
        world.invoice = expect_json(invoice, StatusCode::CREATED).await["number"].as_str().unwrap().to_string();
        world
    }

    fn owner_session(&self) -> &Session {
        &self.callers[1].1.as_ref().unwrap().session
    }

    /// A new outlet of the owner, with a simulated device waiting for its QR scan if asked.
    async fn fresh_outlet(&mut self, app: &TestApp, with_device: bool) -> i64 {
        self.numbers += 1;
        let number = format!("0812{:08}", self.numbers);
        let outlet = create_outlet(self.owner_session(), "Matrix", "Bandung", &number).await;
        if with_device {
            connect_sim(app, self.owner_session(), outlet).await;
        }
        outlet
    }

    /// A draft blast from the owner's outlet to one number.
    fn blast_body(&self) -> Value {
        json!({"name": "Matrix", "body": "Halo {{name}}", "outlet_ids": [self.outlet], "recipients": {"numbers": ["081311112222"]}})
    }

    async fn fresh_contact(&mut self) -> i64 {
        self.numbers += 1;
        let body = json!({"name": "Sari", "wa_number": format!("0817{:08}", self.numbers)});
        expect_json(self.owner_session().post("/api/contacts", body).await, StatusCode::CREATED).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn fresh_tag(&mut self) -> i64 {
        self.numbers += 1;
        let body = json!({"name": format!("tag{}", self.numbers)});
        expect_json(self.owner_session().post("/api/tags", body).await, StatusCode::CREATED).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn fresh_template(&mut self) -> i64 {
        self.numbers += 1;
        let body = json!({"name": format!("Sapa {}", self.numbers), "body": "Halo {{name}}"});
        expect_json(self.owner_session().post("/api/templates", body).await, StatusCode::CREATED).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn fresh_auto_reply(&mut self) -> i64 {
        self.numbers += 1;
        let body = json!({"name": format!("Harga {}", self.numbers), "triggers": ["harga"], "reply": "Halo {{name}}"});
        expect_json(self.owner_session().post("/api/auto-replies", body).await, StatusCode::CREATED).await["id"]
            .as_i64()
            .unwrap()
    }

    fn chatbot_body(n: u32) -> Value {
        json!({"name": format!("Bot {n}"), "trigger": {"type": "keywords", "keywords": ["daftar"]},
               "steps": [{"id": "a", "type": "ask", "prompt": "Nama?", "variable": "nama"}]})
    }

    async fn fresh_chatbot(&mut self) -> i64 {
        self.numbers += 1;
        let body = Self::chatbot_body(self.numbers);
        expect_json(self.owner_session().post("/api/chatbots", body).await, StatusCode::CREATED).await["id"]
            .as_i64()
            .unwrap()
    }

    /// A conversation of the owner's chatbot, written straight to the store (a turn after a
    /// delay is written that way, without an inbound message).
    async fn chatbot_session(&self, app: &TestApp) -> i64 {
        let now = app.clock.now();
        let session = store::SessionState {
            chatbot_id: self.chatbot,
            step: Some("a".into()),
            variables: Default::default(),
            status: "active",
            retries: 0,
            started_at: now,
            expires_at: now.plus_secs(1800),
            handed_over_until: None,
            resume_at: None,
        };
        let turn = store::ChatbotTurn {
            owner: self.owner,
            outlet: domain::OutletId(self.outlet),
            peer: "+6281311113333",
            inbound_message_id: None,
            replies: Vec::new(),
            session,
            cap: 10,
            window_start: now,
        };
        app.store.write_chatbot_turn(turn, now).await.unwrap();
        let s = app.store.chatbot_session_with(domain::OutletId(self.outlet), "+6281311113333").await.unwrap();
        s.unwrap().id
    }

    async fn fresh_webhook(&self) -> i64 {
        let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["message.received"]});
        let created = expect_json(self.owner_session().post("/api/webhooks", body).await, StatusCode::CREATED).await;
        created["webhook"]["id"].as_i64().unwrap()
    }

    async fn fresh_integration(&mut self) -> i64 {
        self.numbers += 1;
        let body = Self::integration_body(self.numbers);
        let created =
            expect_json(self.owner_session().post("/api/integrations", body).await, StatusCode::CREATED).await;
        created["integration"]["id"].as_i64().unwrap()
    }

    fn integration_body(n: u32) -> Value {
        json!({"name": format!("Slack {n}"), "channel": {"type": "slack", "webhook_url": "http://127.0.0.1:9/services/T/B/x"}})
    }

    /// The concrete path for a call; a call that removes or ends what it touches gets a fresh one.
    async fn path(&mut self, app: &TestApp, method: &str, template: &str) -> String {
        let destructive = method == "DELETE" || template.ends_with("/device/logout") || template.ends_with("/scan");
        let outlet = if destructive && template.starts_with("/api/outlets/{id}") || template.ends_with("/scan") {
            self.fresh_outlet(app, template != "/api/outlets/{id}").await
        } else {
            self.outlet
        };
        let webhook = if destructive && template.starts_with("/api/webhooks/{id}") {
            self.fresh_webhook().await
        } else {
            self.webhook
        };
        let id = if template.starts_with("/api/outlets/") || template.starts_with("/api/sandbox/") {
            outlet.to_string()
        } else if template.starts_with("/api/webhooks/") {
            webhook.to_string()
        } else if template.starts_with("/api/integrations/{id}") {
            if destructive { self.fresh_integration().await } else { self.integration }.to_string()
        } else if template.starts_with("/api/contacts/imports/") {
            self.import.clone()
        } else if template.starts_with("/api/contacts/") {
            if destructive { self.fresh_contact().await } else { self.contact }.to_string()
        } else if template.starts_with("/api/tags/") {
            if destructive { self.fresh_tag().await } else { self.tag }.to_string()
        } else if template.starts_with("/api/templates/{id}") {
            if destructive { self.fresh_template().await } else { self.template }.to_string()
        } else if template.starts_with("/api/auto-replies/{id}") {
            if destructive { self.fresh_auto_reply().await } else { self.auto_reply }.to_string()
        } else if template.starts_with("/api/chatbots/sessions/") {
            self.chatbot_session.to_string()
        } else if template.starts_with("/api/chatbots/{id}") {
            if destructive { self.fresh_chatbot().await } else { self.chatbot }.to_string()
        } else if template.starts_with("/api/blasts/schedules/") {
            self.blast_schedule.to_string()
        } else if template.starts_with("/api/blasts/{id}") {
            self.blast.to_string()
        } else if template.starts_with("/api/messages/") {
            self.message.to_string()
        } else if template.starts_with("/api/admin/users/") {
            self.owner.0.to_string()
        } else if template.starts_with("/api/keys/") {
            let key = format!("kwk_fresh_{}", self.numbers);
            self.numbers += 1;
            app.store
                .create_api_key(self.owner, "fresh", &key[..12], &sha256_hex(&key), app.clock.now())
                .await
                .unwrap()
                .id
                .to_string()
        } else {
            String::new()
        };
        template
            .replace("{id}", &id)
            .replace("{delivery}", &self.delivery.to_string())
            .replace("{code}", "unlimited")
            .replace("{gateway}", "midtrans")
            .replace("{number}", &self.invoice)
    }

    /// A valid body, so that the answer is about who calls, not about what they sent.
    fn body(&mut self, method: &str, template: &str) -> Option<Value> {
        self.numbers += 1;
        let n = self.numbers;
        Some(match (method, template) {
            ("POST", "/api/keys") => json!({"name": "matrix"}),
            ("PATCH", "/api/me") => json!({"time_zone": "Asia/Makassar"}),
            ("POST", "/api/outlets") => json!({"name": "Baru", "wa_number": format!("0815{n:08}")}),
            ("POST", "/api/contacts") => json!({"name": "Budi", "wa_number": format!("0818{n:08}")}),
            ("POST", "/api/templates") => json!({"name": format!("Promo {n}"), "body": "{Halo|Hai} {{name}}"}),
            ("PATCH", "/api/templates/{id}") => json!({"category": "reminder"}),
            ("POST", "/api/auto-replies") => {
                json!({"name": format!("Rule {n}"), "triggers": ["promo"], "reply": "Ada promo"})
            }
            ("PATCH", "/api/auto-replies/{id}") => json!({"priority": 5}),
            ("POST", "/api/chatbots" | "/api/chatbots/import") | ("PUT", "/api/chatbots/{id}") => Self::chatbot_body(n),
            ("PATCH", "/api/chatbots/{id}") => json!({"session_minutes": 20}),
            ("POST", "/api/chatbots/simulate") => json!({"flow": Self::chatbot_body(n), "messages": ["halo", "Ana"]}),
            ("POST", "/api/auto-replies/test") => json!({"text": "harga?", "outlet_id": self.outlet}),
            ("POST", "/api/templates/preview") => json!({"body": "Halo {{name}}", "contact_id": self.contact}),
            ("PATCH", "/api/outlets/{id}") => json!({"city": "Bogor"}),
            ("POST", "/api/contacts/bulk") => json!({"action": "tag", "ids": [self.contact], "tag_id": self.tag}),
            ("POST", "/api/tags") => json!({"name": format!("tag{n}")}),
            ("POST", "/api/outlets/{id}/device/connect") => json!({"engine": "sim"}),
            ("POST", "/api/blasts" | "/api/blasts/preview") => self.blast_body(),
            ("POST", "/api/blasts/{id}/schedule") => json!({"start_at": "2030-01-01T09:00:00+07:00"}),
            ("POST", "/api/messages") => json!({"outlet_id": self.outlet, "to": "081311112222", "text": "Halo"}),
            ("POST", "/api/webhooks") => json!({"url": "http://127.0.0.1:9/new", "events": ["message.status"]}),
            ("PATCH", "/api/webhooks/{id}") => json!({"active": true}),
            ("POST", "/api/integrations") => Self::integration_body(n),
            ("PATCH", "/api/integrations/{id}") => json!({"events": ["message.received", "device.banned"]}),
            ("POST", "/api/admin/users") => {
                json!({"email": format!("new{n}@matrix.id"), "password": PASSWORD, "role": "user"})
            }
            // (The owner stays unlimited: the matrix makes many outlets.)
            ("PATCH", "/api/admin/users/{id}") => json!({"plan": "unlimited"}),
            ("POST", "/api/billing/checkout") => json!({"plan": "pro", "cycle": "monthly"}),
            // Refused, not paid: the owner stays on its plan for the calls after.
            ("POST", "/api/billing/sandbox/{number}") => json!({"pay": false}),
            ("PUT", "/api/admin/payment-gateways/{gateway}") => json!({"server_key": "SB-Mid-server-matrix"}),
            // The plan as seeded, so later calls meet the same limits.
            ("PUT", "/api/admin/plans/{code}") => json!({"name": "Unlimited", "price_monthly": 100000,
                "price_yearly": 1000000, "limits": {}, "footer": ""}),
            ("POST", "/api/sandbox/outlets/{id}/inbound") => json!({"from": "081322223333", "text": "Halo"}),
            ("POST", "/api/sandbox/outlets/{id}/fault") => json!({"kind": "fail_sends", "count": 1}),
            ("POST" | "PATCH", _) => json!({}),
            _ => return None,
        })
    }
}

/// A small PNG, as the multipart form a template's media takes.
fn media_form(req: RequestBuilder) -> RequestBuilder {
    let file = reqwest::multipart::Part::bytes(&b"\x89PNG\r\n\x1a\nmatrix"[..]).file_name("a.png");
    req.multipart(reqwest::multipart::Form::new().part("file", file))
}

/// A small contact file, as the multipart form an import takes.
fn import_form(req: RequestBuilder) -> RequestBuilder {
    let file = reqwest::multipart::Part::bytes(&b"name,phone\nSari,081377778888\n"[..]).file_name("contacts.csv");
    req.multipart(reqwest::multipart::Form::new().part("file", file).text("mode", "check"))
}

fn class(status: StatusCode) -> Option<Answer> {
    match status.as_u16() {
        401 => Some(Answer::Unauthorized),
        403 => Some(Answer::Forbidden),
        404 => Some(Answer::NotFound),
        200..=299 | 400..=499 if status != StatusCode::METHOD_NOT_ALLOWED => Some(Answer::Ok),
        _ => None,
    }
}

async fn call(
    app: &TestApp,
    creds: Option<&Credentials>,
    via: Via,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, String) {
    let client = match (creds, via) {
        (Some(c), Via::Cookie) => c.session.client.clone(),
        _ => app.client(),
    };
    let mut req: RequestBuilder = client.request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path));
    match (creds, via) {
        (Some(c), Via::Cookie) => req = req.header("x-csrf-token", &c.session.csrf),
        (Some(c), Via::Key) => req = req.bearer_auth(&c.key),
        (None, Via::BogusKey) => req = req.bearer_auth("kwk_no_such_key"),
        _ => {}
    }
    if method == "POST" && path == "/api/contacts/imports" {
        req = import_form(req);
    } else if method == "PUT"
        && (path.starts_with("/api/templates/") || path.starts_with("/api/blasts/"))
        && path.ends_with("/media")
    {
        req = media_form(req);
    } else if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("send");
    let status = res.status();
    // An event stream never ends; its status line is the answer.
    let text = if path == "/api/events" { String::new() } else { res.text().await.unwrap_or_default() };
    (status, text)
}

both_backends! {
    async fn every_role_gets_what_the_endpoint_table_says_from_every_operation(db) {
        let app = TestApp::start_with(db, |c| {
            c.webhooks_allow_private = true;
            // A checkout after an admin set a key meets a closed port, not the internet.
            c.midtrans_url = Some("http://127.0.0.1:9".into());
        })
        .await;
        let doc = document(&app).await;
        let documented: BTreeSet<(String, String)> = operations(&doc).into_iter().collect();
        let tabled: BTreeSet<(String, String)> = ENDPOINTS.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
        let untabled: Vec<_> = documented.difference(&tabled).collect();
        assert!(untabled.is_empty(), "operations missing from domain::policy::endpoints::ENDPOINTS: {untabled:?}");
        let gone: Vec<_> = tabled.difference(&documented).collect();
        assert!(gone.is_empty(), "ENDPOINTS rows without an operation: {gone:?}");

        let mut world = World::build(&app).await;
        let mut wrong = Vec::new();
        let mut calls = 0;
        for (method, template, expected) in ENDPOINTS {
            for (i, caller) in Who::ALL.iter().enumerate() {
                let vias: &[Via] = if *caller == Who::Anonymous { &[Via::Cookie, Via::BogusKey] } else { &[Via::Cookie, Via::Key] };
                for via in vias {
                    let path = world.path(&app, method, template).await;
                    let body = world.body(method, template);
                    let ends_sessions = template.starts_with("/api/auth/logout");
                    let creds = world.callers[i].1.as_ref();
                    let (status, text) = call(&app, creds, *via, method, &path, body.as_ref()).await;
                    calls += 1;
                    match class(status) {
                        Some(got) if got == expected[i] => {}
                        got => wrong.push(format!("{method} {path} as {caller:?} via {via:?}: expected {:?}, got {status} {got:?} {text}", expected[i])),
                    }
                    if ends_sessions {
                        if let Some((_, Some(c))) = world.callers.get_mut(i) {
                            c.session = app.login(&c.email).await;
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {calls} answers differ from the table:\n{}", wrong.len(), wrong.join("\n"));
        app.stop().await;
    }
}
