//! Local stand-ins for the services integrations talk to, speaking their real formats:
//! Telegram's Bot API, a Discord and a Slack incoming webhook (HTTP servers that record each
//! request and answer as the provider does, or as the test scripts), and an SMTP server that
//! takes mail the way a real one does (EHLO, MAIL, RCPT, DATA) and keeps it.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Telegram,
    Discord,
    Slack,
}

/// One request the provider received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Path and query.
    pub uri: String,
    pub body: Value,
}

/// An answer the test chooses for the next request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// Telegram's flood control: 429 with `parameters.retry_after`.
    pub fn telegram_flood(secs: u64) -> Answer {
        let body = json!({"ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {secs}"),
            "parameters": {"retry_after": secs}});
        Answer { status: 429, body: body.to_string(), headers: vec![] }
    }

    /// Telegram's answer to a revoked or wrong token.
    pub fn telegram_unauthorized() -> Answer {
        let body = json!({"ok": false, "error_code": 401, "description": "Unauthorized"});
        Answer { status: 401, body: body.to_string(), headers: vec![] }
    }

    /// Discord's answer to a webhook whose token is wrong.
    pub fn discord_bad_token() -> Answer {
        let body = json!({"message": "Invalid Webhook Token", "code": 50027});
        Answer { status: 401, body: body.to_string(), headers: vec![] }
    }

    /// Slack's rate limit: 429 with `Retry-After`.
    pub fn slack_rate_limited(secs: u64) -> Answer {
        Answer { status: 429, body: "rate_limited".into(), headers: vec![("retry-after", secs.to_string())] }
    }
}

#[derive(Clone)]
struct Shared {
    kind: Kind,
    calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    delay: Arc<Mutex<Duration>>,
}

pub struct Provider {
    pub addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

/// Telegram's answer to a request it cannot take (`400 Bad Request: …`).
fn telegram_bad_request(description: &str) -> Answer {
    let body = json!({"ok": false, "error_code": 400, "description": format!("Bad Request: {description}")});
    Answer { status: 400, body: body.to_string(), headers: vec![] }
}

/// What Telegram's Bot API answers, by method, as it does: the message it made (its
/// `message_id` is the request's number), or `true` for settings.
fn telegram(uri: &str, body: &Value, n: usize) -> Answer {
    let method = uri.rsplit('/').next().unwrap_or("");
    // Telegram answers with the chat's numeric id (also for a chat named by @username).
    let chat = match &body["chat_id"] {
        Value::String(id) => id.parse::<i64>().map_or(json!(-1009876543210i64), |n| json!(n)),
        other => other.clone(),
    };
    let message = |extra: Value| {
        let mut m = json!({"message_id": n, "chat": {"id": chat}, "date": 0});
        m.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"ok": true, "result": m}).to_string()
    };
    let caption_too_long = body["caption"].as_str().is_some_and(|c| c.chars().count() > 1024);
    let body = match method {
        "sendMessage" if body["text"].as_str().is_none_or(|t| t.trim().is_empty()) => {
            return telegram_bad_request("message text is empty")
        }
        "sendMessage" => message(json!({"text": body["text"]})),
        "sendPhoto" | "sendDocument" if caption_too_long => return telegram_bad_request("message caption is too long"),
        "sendPhoto" if !body["photo"].is_object() => return telegram_bad_request("there is no photo in the request"),
        "sendPhoto" => message(json!({"photo": [{"file_id": "AgAC", "file_size": body["photo"]["size"]}],
            "caption": body["caption"]})),
        "sendDocument" if !body["document"].is_object() => {
            return telegram_bad_request("there is no document in the request")
        }
        "sendDocument" => message(json!({"document": {"file_name": body["document"]["file_name"],
            "mime_type": body["document"]["content_type"], "file_size": body["document"]["size"]}, "caption": body["caption"]})),
        "setWebhook" if body["url"].as_str().is_none_or(str::is_empty) => {
            return telegram_bad_request("bad webhook: an HTTPS URL must be provided for webhook")
        }
        "setWebhook" => json!({"ok": true, "result": true, "description": "Webhook was set"}).to_string(),
        "deleteWebhook" => json!({"ok": true, "result": true, "description": "Webhook was deleted"}).to_string(),
        _ => {
            let body = json!({"ok": false, "error_code": 404, "description": "Not Found"});
            return Answer { status: 404, body: body.to_string(), headers: vec![] };
        }
    };
    Answer { status: 200, body, headers: vec![] }
}

/// How the provider answers a request it accepts.
fn accepted(kind: Kind, uri: &str, body: &Value, n: usize) -> Answer {
    let (status, body) = match kind {
        Kind::Telegram => return telegram(uri, body, n),
        // With `?wait=true`, the message created.
        Kind::Discord => {
            (200, json!({"id": format!("{n}"), "type": 0, "content": "", "embeds": body["embeds"]}).to_string())
        }
        Kind::Slack => (200, "ok".to_string()),
    };
    Answer { status, body, headers: vec![] }
}

/// A form's fields as JSON: text fields as strings, files as `{file_name, content_type, size,
/// data}` (`data` base64).
async fn form_fields(request: axum::extract::Request) -> Value {
    use axum::extract::FromRequest;
    use base64::Engine as _;
    let mut form = axum::extract::Multipart::from_request(request, &()).await.expect("a multipart form");
    let mut fields = serde_json::Map::new();
    while let Some(field) = form.next_field().await.expect("a form field") {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let bytes = field.bytes().await.expect("a field's bytes");
        let value = match file_name {
            Some(file_name) => json!({"file_name": file_name, "content_type": content_type, "size": bytes.len(),
                "data": base64::engine::general_purpose::STANDARD.encode(&bytes)}),
            None => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        };
        fields.insert(name, value);
    }
    Value::Object(fields)
}

async fn serve(
    State(shared): State<Shared>,
    OriginalUri(uri): OriginalUri,
    request: axum::extract::Request,
) -> Response {
    let multipart = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let json = if multipart {
        form_fields(request).await
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX).await.unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        serde_json::from_str(&body).unwrap_or(Value::String(body))
    };
    let delay = *shared.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let answer = {
        let n = shared.calls.lock().unwrap().len() + 1;
        let uri = uri.path();
        shared.script.lock().unwrap().pop_front().unwrap_or_else(|| accepted(shared.kind, uri, &json, n))
    };
    shared.calls.lock().unwrap().push(Call { uri: uri.to_string(), body: json });
    let mut headers = HeaderMap::new();
    let json_body = answer.body.starts_with('{');
    headers.insert("content-type", HeaderValue::from_static(if json_body { "application/json" } else { "text/plain" }));
    for (name, value) in &answer.headers {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
    }
    (StatusCode::from_u16(answer.status).unwrap(), headers, answer.body).into_response()
}

impl Provider {
    pub async fn start(kind: Kind) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind provider");
        let addr = listener.local_addr().unwrap();
        let shared = Shared { kind, calls: Default::default(), script: Default::default(), delay: Default::default() };
        let app = axum::Router::new().fallback(serve).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Provider { addr, shared, server }
    }

    /// The base URL: Telegram's API root, or where the webhook URLs point.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next requests get these answers, in order; then the provider accepts again.
    pub fn then(&self, answer: Answer) {
        self.shared.script.lock().unwrap().push_back(answer);
    }

    /// Every answer takes this long.
    pub fn slow(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) until `check` holds for the requests so far.
    pub async fn wait_until(&self, what: &str, check: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let calls = self.calls();
            if check(&calls) {
                return calls;
            }
            assert!(Instant::now() < deadline, "provider: timed out waiting for {what}; got {calls:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A message the SMTP server took.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (after DATA), dot-unstuffed.
    pub data: String,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    server: JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let addr = listener.local_addr().unwrap();
        let mails: Arc<Mutex<Vec<Mail>>> = Default::default();
        let kept = mails.clone();
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = session(socket, kept).await;
                });
            }
        });
        SmtpServer { addr, mails, server }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(Instant::now() < deadline, "smtp: timed out waiting for {n} mails; got {mails:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One SMTP conversation (RFC 5321's minimum: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
async fn session(socket: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake.smtp ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-fake.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command);
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mails.lock().unwrap().push(Mail { from: from.clone(), to: std::mem::take(&mut to), data });
            b"250 OK queued\r\n"
        } else if upper.starts_with("RSET") {
            (from, to) = (String::new(), Vec::new());
            b"250 OK\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// The address in `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    command.split('<').nth(1).and_then(|rest| rest.split('>').next()).unwrap_or_default().to_string()
}

/// Midtrans Snap as a stand-in: `POST /snap/v1/transactions` with the server key as Basic auth,
/// refusing a wrong key (401), an order id it has seen, or an amount that is not the items'
/// sum (400), as Midtrans does; each transaction it made is kept.
pub struct Midtrans {
    pub addr: SocketAddr,
    pub key: String,
    made: Arc<Mutex<Vec<Value>>>,
    server: JoinHandle<()>,
}

impl Midtrans {
    #[allow(clippy::disallowed_methods)] // a stand-in's routes, not our API
    pub async fn start(key: &str) -> Midtrans {
        use axum::http::header::AUTHORIZATION;
        use base64::Engine as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind midtrans");
        let addr = listener.local_addr().unwrap();
        let made: Arc<Mutex<Vec<Value>>> = Default::default();
        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:")));
        let kept = made.clone();
        let create = move |headers: HeaderMap, body: String| {
            let (kept, expected) = (kept.clone(), expected.clone());
            async move {
                let refuse = |status: u16, said: &str| {
                    let body = json!({"status_code": status.to_string(), "error_messages": [said]});
                    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
                };
                if headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
                    return refuse(
                        401,
                        "Access denied due to unauthorized transaction, please check client or server key",
                    );
                }
                let Ok(mut t) = serde_json::from_str::<Value>(&body) else { return refuse(400, "Invalid JSON") };
                let order = t["transaction_details"]["order_id"].as_str().unwrap_or("").to_string();
                let gross = t["transaction_details"]["gross_amount"].as_i64().unwrap_or(-1);
                let items: i64 = t["item_details"].as_array().map_or(0, |items| {
                    items.iter().map(|i| i["price"].as_i64().unwrap_or(0) * i["quantity"].as_i64().unwrap_or(0)).sum()
                });
                let mut made = kept.lock().unwrap();
                if made.iter().any(|m| m["transaction_details"]["order_id"] == order.as_str()) {
                    return refuse(400, "transaction_details.order_id has already been taken");
                }
                if gross != items {
                    return refuse(400, "transaction_details.gross_amount is not equal to the sum of item_details");
                }
                // Kept beside the body, for the test to see where notifications will go.
                if let Some(url) = headers.get("x-override-notification").and_then(|v| v.to_str().ok()) {
                    t["x_override_notification"] = json!(url);
                }
                made.push(t);
                let token = format!("snap-token-{}", made.len());
                let url = format!("http://{addr}/snap/v4/redirection/{token}");
                (StatusCode::CREATED, axum::Json(json!({"token": token, "redirect_url": url}))).into_response()
            }
        };
        // The payment page the owner is sent to (the test pays by posting the notification).
        let page = || async {
            axum::response::Html("<!doctype html><title>Midtrans</title><h1>Midtrans Snap (stand-in)</h1>")
        };
        let app = axum::Router::new()
            .route("/snap/v1/transactions", axum::routing::post(create))
            .route("/snap/v4/redirection/{token}", axum::routing::get(page));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Midtrans { addr, key: key.to_string(), made, server }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn made(&self) -> Vec<Value> {
        self.made.lock().unwrap().clone()
    }

    /// A notification as Midtrans posts it, signed with the server key (or, `forged`, not).
    pub fn notification(&self, order_id: &str, amount: i64, status: &str, forged: bool) -> Value {
        use sha2::{Digest, Sha512};
        let (code, gross) = ("200", format!("{amount}.00"));
        let key = if forged { "not-the-key" } else { self.key.as_str() };
        let signature = hex::encode(Sha512::digest(format!("{order_id}{code}{gross}{key}").as_bytes()));
        json!({"transaction_time": "2026-11-30 10:00:00", "transaction_status": status, "transaction_id": "9aed5972-5b6a-401e-894b-a32c91ed1a3a",
            "status_message": "midtrans payment notification", "status_code": code, "signature_key": signature,
            "payment_type": "bank_transfer", "order_id": order_id, "merchant_id": "G141532850", "gross_amount": gross,
            "fraud_status": "accept", "currency": "IDR"})
    }
}

impl Drop for Midtrans {
    fn drop(&mut self) {
        self.server.abort();
    }
}
