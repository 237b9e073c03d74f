use app::sessions::{RecordingTimer, Sessions};
use app::Deps;
use domain::{Clock, Email, ManualClock, Plan, Role, SystemClock, UserId};
use domain::{DeviceId, DeviceStatus};
use engine::sim::SimConfig;
use kewhats::{launch, AppState, Config, Running};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use store::testing::TestDb;
use store::{NewUser, Store};

pub const PASSWORD: &str = "correct horse battery";

/// One argon2 hash of [`PASSWORD`] shared by every seeded test user, to keep tests fast.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| app::crypto::passwords::hash_blocking(PASSWORD).expect("hash"))
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub clock: ManualClock,
    pub sessions: Sessions,
    /// Reconnect delays the session manager asked for; tests do not wait them out.
    pub timer: Arc<RecordingTimer>,
    running: Running,
}

impl TestApp {
    pub async fn start(db: &TestDb) -> TestApp {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: &TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::start_full(db, tweak, fast_sim()).await
    }

    pub async fn start_full(db: &TestDb, tweak: impl FnOnce(&mut Config), sim: SimConfig) -> TestApp {
        Self::start_timed(db, tweak, sim, RecordingTimer::default()).await
    }

    pub async fn start_timed(
        db: &TestDb,
        tweak: impl FnOnce(&mut Config),
        sim: SimConfig,
        timer: RecordingTimer,
    ) -> TestApp {
        let mut config = Config::for_tests(&db.url);
        tweak(&mut config);
        let clock = ManualClock::new(SystemClock.now());
        let timer = Arc::new(timer);
        let deps = Deps { clock: Arc::new(clock.clone()), timer: timer.clone(), sim };
        let state = AppState::open(config, deps).await.expect("open app");
        let (store, sessions) = (state.store.clone(), state.sessions.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = launch(listener, state).await.expect("launch");
        TestApp { base: format!("http://{}", running.addr), store, clock, sessions, timer, running }
    }

    /// Polls the stored device until `check` holds; panics with the last state after 15 s.
    pub async fn wait_device(&self, id: DeviceId, what: &str, check: impl Fn(&store::Device) -> bool) -> store::Device {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let d = self.store.device(domain::policy::system_scope(), id).await.expect("read").expect("device exists");
            if check(&d) {
                return d;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; device is {d:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_status(&self, id: DeviceId, status: DeviceStatus) -> store::Device {
        self.wait_device(id, &format!("status {status}"), |d| d.status == status).await
    }

    pub async fn stop(self) {
        self.running.shutdown().await;
        self.store.close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A user with [`PASSWORD`], created straight in the store.
    pub async fn user(&self, email: &str, role: Role) -> UserId {
        let email = Email::parse(email).expect("email");
        let new = NewUser { email: &email, name: "", password_hash: password_hash(), role, plan: Plan::Unlimited };
        self.store.create_user(new, self.clock.now()).await.expect("create user").id
    }

    /// A browser-like client with its own cookie jar and no redirects followed.
    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
    }

    pub async fn login(&self, email: &str) -> Session {
        self.login_with(email, PASSWORD).await.expect("login")
    }

    pub async fn login_with(&self, email: &str, password: &str) -> Result<Session, (StatusCode, Value)> {
        let client = self.client();
        let res = client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("send");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK {
            return Err((status, body));
        }
        let csrf = body["csrf_token"].as_str().expect("csrf_token").to_string();
        Ok(Session { client, csrf, base: self.base.clone() })
    }

    /// Logs in a new user with `role` and returns both.
    pub async fn as_new(&self, email: &str, role: Role) -> (UserId, Session) {
        let id = self.user(email, role).await;
        (id, self.login(email).await)
    }
}

/// A logged-in client that sends its CSRF token on every state change.
pub struct Session {
    pub client: Client,
    pub csrf: String,
    pub base: String,
}

impl Session {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("send")
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client.post(self.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.expect("send")
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.client.patch(self.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.expect("send")
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.client.put(self.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.expect("send")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client.delete(self.url(path)).header("x-csrf-token", &self.csrf).send().await.expect("send")
    }
}

/// Asserts the status and that the body is our error shape; returns the error object.
pub async fn expect_error(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "body: {body}");
    let err = body["error"].clone();
    assert!(err["code"].is_string() && err["message"].as_str().is_some_and(|m| !m.is_empty()), "error shape: {body}");
    err
}

pub async fn expect_json(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "body: {body}");
    body
}

/// The simulation with quick receipts, for tests; QR timings as the real service.
pub fn fast_sim() -> SimConfig {
    SimConfig {
        delivered_after: Duration::from_millis(20),
        read_after: Duration::from_millis(40),
        flap_up_for: Duration::from_millis(30),
        ..SimConfig::default()
    }
}

/// Creates an outlet through the API; returns its id.
pub async fn create_outlet(s: &Session, name: &str, city: &str, number: &str) -> i64 {
    let body = serde_json::json!({"name": name, "city": city, "wa_number": number});
    expect_json(s.post("/api/outlets", body).await, StatusCode::CREATED).await["id"].as_i64().expect("outlet id")
}

/// Connects the outlet's sim device and waits until it shows a QR code.
pub async fn connect_sim(app: &TestApp, s: &Session, outlet: i64) -> DeviceId {
    let path = format!("/api/outlets/{outlet}/device/connect");
    let d = expect_json(s.post(&path, serde_json::json!({"engine": "sim"})).await, StatusCode::ACCEPTED).await;
    let id = DeviceId(d["id"].as_i64().expect("device id"));
    app.wait_status(id, DeviceStatus::Qr).await;
    id
}

/// Scans the device's QR through the sandbox and waits until it is connected.
pub async fn scan_sim(app: &TestApp, s: &Session, outlet: i64, id: DeviceId) {
    let path = format!("/api/sandbox/outlets/{outlet}/scan");
    expect_json(s.post(&path, serde_json::json!({})).await, StatusCode::ACCEPTED).await;
    app.wait_status(id, DeviceStatus::Connected).await;
}

/// A connected sim device for the outlet.
pub async fn pair_sim(app: &TestApp, s: &Session, outlet: i64) -> DeviceId {
    let id = connect_sim(app, s, outlet).await;
    scan_sim(app, s, outlet, id).await;
    id
}

/// Polls a message through the API until it has `status`; panics after 15 s.
pub async fn wait_message(s: &Session, id: i64, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let m = expect_json(s.get(&format!("/api/messages/{id}")).await, StatusCode::OK).await;
        if m["status"] == status {
            return m;
        }
        assert!(Instant::now() < deadline, "message never became {status}: {m}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Milliseconds of an RFC 3339 time as the API writes it.
pub fn chrono_ms(v: &Value) -> i64 {
    let t = time::OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}
