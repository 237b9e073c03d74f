//! The web engine against an address where nothing listens: every connect ends in exactly
//! one `Disconnected`, and nothing reconnects behind the session manager's back.

use domain::DeviceId;
use engine::{ConnectOptions, Connection, Engine, EngineError, EngineEvent, MessageBody, OutgoingMessage};
use kewhats_engine_web::kv::{KeyValueStore, MemoryKv};
use kewhats_engine_web::{WebConfig, WebEngine, DEFAULT_VERSION};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

const DEVICE: DeviceId = DeviceId(7);

fn engine(kv: Arc<MemoryKv>) -> WebEngine {
    let config = WebConfig { url: Some("ws://127.0.0.1:1/ws/chat".into()), version: DEFAULT_VERSION };
    WebEngine::new(config, kv)
}

async fn connect(engine: &WebEngine) -> (Arc<dyn Connection>, mpsc::Receiver<EngineEvent>) {
    let (tx, rx) = mpsc::channel(16);
    let options = ConnectOptions { phone: Some("6281234567890".into()), paired_account: None };
    let conn = timeout(Duration::from_secs(10), engine.connect(DEVICE, options, tx))
        .await
        .expect("connect returns at once")
        .expect("connect starts the client");
    (conn, rx)
}

/// The device's own keys, as stored.
async fn identity(kv: &MemoryKv) -> Vec<serde_json::Value> {
    let stored = kv.get(DEVICE, "device", "device").await.expect("get").expect("a device record");
    let device: serde_json::Value = serde_json::from_slice(&stored).expect("json");
    ["registration_id", "noise_key", "identity_key", "adv_secret_key"].iter().map(|k| device[k].clone()).collect()
}

/// The attempt's one event, then the channel closes: the connection is over and will not
/// report (or retry) anything more.
async fn expect_one_disconnect(rx: &mut mpsc::Receiver<EngineEvent>) -> String {
    let event = timeout(Duration::from_secs(10), rx.recv()).await.expect("an event within 10 s");
    let Some(EngineEvent::Disconnected { reason }) = event else { panic!("expected Disconnected, got {event:?}") };
    let after = timeout(Duration::from_secs(10), rx.recv()).await.expect("the event channel closes");
    assert_eq!(after, None, "no event after the Disconnected");
    reason
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server() {
    let kv = Arc::new(MemoryKv::default());
    let engine = engine(kv.clone());

    let (conn, mut rx) = connect(&engine).await;
    let reason = expect_one_disconnect(&mut rx).await;
    assert!(reason.starts_with("could not reach WhatsApp: "), "{reason}");
    assert!(!conn.is_live());
    assert!(kv.count(DEVICE) > 0, "the new device's keys were stored");
    let keys = identity(&kv).await;

    for attempt in 2..=4 {
        let (conn, mut rx) = connect(&engine).await;
        let reason = expect_one_disconnect(&mut rx).await;
        assert!(reason.starts_with("could not reach WhatsApp: "), "attempt {attempt}: {reason}");
        assert!(!conn.is_live());
        conn.close().await;
    }
    assert_eq!(identity(&kv).await, keys, "reconnecting keeps the device's identity");

    engine.forget(DEVICE).await.expect("forget");
    assert_eq!(kv.count(DEVICE), 0, "forget wipes the keys");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_connection_fail_cleanly() {
    let kv = Arc::new(MemoryKv::default());
    let engine = engine(kv);
    let (conn, mut rx) = connect(&engine).await;
    expect_one_disconnect(&mut rx).await;

    let code = timeout(Duration::from_secs(5), conn.request_pairing_code("+62 812-3456-7890")).await;
    assert_eq!(code.expect("answers at once"), Err(EngineError::NotConnected));

    let message = OutgoingMessage { to: "6281111111111".into(), body: MessageBody::Text("hi".into()) };
    let sent = timeout(Duration::from_secs(5), conn.send(message)).await;
    assert_eq!(sent.expect("answers at once"), Err(EngineError::NotConnected));

    timeout(Duration::from_secs(5), conn.logout()).await.expect("logout returns").expect("logout");
    timeout(Duration::from_secs(5), conn.close()).await.expect("close returns");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_at_once_reports_nothing() {
    let kv = Arc::new(MemoryKv::default());
    let engine = engine(kv);
    let (conn, mut rx) = connect(&engine).await;
    conn.close().await;
    // Either the attempt failed before the close (one Disconnected) or the close came first
    // (nothing); never more than one event, and the channel closes.
    let mut events = Vec::new();
    while let Some(event) = timeout(Duration::from_secs(10), rx.recv()).await.expect("the channel closes") {
        events.push(event);
    }
    assert!(events.len() <= 1, "{events:?}");
    assert!(events.iter().all(|e| matches!(e, EngineEvent::Disconnected { .. })), "{events:?}");
}

/// A server that accepts the WebSocket upgrade and hangs up before WhatsApp's handshake:
/// the dial works, the library only logs the failure (at debug), and the engine must still
/// report exactly one `Disconnected`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_up_during_the_handshake() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = ws_upgrade_then_hang_up(stream).await;
        }
    });
    let config = WebConfig { url: Some(format!("ws://{addr}/ws/chat")), version: DEFAULT_VERSION };
    let engine = WebEngine::new(config, Arc::new(MemoryKv::default()));

    for attempt in 1..=2 {
        let (conn, mut rx) = connect(&engine).await;
        let reason = expect_one_disconnect(&mut rx).await;
        // The dial worked, so the reason is not a dial error.
        assert_eq!(reason, "could not reach WhatsApp: the connection closed before the login finished");
        assert!(!conn.is_live());
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), attempt, "one dial per connect");
    }
}

/// Answers a WebSocket upgrade request (RFC 6455 §4.2.2) and closes the socket. Written out
/// here so the tests need no WebSocket server crate (whose features would make cargo build
/// the transport twice).
async fn ws_upgrade_then_hang_up(mut stream: tokio::net::TcpStream) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
    }
    let request = String::from_utf8_lossy(&request);
    let key = request
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-key")))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let accept = base64(&sha1(format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes()));
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&(data.len() as u64 * 8).to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_websocket_accept_key_matches_the_rfc_example() {
    let accept = base64(&sha1(b"dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
