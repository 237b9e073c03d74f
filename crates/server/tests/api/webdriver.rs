//! A small W3C WebDriver client over reqwest, driving Debian's `chromium` through
//! `chromedriver`. Without them a browser test is skipped with a message, except under
//! `CI=true`, where it fails: `.ci/run` installs both.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Driver,
    base: String,
}

/// The chromedriver process, killed and reaped when dropped, also when a test panics.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    pub async fn start() -> Option<Browser> {
        let found = |bin: &str| Command::new("which").arg(bin).output().is_ok_and(|o| o.status.success());
        if !found("chromedriver") || !found("chromium") {
            assert!(std::env::var("CI").map_or(true, |v| v != "true"), "chromium and chromedriver are required in CI");
            eprintln!("SKIPPED: browser test needs Debian's chromium and chromium-driver");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let driver = Driver(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await.ok();
            if let Some(res) = ready {
                if res.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("kewhats_chrome_{port}"));
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
        }}}});
        let res: Value = http.post(format!("{base}/session")).json(&caps).send().await.ok()?.json().await.ok()?;
        let session = res["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {res}")).to_string();
        Some(Browser { http, session, _driver: driver, base })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = req.send().await.expect("webdriver").json().await.expect("webdriver json");
        res["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or("").to_string()
    }

    /// Runs a script in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    async fn element(&self, css: &str) -> String {
        let v =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v[ELEMENT_KEY].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/clear"), Some(json!({}))).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({"text": text}))).await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({}))).await;
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.eval("return document.body.innerText").await.as_str().unwrap_or("").to_string()
    }

    /// Polls `script` (a JS expression) until it is truthy; panics with `what` after 10 s.
    pub async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.eval(&format!("return !!({script})")).await == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; page text:\n{}", self.text().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses and releases Escape on whatever has the focus.
    pub async fn press_escape(&self) {
        let key = |kind: &str| json!({"type": kind, "value": "\u{E00C}"});
        let actions =
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": [key("keyDown"), key("keyUp")]}]});
        self.call(reqwest::Method::POST, "/actions", Some(actions)).await;
    }

    /// Resizes the window (the viewport follows in headless Chromium).
    pub async fn set_size(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": height}))).await;
    }

    /// The serious and critical accessibility violations axe-core finds on the page, one line each.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");
        if self.eval("return typeof window.axe").await != json!("object") {
            self.eval(&format!("{AXE}\nreturn 1")).await;
        }
        let found = self
            .eval(
                "return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`))",
            )
            .await;
        found.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
    }

    /// When the page is wider than the window (a horizontal scroll bar): the elements that stick
    /// out, outermost first.
    pub async fn sticking_out(&self) -> Option<String> {
        let found = self
            .eval(
                "const w = document.documentElement.clientWidth;
                 if (document.documentElement.scrollWidth <= w + 1) return null;
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap *'))
                   .slice(0, 4).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`).join(', ')",
            )
            .await;
        found.as_str().map(str::to_string)
    }

    /// Ends the browser session; dropping `self` then stops chromedriver.
    pub async fn quit(self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}
