//! A real HTTP server standing in for a customer's webhook receiver: it records every request
//! and answers with the status the test chooses.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: String,
    /// What the receiver answered.
    pub answered: u16,
}

impl Hit {
    pub fn id(&self) -> &str {
        self.headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Checks the signature with the official Standard Webhooks library; returns the body.
    pub fn verified(&self, secret: &str) -> Value {
        let wh = standardwebhooks::Webhook::new(secret).expect("whsec_ secret");
        wh.verify(self.body.as_bytes(), &self.headers).unwrap_or_else(|e| panic!("signature rejected ({e}): {self:?}"));
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

#[derive(Clone, Default)]
struct Shared {
    hits: Arc<Mutex<Vec<Hit>>>,
    status: Arc<AtomicU16>,
    /// How long each answer takes, in milliseconds.
    delay_ms: Arc<AtomicU64>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

/// Refusals carry a body with a NUL byte, as careless receivers' do.
async fn record(State(shared): State<Shared>, headers: HeaderMap, body: String) -> (StatusCode, &'static str) {
    let answered = shared.status.load(Ordering::SeqCst);
    shared.hits.lock().unwrap().push(Hit { headers, body, answered });
    tokio::time::sleep(Duration::from_millis(shared.delay_ms.load(Ordering::SeqCst))).await;
    let status = StatusCode::from_u16(answered).unwrap_or(StatusCode::OK);
    (status, if status.is_success() { "" } else { "refused\0 by\nreceiver" })
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// On a chosen address, for a receiver that "comes back" where it was.
    pub async fn start_on(addr: SocketAddr) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind receiver");
        let addr = listener.local_addr().unwrap();
        let shared = Shared::default();
        shared.status.store(200, Ordering::SeqCst);
        let app = axum::Router::new().fallback(record).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, shared, server }
    }

    /// An address where nothing listens (yet).
    pub async fn vacant_addr() -> SocketAddr {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/kewhats", self.addr)
    }

    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Makes every answer take this long: a slow receiver.
    pub fn answer_after(&self, delay: Duration) {
        self.shared.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    pub fn accepted(&self) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| (200..300).contains(&h.answered)).collect()
    }

    /// Waits (up to 15 s) until `check` holds for the requests so far.
    pub async fn wait_until(&self, what: &str, check: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let hits = self.hits();
            if check(&hits) {
                return hits;
            }
            assert!(Instant::now() < deadline, "receiver: timed out waiting for {what}; got {hits:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}
