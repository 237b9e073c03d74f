use super::*;
use crate::{MessageBody, OutgoingMessage, ReceiptKind};
use tokio::sync::mpsc;

const ME: &str = "6281200000001";
const PEER: &str = "6281200000002";

async fn next(rx: &mut mpsc::Receiver<EngineEvent>) -> EngineEvent {
    tokio::time::timeout(Duration::from_secs(600), rx.recv()).await.expect("an event in time").expect("open channel")
}

async fn open(engine: &SimEngine, id: i64) -> (Arc<dyn Connection>, mpsc::Receiver<EngineEvent>) {
    let (tx, rx) = mpsc::channel(64);
    let conn = engine.connect(DeviceId(id), ConnectOptions::default(), tx).await.expect("connect");
    (conn, rx)
}

/// A device paired with `number` and connected.
async fn paired(engine: &SimEngine, id: i64, number: &str) -> (Arc<dyn Connection>, mpsc::Receiver<EngineEvent>) {
    let (conn, mut rx) = open(engine, id).await;
    assert!(matches!(next(&mut rx).await, EngineEvent::Qr { .. }));
    engine.scan(DeviceId(id), number).await.unwrap();
    assert_eq!(next(&mut rx).await, EngineEvent::Paired { account: number.into() });
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    (conn, rx)
}

fn text(to: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage { to: to.into(), body: MessageBody::Text(body.into()) }
}

#[tokio::test(start_paused = true)]
async fn qr_codes_rotate_60_then_20_seconds_then_run_out() {
    let engine = SimEngine::new(SimConfig::default());
    let (conn, mut rx) = open(&engine, 1).await;
    let started = tokio::time::Instant::now();
    let mut validities = Vec::new();
    let mut codes = std::collections::HashSet::new();
    loop {
        match next(&mut rx).await {
            EngineEvent::Qr { code, valid_for } => {
                codes.insert(code);
                validities.push(valid_for.as_secs());
            }
            EngineEvent::QrExhausted => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(validities, [60, 20, 20, 20, 20, 20]);
    assert_eq!(codes.len(), 6, "every code is new");
    assert_eq!(started.elapsed().as_secs(), 160);
    assert!(!conn.is_live());
    assert!(engine.scan(DeviceId(1), ME).await.is_err(), "nothing to scan after exhaustion");
}

#[tokio::test(start_paused = true)]
async fn a_scan_pairs_and_later_connects_need_no_qr() {
    let engine = SimEngine::new(SimConfig::default());
    let (conn, _rx) = paired(&engine, 1, ME).await;
    assert!(conn.is_live());
    assert_eq!(engine.account(DeviceId(1)).as_deref(), Some(ME));
    conn.close().await;
    assert!(!conn.is_live());
    let (again, mut rx) = open(&engine, 1).await;
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    assert!(again.is_live());
}

#[tokio::test(start_paused = true)]
async fn pairing_by_code() {
    let engine = SimEngine::new(SimConfig::default());
    let (conn, mut rx) = open(&engine, 1).await;
    assert!(matches!(next(&mut rx).await, EngineEvent::Qr { .. }));
    let code = conn.request_pairing_code(ME).await.unwrap();
    assert_eq!(code.len(), 9);
    assert_eq!(next(&mut rx).await, EngineEvent::PairingCode { code });
    engine.scan(DeviceId(1), ME).await.unwrap();
    assert_eq!(next(&mut rx).await, EngineEvent::Paired { account: ME.into() });
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    assert_eq!(conn.request_pairing_code(ME).await, Err(EngineError::AlreadyPaired));
}

#[tokio::test(start_paused = true)]
async fn the_demo_scans_by_itself() {
    let engine = SimEngine::new(SimConfig { auto_scan_after: Some(Duration::from_secs(3)), ..Default::default() });
    let (tx, mut rx) = mpsc::channel(16);
    let options = ConnectOptions { phone: Some(ME.into()), paired_account: None };
    let conn = engine.connect(DeviceId(1), options, tx).await.unwrap();
    assert!(matches!(next(&mut rx).await, EngineEvent::Qr { .. }));
    assert_eq!(next(&mut rx).await, EngineEvent::Paired { account: ME.into() });
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    assert!(conn.is_live());
}

#[tokio::test(start_paused = true)]
async fn messages_reach_sim_devices_and_customers_answer() {
    let engine = SimEngine::new(SimConfig::default());
    let (me, mut my_events) = paired(&engine, 1, ME).await;
    let (_peer, mut peer_events) = paired(&engine, 2, PEER).await;
    let id = me.send(text(PEER, "Stok batik masih ada")).await.unwrap();
    match next(&mut peer_events).await {
        EngineEvent::Message(m) => {
            assert_eq!((m.id.as_str(), m.from.as_str(), m.text.as_str()), (id.as_str(), ME, "Stok batik masih ada"))
        }
        other => panic!("{other:?}"),
    }
    let customer = "6281399999999";
    let q = me.send(text(customer, "Mau pesan?")).await.unwrap();
    let mut kinds = Vec::new();
    let mut reply = None;
    while reply.is_none() {
        match next(&mut my_events).await {
            EngineEvent::Receipt(r) if r.message_ids == [q.clone()] => kinds.push(r.kind),
            EngineEvent::Receipt(_) => {}
            EngineEvent::Message(m) => reply = Some(m),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(kinds, [ReceiptKind::Delivered, ReceiptKind::Read]);
    assert_eq!(reply.unwrap().from, customer);
    let inbound = engine.inbound(DeviceId(1), customer, "Halo", None).await.unwrap();
    assert!(matches!(next(&mut my_events).await, EngineEvent::Message(m) if m.id == inbound && m.text == "Halo"));
}

#[tokio::test(start_paused = true)]
async fn faults_break_things_on_purpose() {
    let engine = SimEngine::new(SimConfig::default());
    let d = DeviceId(1);
    let (conn, mut rx) = paired(&engine, 1, ME).await;

    engine.inject(d, Fault::FailSends { count: 1 }).await.unwrap();
    assert!(matches!(conn.send(text(PEER, "x")).await, Err(EngineError::Rejected(_))));
    assert!(conn.send(text(PEER, "x")).await.is_ok(), "only one failure was asked for");

    engine.inject(d, Fault::Drop).await.unwrap();
    assert!(matches!(next(&mut rx).await, EngineEvent::Disconnected { .. }));
    assert!(!conn.is_live());
    assert_eq!(conn.send(text(PEER, "x")).await, Err(EngineError::NotConnected));

    engine.inject(d, Fault::FailConnects { count: 2 }).await.unwrap();
    for _ in 0..2 {
        let (tx, _rx) = mpsc::channel(4);
        assert!(engine.connect(d, ConnectOptions::default(), tx).await.is_err());
    }
    let (conn, mut rx) = open(&engine, 1).await;
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);

    engine.inject(d, Fault::SilentDrop).await.unwrap();
    assert!(!conn.is_live());
    assert!(tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.is_err(), "no event for a silent drop");

    let (conn, mut rx) = open(&engine, 1).await;
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    engine.inject(d, Fault::Flap { times: 2 }).await.unwrap();
    assert!(matches!(next(&mut rx).await, EngineEvent::Disconnected { .. }));
    for _ in 0..2 {
        let (_c, mut rx) = open(&engine, 1).await;
        assert_eq!(next(&mut rx).await, EngineEvent::Connected);
        assert!(matches!(next(&mut rx).await, EngineEvent::Disconnected { reason } if reason.contains("flap")));
    }
    let (conn2, mut rx) = open(&engine, 1).await;
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    assert!(conn2.is_live() && !conn.is_live());

    engine.inject(d, Fault::TemporaryBan { secs: 60 }).await.unwrap();
    assert!(matches!(next(&mut rx).await, EngineEvent::TemporaryBan { .. }));
    let (_c, mut rx) = open(&engine, 1).await;
    assert!(matches!(next(&mut rx).await, EngineEvent::TemporaryBan { .. }), "still banned");
    tokio::time::advance(Duration::from_secs(61)).await;
    let (_c, mut rx) = open(&engine, 1).await;
    assert_eq!(next(&mut rx).await, EngineEvent::Connected, "the ban ran out");

    engine.inject(d, Fault::LogoutFromPhone).await.unwrap();
    assert!(matches!(next(&mut rx).await, EngineEvent::LoggedOut { .. }));
    assert_eq!(engine.account(d), None);
    let (_c, mut rx) = open(&engine, 1).await;
    assert!(matches!(next(&mut rx).await, EngineEvent::Qr { .. }), "needs pairing again");
}

#[tokio::test(start_paused = true)]
async fn a_recorded_pairing_survives_a_restart() {
    let engine = SimEngine::new(SimConfig::default());
    let (tx, mut rx) = mpsc::channel(8);
    let options = ConnectOptions { phone: None, paired_account: Some(ME.into()) };
    let conn = engine.connect(DeviceId(7), options, tx).await.unwrap();
    assert_eq!(next(&mut rx).await, EngineEvent::Connected);
    assert!(conn.is_live());
    assert_eq!(engine.account(DeviceId(7)).as_deref(), Some(ME));
}
