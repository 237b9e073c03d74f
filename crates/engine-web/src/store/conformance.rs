//! A storage round-trip for any [`KeyValueStore`]: every method of whatsapp-rust's storage
//! traits, as implemented by [`KvBackend`], writes, reads back, overwrites and deletes, for
//! two devices that must not see each other's data, and `wipe` must remove one device's
//! data only. The host runs the same checks against its SQLite and PostgreSQL stores:
//!
//! ```ignore
//! kewhats_engine_web::store::conformance::round_trip(kv, DeviceId(1), DeviceId(2)).await?;
//! ```

use super::{id_key, ns, KvBackend};
use crate::kv::KeyValueStore;
use domain::DeviceId;
use serde::Serialize;
use std::fmt::Debug;
use std::sync::Arc;
use whatsapp_rust::bytes::Bytes;
use whatsapp_rust::store::traits::*;
use whatsapp_rust::wacore::appstate::hash::HashState;
use whatsapp_rust::wacore::appstate::processor::AppStateMutationMAC;
use whatsapp_rust::wacore::store::Device;

type Check = Result<(), String>;

/// Turns a store error into a failed check that says which call failed.
trait Ctx<T> {
    fn ctx(self, what: &str) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Ctx<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

fn eq<T: PartialEq + Debug>(got: T, want: T, what: &str) -> Check {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {want:?}"))
    }
}

/// Equality through serde, for the library's records that do not implement `PartialEq`.
fn same<T: Serialize>(got: &T, want: &T, what: &str) -> Check {
    let (g, w) = (serde_json::to_value(got).ctx(what)?, serde_json::to_value(want).ctx(what)?);
    if g == w {
        Ok(())
    } else {
        Err(format!("{what}: got {g}, expected {w}"))
    }
}

/// Every namespace the backend writes in these checks.
const NAMESPACES: &[&str] = &[
    ns::IDENTITY,
    ns::SESSION,
    ns::PREKEY,
    ns::SIGNED_PREKEY,
    ns::SENDER_KEY,
    ns::APP_SYNC_KEY,
    ns::APP_SYNC_LATEST,
    ns::APP_SYNC_VERSION,
    "mutation_mac/regular",
    ns::SENDER_KEY_DEVICES,
    ns::LID_MAPPING,
    ns::PN_MAPPING,
    ns::BASE_KEY,
    ns::DEVICE_LIST,
    ns::GROUP_METADATA,
    ns::TC_TOKEN,
    ns::SENT_MESSAGE,
    ns::PENDING_INBOUND,
    ns::MSG_SECRET,
    ns::DEVICE,
];

const ADDR: &str = "6281234567890:3@s.whatsapp.net";
const GROUP: &str = "120363000000000000@g.us";
const LID: &str = "100000012345678";
const PHONE: &str = "6281234567890";

/// Runs every check with devices `a` and `b` (both are wiped first and last). The error
/// names the first check that failed.
pub async fn round_trip(kv: Arc<dyn KeyValueStore>, a: DeviceId, b: DeviceId) -> Check {
    kv.wipe(a).await.ctx("wipe a")?;
    kv.wipe(b).await.ctx("wipe b")?;
    let store_a = KvBackend::new(kv.clone(), a);
    let store_b = KvBackend::new(kv.clone(), b);

    // b holds its own records under the same keys a uses, with other values.
    seed(&store_b, 0xBB).await.ctx("seeding device b")?;
    signal(&store_a).await?;
    app_sync(&store_a).await?;
    protocol(&store_a).await?;
    secrets(&store_a).await?;
    device(&store_a).await?;
    check_seed(&store_b, 0xBB).await.map_err(|e| format!("device b after writing device a: {e}"))?;

    // a's data again, then wipe a: everything of a goes, b keeps all of its own.
    seed(&store_a, 0xAA).await.ctx("seeding device a")?;
    check_seed(&store_a, 0xAA).await.map_err(|e| format!("device a: {e}"))?;
    kv.wipe(a).await.ctx("wipe a")?;
    for namespace in NAMESPACES {
        let left = kv.list(a, namespace).await.ctx("list after wipe")?;
        eq(left.len(), 0, &format!("records of device a left in {namespace} after wipe"))?;
    }
    check_seed(&store_b, 0xBB).await.map_err(|e| format!("device b after wiping device a: {e}"))?;
    kv.wipe(b).await.ctx("wipe b")?;
    eq(store_b.exists().await.ctx("exists")?, false, "device b exists after wipe")
}

/// One record in every namespace, with values derived from `v`.
async fn seed(s: &KvBackend, v: u8) -> whatsapp_rust::store::error::Result<()> {
    s.put_identity(ADDR, [v; 32]).await?;
    s.put_session(ADDR, &[v; 3]).await?;
    s.store_prekey(1, &[v; 3], false).await?;
    s.store_signed_prekey(1, &[v; 3]).await?;
    s.put_sender_key(ADDR, &[v; 3]).await?;
    s.set_sync_key(&[1], AppStateSyncKey { key_data: vec![v], fingerprint: vec![v], timestamp: 1 }).await?;
    s.set_version("regular", HashState { version: u64::from(v), ..Default::default() }).await?;
    s.put_mutation_macs("regular", 1, &[AppStateMutationMAC { index_mac: vec![1], value_mac: vec![v] }]).await?;
    s.set_sender_key_status(GROUP, &[(ADDR, v & 1 == 0)]).await?;
    s.put_lid_mapping(&lid_entry(PHONE, i64::from(v))).await?;
    s.save_base_key(ADDR, "M1", &[v]).await?;
    s.update_device_list(device_list("user", i64::from(v))).await?;
    s.put_group_metadata(GROUP, &[v]).await?;
    s.put_tc_token(ADDR, &TcTokenEntry { token: vec![v], token_timestamp: 1, sender_timestamp: None }).await?;
    s.store_sent_message(ADDR, "M1", &[v]).await?;
    s.store_pending_inbound(ADDR, ADDR, "M1", &[v]).await?;
    s.put_msg_secret(ADDR, ADDR, "M1", &[v; 32]).await?;
    let mut device = Device::new();
    device.push_name = format!("seed {v}");
    s.save(&device).await
}

async fn check_seed(s: &KvBackend, v: u8) -> Check {
    eq(s.load_identity(ADDR).await.ctx("load_identity")?, Some([v; 32]), "identity")?;
    eq(s.get_session(ADDR).await.ctx("get_session")?, Some(Bytes::from(vec![v; 3])), "session")?;
    eq(s.load_prekey(1).await.ctx("load_prekey")?, Some(Bytes::from(vec![v; 3])), "prekey")?;
    eq(s.load_signed_prekey(1).await.ctx("load_signed_prekey")?, Some(vec![v; 3]), "signed prekey")?;
    eq(s.get_sender_key(ADDR).await.ctx("get_sender_key")?, Some(vec![v; 3]), "sender key")?;
    let key = s.get_sync_key(&[1]).await.ctx("get_sync_key")?.map(|k| k.key_data);
    eq(key, Some(vec![v]), "sync key")?;
    eq(s.get_version("regular").await.ctx("get_version")?.version, u64::from(v), "app-state version")?;
    eq(s.get_mutation_mac("regular", &[1]).await.ctx("get_mutation_mac")?, Some(vec![v]), "mutation mac")?;
    let devices = s.get_sender_key_devices(GROUP).await.ctx("get_sender_key_devices")?;
    eq(devices, vec![(ADDR.to_string(), v & 1 == 0)], "sender key devices")?;
    let mapping = s.get_lid_mapping(LID).await.ctx("get_lid_mapping")?.map(|m| m.created_at);
    eq(mapping, Some(i64::from(v)), "lid mapping")?;
    eq(s.has_same_base_key(ADDR, "M1", &[v]).await.ctx("has_same_base_key")?, true, "base key")?;
    let list = s.get_devices("user").await.ctx("get_devices")?.map(|d| d.timestamp);
    eq(list, Some(i64::from(v)), "device list")?;
    eq(s.get_group_metadata(GROUP).await.ctx("get_group_metadata")?, Some(vec![v]), "group metadata")?;
    let token = s.get_tc_token(ADDR).await.ctx("get_tc_token")?.map(|t| t.token);
    eq(token, Some(vec![v]), "tc token")?;
    eq(s.get_pending_inbound(ADDR, ADDR, "M1").await.ctx("get_pending_inbound")?, Some(vec![v]), "pending inbound")?;
    eq(s.get_msg_secret(ADDR, ADDR, "M1").await.ctx("get_msg_secret")?, Some(vec![v; 32]), "msg secret")?;
    let name = s.load().await.ctx("load")?.map(|d| d.push_name);
    eq(name, Some(format!("seed {v}")), "device record")?;
    // Taken last: taking deletes it.
    eq(s.take_sent_message(ADDR, "M1").await.ctx("take_sent_message")?, Some(vec![v]), "sent message")?;
    s.store_sent_message(ADDR, "M1", &[v]).await.ctx("store_sent_message")
}

fn lid_entry(phone: &str, created_at: i64) -> LidPnMappingEntry {
    LidPnMappingEntry {
        lid: LID.into(),
        phone_number: phone.into(),
        created_at,
        updated_at: created_at,
        learning_source: "usync".into(),
    }
}

fn device_list(user: &str, timestamp: i64) -> DeviceListRecord {
    DeviceListRecord {
        user: user.into(),
        devices: vec![DeviceInfo::new(0, None), DeviceInfo::new(3, Some(1))],
        timestamp,
        phash: Some("2:abc".into()),
        raw_id: None,
    }
}

async fn signal(s: &KvBackend) -> Check {
    s.put_identity(ADDR, [1; 32]).await.ctx("put_identity")?;
    eq(s.load_identity(ADDR).await.ctx("load_identity")?, Some([1; 32]), "identity")?;
    s.put_identities_batch(&[(ADDR.into(), [2; 32]), ("x@lid".into(), [3; 32])]).await.ctx("put_identities_batch")?;
    eq(s.load_identity(ADDR).await.ctx("load_identity")?, Some([2; 32]), "identity overwritten by batch")?;
    eq(s.load_identity("x@lid").await.ctx("load_identity")?, Some([3; 32]), "identity from batch")?;
    s.delete_identity(ADDR).await.ctx("delete_identity")?;
    eq(s.load_identity(ADDR).await.ctx("load_identity")?, None, "deleted identity")?;
    let _ = s.has_signal_state_for_user("6281234567890").await.ctx("has_signal_state_for_user")?;

    s.put_session(ADDR, b"s1").await.ctx("put_session")?;
    eq(s.get_session(ADDR).await.ctx("get_session")?, Some(Bytes::from_static(b"s1")), "session")?;
    eq(s.has_session(ADDR).await.ctx("has_session")?, true, "has_session")?;
    s.put_sessions_batch(&[(ADDR.into(), Bytes::from_static(b"s2"))]).await.ctx("put_sessions_batch")?;
    eq(s.get_session(ADDR).await.ctx("get_session")?, Some(Bytes::from_static(b"s2")), "session overwritten")?;
    s.delete_session(ADDR).await.ctx("delete_session")?;
    eq(s.has_session(ADDR).await.ctx("has_session")?, false, "deleted session")?;

    eq(s.get_max_prekey_id().await.ctx("get_max_prekey_id")?, 0, "max pre-key id of an empty store")?;
    s.store_prekey(9, b"p9", false).await.ctx("store_prekey")?;
    s.store_prekeys_batch(&[(10, Bytes::from_static(b"p10")), (100, Bytes::from_static(b"p100"))], false)
        .await
        .ctx("store_prekeys_batch")?;
    eq(s.get_max_prekey_id().await.ctx("get_max_prekey_id")?, 100, "max pre-key id (numeric, not text order)")?;
    eq(s.load_prekey(10).await.ctx("load_prekey")?, Some(Bytes::from_static(b"p10")), "pre-key")?;
    let batch = s.load_prekeys_batch(&[9, 11, 100]).await.ctx("load_prekeys_batch")?;
    let ids: Vec<u32> = batch.iter().map(|(id, _)| *id).collect();
    eq(ids, vec![9, 100], "pre-keys loaded in a batch (missing ones skipped)")?;
    s.remove_prekey(9).await.ctx("remove_prekey")?;
    s.mark_prekeys_uploaded(&[9, 10]).await.ctx("mark_prekeys_uploaded")?;
    eq(s.load_prekey(9).await.ctx("load_prekey")?, None, "a removed pre-key is not revived by marking it")?;
    let raw = s.get(ns::PREKEY, &id_key(10)).await.ctx("raw pre-key")?;
    eq(raw.and_then(|r| r.first().copied()), Some(1), "uploaded flag")?;
    eq(s.load_prekey(10).await.ctx("load_prekey")?, Some(Bytes::from_static(b"p10")), "marked pre-key")?;

    s.store_signed_prekey(1, b"a").await.ctx("store_signed_prekey")?;
    s.store_signed_prekey(2, b"b").await.ctx("store_signed_prekey")?;
    s.store_signed_prekey(2, b"c").await.ctx("store_signed_prekey")?;
    eq(s.load_signed_prekey(2).await.ctx("load_signed_prekey")?, Some(b"c".to_vec()), "signed pre-key")?;
    s.remove_signed_prekey(1).await.ctx("remove_signed_prekey")?;
    let all = s.load_all_signed_prekeys().await.ctx("load_all_signed_prekeys")?;
    eq(all, vec![(2, b"c".to_vec())], "all signed pre-keys")?;

    s.put_sender_key(ADDR, b"k1").await.ctx("put_sender_key")?;
    s.put_sender_keys_batch(&[(ADDR.into(), Bytes::from_static(b"k2"))]).await.ctx("put_sender_keys_batch")?;
    eq(s.get_sender_key(ADDR).await.ctx("get_sender_key")?, Some(b"k2".to_vec()), "sender key")?;
    s.delete_sender_key(ADDR).await.ctx("delete_sender_key")?;
    eq(s.get_sender_key(ADDR).await.ctx("get_sender_key")?, None, "deleted sender key")
}

async fn app_sync(s: &KvBackend) -> Check {
    eq(s.get_latest_sync_key_id().await.ctx("get_latest_sync_key_id")?, None, "latest key of an empty store")?;
    let key = |d: u8| AppStateSyncKey { key_data: vec![d; 32], fingerprint: vec![d], timestamp: i64::from(d) };
    s.set_sync_key(&[0, 1], key(1)).await.ctx("set_sync_key")?;
    s.set_sync_key(&[0, 2], key(2)).await.ctx("set_sync_key")?;
    s.set_sync_key(&[0, 1], key(3)).await.ctx("set_sync_key")?;
    same(&s.get_sync_key(&[0, 1]).await.ctx("get_sync_key")?, &Some(key(3)), "sync key overwritten")?;
    eq(s.get_latest_sync_key_id().await.ctx("get_latest_sync_key_id")?, Some(vec![0, 1]), "latest sync key")?;
    same(&s.get_sync_key(&[9]).await.ctx("get_sync_key")?, &None, "missing sync key")?;

    same(&s.get_version("regular").await.ctx("get_version")?, &HashState::default(), "version of a new collection")?;
    let mut state = HashState { version: 7, ..Default::default() };
    state.hash[0] = 0xEE;
    state.index_value_map.insert("idx".into(), vec![1, 2]);
    s.set_version("regular", state.clone()).await.ctx("set_version")?;
    same(&s.get_version("regular").await.ctx("get_version")?, &state, "version")?;

    let mac = |i: u8, v: u8| AppStateMutationMAC { index_mac: vec![i; 32], value_mac: vec![v] };
    s.put_mutation_macs("regular", 7, &[mac(1, 1), mac(2, 2)]).await.ctx("put_mutation_macs")?;
    s.put_mutation_macs("regular", 8, &[mac(2, 3)]).await.ctx("put_mutation_macs")?;
    s.put_mutation_macs("critical", 1, &[mac(1, 9)]).await.ctx("put_mutation_macs")?;
    eq(s.get_mutation_mac("regular", &[2; 32]).await.ctx("get_mutation_mac")?, Some(vec![3]), "mac overwritten")?;
    let many = s.get_mutation_macs("regular", &[[1; 32], [5; 32]]).await.ctx("get_mutation_macs")?;
    eq(many.get(&[1; 32]).cloned(), Some(vec![1]), "macs in a batch")?;
    eq(many.len(), 1, "macs in a batch (missing ones skipped)")?;
    s.delete_mutation_macs("regular", &[vec![1; 32]]).await.ctx("delete_mutation_macs")?;
    eq(s.get_mutation_mac("regular", &[1; 32]).await.ctx("get_mutation_mac")?, None, "deleted mac")?;
    s.clear_mutation_macs("regular").await.ctx("clear_mutation_macs")?;
    eq(s.get_mutation_mac("regular", &[2; 32]).await.ctx("get_mutation_mac")?, None, "cleared collection")?;
    let other = s.get_mutation_mac("critical", &[1; 32]).await.ctx("get_mutation_mac")?;
    eq(other, Some(vec![9]), "clearing one collection keeps the others")?;
    s.clear_mutation_macs("critical").await.ctx("clear_mutation_macs")
}

async fn protocol(s: &KvBackend) -> Check {
    let other_group = "120363000000000001@g.us";
    s.set_sender_key_status(GROUP, &[("d1", true), ("d2", false)]).await.ctx("set_sender_key_status")?;
    s.set_sender_key_status(GROUP, &[("d2", true)]).await.ctx("set_sender_key_status")?;
    s.set_sender_key_status(other_group, &[("d1", true)]).await.ctx("set_sender_key_status")?;
    let devices = s.get_sender_key_devices(GROUP).await.ctx("get_sender_key_devices")?;
    eq(devices, vec![("d1".into(), true), ("d2".into(), true)], "sender key devices merged")?;
    s.delete_sender_key_device_rows(&["d1"]).await.ctx("delete_sender_key_device_rows")?;
    eq(s.get_sender_key_devices(GROUP).await.ctx("get")?, vec![("d2".into(), true)], "device rows deleted")?;
    eq(s.get_sender_key_devices(other_group).await.ctx("get")?, vec![], "device rows deleted in every group")?;
    s.clear_sender_key_devices(GROUP).await.ctx("clear_sender_key_devices")?;
    eq(s.get_sender_key_devices(GROUP).await.ctx("get")?, vec![], "cleared group")?;
    s.set_sender_key_status(GROUP, &[("d3", false)]).await.ctx("set_sender_key_status")?;
    s.clear_all_sender_key_devices().await.ctx("clear_all_sender_key_devices")?;
    eq(s.get_sender_key_devices(GROUP).await.ctx("get")?, vec![], "all groups cleared")?;

    s.put_lid_mapping(&lid_entry("111", 1)).await.ctx("put_lid_mapping")?;
    same(&s.get_pn_mapping("111").await.ctx("get_pn_mapping")?, &Some(lid_entry("111", 1)), "phone → lid")?;
    // The LID moves to another number: the old number no longer maps to it.
    s.put_lid_mappings(&[lid_entry("222", 2), lid_entry2()]).await.ctx("put_lid_mappings")?;
    same(&s.get_lid_mapping(LID).await.ctx("get_lid_mapping")?, &Some(lid_entry("222", 2)), "lid → phone")?;
    same(&s.get_pn_mapping("111").await.ctx("get_pn_mapping")?, &None, "stale phone mapping")?;
    same(&s.get_pn_mapping("222").await.ctx("get_pn_mapping")?, &Some(lid_entry("222", 2)), "new phone mapping")?;
    eq(s.get_all_lid_mappings().await.ctx("get_all_lid_mappings")?.len(), 2, "all lid mappings")?;

    s.save_base_key(ADDR, "M1", b"base").await.ctx("save_base_key")?;
    eq(s.has_same_base_key(ADDR, "M1", b"base").await.ctx("has_same_base_key")?, true, "same base key")?;
    eq(s.has_same_base_key(ADDR, "M1", b"other").await.ctx("has_same_base_key")?, false, "other base key")?;
    eq(s.has_same_base_key(ADDR, "M2", b"base").await.ctx("has_same_base_key")?, false, "other message")?;
    s.delete_base_key(ADDR, "M1").await.ctx("delete_base_key")?;
    eq(s.has_same_base_key(ADDR, "M1", b"base").await.ctx("has_same_base_key")?, false, "deleted base key")?;

    s.update_device_list(device_list("u1", 1)).await.ctx("update_device_list")?;
    s.update_device_lists(vec![device_list("u1", 2), device_list("u2", 3)]).await.ctx("update_device_lists")?;
    same(&s.get_devices("u1").await.ctx("get_devices")?, &Some(device_list("u1", 2)), "device list")?;
    s.delete_devices("u1").await.ctx("delete_devices")?;
    same(&s.get_devices("u1").await.ctx("get_devices")?, &None, "deleted device list")?;
    same(&s.get_devices("u2").await.ctx("get_devices")?, &Some(device_list("u2", 3)), "other device list")?;

    s.put_group_metadata(GROUP, b"m1").await.ctx("put_group_metadata")?;
    s.put_group_metadata(GROUP, b"m2").await.ctx("put_group_metadata")?;
    eq(s.get_group_metadata(GROUP).await.ctx("get_group_metadata")?, Some(b"m2".to_vec()), "group metadata")?;
    s.delete_group_metadata(GROUP).await.ctx("delete_group_metadata")?;
    eq(s.get_group_metadata(GROUP).await.ctx("get_group_metadata")?, None, "deleted group metadata")?;

    tc_tokens(s).await?;
    sent_and_pending(s).await
}

fn lid_entry2() -> LidPnMappingEntry {
    LidPnMappingEntry { lid: "999".into(), ..lid_entry("333", 3) }
}

async fn tc_tokens(s: &KvBackend) -> Check {
    let entry = |t: &[u8], ts: i64, sender: Option<i64>| TcTokenEntry {
        token: t.to_vec(),
        token_timestamp: ts,
        sender_timestamp: sender,
    };
    s.put_tc_token("a@s.whatsapp.net", &entry(b"t1", 100, None)).await.ctx("put_tc_token")?;
    s.store_received_tc_token("a@s.whatsapp.net", b"t0", 50).await.ctx("store_received_tc_token")?;
    let got = s.get_tc_token("a@s.whatsapp.net").await.ctx("get_tc_token")?;
    same(&got, &Some(entry(b"t1", 100, None)), "an older token does not replace a newer one")?;
    s.touch_tc_token_sender_timestamp("a@s.whatsapp.net", 300).await.ctx("touch_tc_token_sender_timestamp")?;
    s.touch_tc_token_sender_timestamp("b@s.whatsapp.net", 100).await.ctx("touch_tc_token_sender_timestamp")?;
    s.store_received_tc_token("a@s.whatsapp.net", b"t2", 200).await.ctx("store_received_tc_token")?;
    let got = s.get_tc_token("a@s.whatsapp.net").await.ctx("get_tc_token")?;
    same(&got, &Some(entry(b"t2", 200, Some(300))), "token replaced, sender time kept")?;
    let mut jids = s.get_all_tc_token_jids().await.ctx("get_all_tc_token_jids")?;
    jids.sort();
    eq(jids, vec!["a@s.whatsapp.net".to_string(), "b@s.whatsapp.net".to_string()], "token jids")?;
    // b only has a sender time of 100: expired by a sender cutoff of 150; a's token is live.
    eq(s.delete_expired_tc_tokens(150, 150).await.ctx("delete_expired_tc_tokens")?, 1, "expired tokens")?;
    same(&s.get_tc_token("b@s.whatsapp.net").await.ctx("get_tc_token")?, &None, "expired token")?;
    s.delete_tc_token("a@s.whatsapp.net").await.ctx("delete_tc_token")?;
    same(&s.get_tc_token("a@s.whatsapp.net").await.ctx("get_tc_token")?, &None, "deleted token")
}

async fn sent_and_pending(s: &KvBackend) -> Check {
    s.store_sent_message(ADDR, "M1", b"one").await.ctx("store_sent_message")?;
    s.store_sent_message(ADDR, "M1", b"two").await.ctx("store_sent_message")?;
    s.store_sent_message(ADDR, "M2", b"x").await.ctx("store_sent_message")?;
    eq(s.take_sent_message(ADDR, "M1").await.ctx("take_sent_message")?, Some(b"two".to_vec()), "sent message")?;
    eq(s.take_sent_message(ADDR, "M1").await.ctx("take_sent_message")?, None, "a taken message is gone")?;
    eq(s.delete_expired_sent_messages(0).await.ctx("delete_expired_sent_messages")?, 0, "nothing expired yet")?;
    let later = super::now_secs() + 3600;
    eq(s.delete_expired_sent_messages(later).await.ctx("delete_expired_sent_messages")?, 1, "expired messages")?;
    eq(s.take_sent_message(ADDR, "M2").await.ctx("take_sent_message")?, None, "expired message")?;

    s.store_pending_inbound("c", "s", "1", b"a").await.ctx("store_pending_inbound")?;
    s.store_pending_inbound("c", "s", "1", b"b").await.ctx("store_pending_inbound")?;
    eq(s.get_pending_inbound("c", "s", "1").await.ctx("get_pending_inbound")?, Some(b"b".to_vec()), "pending")?;
    s.delete_pending_inbound("c", "s", "1").await.ctx("delete_pending_inbound")?;
    eq(s.get_pending_inbound("c", "s", "1").await.ctx("get_pending_inbound")?, None, "deleted pending")?;
    let rows: Vec<PendingInboundRow<'_>> =
        ["1", "2", "3"].iter().map(|id| PendingInboundRow { chat: "c", sender: "s", id, message: b"m" }).collect();
    s.store_pending_inbound_batch(&rows).await.ctx("store_pending_inbound_batch")?;
    let keys = [PendingInboundKey { chat: "c", sender: "s", id: "1" }];
    s.delete_pending_inbound_batch(&keys).await.ctx("delete_pending_inbound_batch")?;
    eq(s.get_pending_inbound("c", "s", "1").await.ctx("get")?, None, "pending deleted in a batch")?;
    eq(s.get_pending_inbound("c", "s", "2").await.ctx("get")?, Some(b"m".to_vec()), "pending from a batch")?;
    eq(s.delete_expired_pending_inbound(0).await.ctx("delete_expired_pending_inbound")?, 0, "nothing expired")?;
    eq(s.delete_expired_pending_inbound(later).await.ctx("delete_expired_pending_inbound")?, 2, "expired pending")
}

async fn secrets(s: &KvBackend) -> Check {
    let entry = |id: &str, secret: u8, expires_at: i64, message_ts: i64| MsgSecretEntry {
        chat: "c".into(),
        sender: "s".into(),
        msg_id: id.into(),
        secret: [secret; 32],
        expires_at,
        message_ts,
    };
    s.put_msg_secret("c", "s", "0", &[7; 32]).await.ctx("put_msg_secret")?;
    eq(s.get_msg_secret("c", "s", "0").await.ctx("get_msg_secret")?, Some(vec![7; 32]), "secret")?;
    let stored = s
        .put_msg_secrets(vec![entry("1", 1, 100, 10), entry("2", 2, 500, 20), entry("1", 3, 200, 5)])
        .await
        .ctx("put_msg_secrets")?;
    eq(stored, 3, "secrets stored")?;
    // Same key twice: the secret is replaced, expiry and message time are merged (max).
    let got = s.get_msg_secret_with_ts("c", "s", "1").await.ctx("get_msg_secret_with_ts")?;
    eq(got, Some((vec![3; 32], 10)), "merged secret")?;
    eq(s.get_msg_secret("c", "other", "1").await.ctx("get_msg_secret")?, None, "secret keyed by sender")?;
    // "0" never expires; "1" expires at 200, "2" at 500.
    eq(s.delete_expired_msg_secrets(300).await.ctx("delete_expired_msg_secrets")?, 1, "expired secrets")?;
    eq(s.get_msg_secret("c", "s", "1").await.ctx("get_msg_secret")?, None, "expired secret")?;
    eq(s.get_msg_secret("c", "s", "0").await.ctx("get_msg_secret")?, Some(vec![7; 32]), "secret without expiry")?;
    eq(s.get_msg_secret("c", "s", "2").await.ctx("get_msg_secret")?, Some(vec![2; 32]), "unexpired secret")
}

async fn device(s: &KvBackend) -> Check {
    s.delete(ns::DEVICE, "device").await.ctx("reset device")?;
    eq(s.exists().await.ctx("exists")?, false, "no device yet")?;
    s.create().await.ctx("create")?;
    eq(s.exists().await.ctx("exists")?, true, "device after create")?;
    let mut created = s.load().await.ctx("load")?.ok_or("create stored no device")?;
    s.create().await.ctx("create again")?;
    let again = s.load().await.ctx("load")?.ok_or("device gone")?;
    same(&again, &created, "a second create keeps the keys")?;
    created.push_name = "Outlet".into();
    created.login_counter = 5;
    s.save(&created).await.ctx("save")?;
    same(&s.load().await.ctx("load")?, &Some(created), "saved device")?;
    s.snapshot_db("conformance", None).await.ctx("snapshot_db")?;
    let _ = s.resource_report().await;
    Ok(())
}
