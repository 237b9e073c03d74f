//! The storage conformance round-trip against the in-memory key-value store.

use domain::DeviceId;
use kewhats_engine_web::kv::{KeyValueStore, MemoryKv};
use kewhats_engine_web::store::{conformance, KvBackend};
use std::sync::Arc;
use whatsapp_rust::store::traits::SignalStore;

#[tokio::test]
async fn keystore_round_trip() {
    let kv = Arc::new(MemoryKv::default());
    // A third device's data must come through untouched.
    kv.put(DeviceId(3), "identity", "someone@s.whatsapp.net", &[9; 32]).await.expect("put");

    let result = conformance::round_trip(kv.clone(), DeviceId(1), DeviceId(2)).await;
    assert_eq!(result, Ok(()));

    assert_eq!(kv.count(DeviceId(1)), 0, "round_trip leaves its devices wiped");
    assert_eq!(kv.count(DeviceId(2)), 0);
    assert_eq!(kv.count(DeviceId(3)), 1);
}

#[tokio::test]
async fn a_revoked_backend_neither_reads_nor_writes() {
    let kv = Arc::new(MemoryKv::default());
    let backend = KvBackend::new(kv.clone(), DeviceId(1));
    backend.put_session("a@s.whatsapp.net", b"s").await.expect("put");
    backend.revoke().await;
    assert!(backend.put_session("b@s.whatsapp.net", b"s").await.is_err());
    assert!(backend.get_session("a@s.whatsapp.net").await.is_err());
    assert_eq!(kv.count(DeviceId(1)), 1, "nothing written after revoke");
}
