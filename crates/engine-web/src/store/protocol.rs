//! Protocol bookkeeping: group sender-key distribution, LID↔phone mappings, base keys,
//! device lists, group metadata, trusted-contact tokens, sent messages kept for retries,
//! and the pending-inbound buffer.

use super::{compound, count, decode, encode, now_secs, ns, stamp, unstamp, KvBackend};
use async_trait::async_trait;
use std::collections::BTreeMap;
use whatsapp_rust::store::error::Result;
use whatsapp_rust::store::traits::{
    DeviceListRecord, LidPnMappingEntry, PendingInboundKey, PendingInboundRow, ProtocolStore, TcTokenEntry,
};

/// Which devices of a group already hold our sender key: device JID → has key.
type SenderKeyDevices = BTreeMap<String, bool>;

impl KvBackend {
    /// Deletes every key of `namespace` whose stamp is older than `cutoff`.
    async fn delete_stamped_before(&self, namespace: &str, cutoff: i64) -> Result<u32> {
        let mut deleted = 0;
        for (key, value) in self.list(namespace).await? {
            if unstamp(&value)?.0 < cutoff {
                self.delete(namespace, &key).await?;
                deleted += 1;
            }
        }
        Ok(count(deleted))
    }

    /// Stores LID mappings and keeps the phone → LID index in step. Caller holds `rmw`.
    async fn put_lid_mappings_locked(&self, entries: &[LidPnMappingEntry]) -> Result<()> {
        let mut by_lid = Vec::with_capacity(entries.len());
        let mut by_pn = Vec::with_capacity(entries.len());
        for entry in entries {
            let old: Option<LidPnMappingEntry> = self.get_json(ns::LID_MAPPING, &entry.lid).await?;
            if let Some(old) = old.filter(|o| o.phone_number != entry.phone_number) {
                // The LID moved to another number: the old number must not point at it any more.
                if self.get(ns::PN_MAPPING, &old.phone_number).await?.as_deref() == Some(entry.lid.as_bytes()) {
                    self.delete(ns::PN_MAPPING, &old.phone_number).await?;
                }
            }
            by_lid.push((entry.lid.clone(), encode(entry)?));
            by_pn.push((entry.phone_number.clone(), entry.lid.clone().into_bytes()));
        }
        self.put_many(ns::LID_MAPPING, &by_lid).await?;
        self.put_many(ns::PN_MAPPING, &by_pn).await
    }
}

#[async_trait]
impl ProtocolStore for KvBackend {
    async fn get_sender_key_devices(&self, group_jid: &str) -> Result<Vec<(String, bool)>> {
        let devices: SenderKeyDevices = self.get_json(ns::SENDER_KEY_DEVICES, group_jid).await?.unwrap_or_default();
        Ok(devices.into_iter().collect())
    }

    async fn set_sender_key_status(&self, group_jid: &str, entries: &[(&str, bool)]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let _guard = self.rmw.lock().await;
        let mut devices: SenderKeyDevices = self.get_json(ns::SENDER_KEY_DEVICES, group_jid).await?.unwrap_or_default();
        for (device, has_key) in entries {
            devices.insert((*device).to_string(), *has_key);
        }
        self.put_json(ns::SENDER_KEY_DEVICES, group_jid, &devices).await
    }

    async fn clear_sender_key_devices(&self, group_jid: &str) -> Result<()> {
        self.delete(ns::SENDER_KEY_DEVICES, group_jid).await
    }

    async fn delete_sender_key_device_rows(&self, device_jids: &[&str]) -> Result<()> {
        if device_jids.is_empty() {
            return Ok(());
        }
        let _guard = self.rmw.lock().await;
        let mut changed = Vec::new();
        for (group, value) in self.list(ns::SENDER_KEY_DEVICES).await? {
            let mut devices: SenderKeyDevices = decode(&value)?;
            let before = devices.len();
            devices.retain(|jid, _| !device_jids.contains(&jid.as_str()));
            if devices.is_empty() {
                self.delete(ns::SENDER_KEY_DEVICES, &group).await?;
            } else if devices.len() != before {
                changed.push((group, encode(&devices)?));
            }
        }
        self.put_many(ns::SENDER_KEY_DEVICES, &changed).await
    }

    async fn clear_all_sender_key_devices(&self) -> Result<()> {
        self.delete_namespace(ns::SENDER_KEY_DEVICES).await
    }

    async fn get_lid_mapping(&self, lid: &str) -> Result<Option<LidPnMappingEntry>> {
        self.get_json(ns::LID_MAPPING, lid).await
    }

    async fn get_pn_mapping(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        let Some(lid) = self.get(ns::PN_MAPPING, phone).await? else { return Ok(None) };
        let lid = String::from_utf8_lossy(&lid);
        let entry: Option<LidPnMappingEntry> = self.get_json(ns::LID_MAPPING, &lid).await?;
        Ok(entry.filter(|e| e.phone_number == phone))
    }

    async fn put_lid_mapping(&self, entry: &LidPnMappingEntry) -> Result<()> {
        let _guard = self.rmw.lock().await;
        self.put_lid_mappings_locked(std::slice::from_ref(entry)).await
    }

    async fn put_lid_mappings(&self, entries: &[LidPnMappingEntry]) -> Result<()> {
        let _guard = self.rmw.lock().await;
        self.put_lid_mappings_locked(entries).await
    }

    async fn get_all_lid_mappings(&self) -> Result<Vec<LidPnMappingEntry>> {
        self.list(ns::LID_MAPPING).await?.iter().map(|(_, v)| decode(v)).collect()
    }

    async fn save_base_key(&self, address: &str, message_id: &str, base_key: &[u8]) -> Result<()> {
        self.put(ns::BASE_KEY, &compound(&[address, message_id]), base_key).await
    }

    async fn has_same_base_key(&self, address: &str, message_id: &str, current_base_key: &[u8]) -> Result<bool> {
        let stored = self.get(ns::BASE_KEY, &compound(&[address, message_id])).await?;
        Ok(stored.as_deref() == Some(current_base_key))
    }

    async fn delete_base_key(&self, address: &str, message_id: &str) -> Result<()> {
        self.delete(ns::BASE_KEY, &compound(&[address, message_id])).await
    }

    async fn update_device_list(&self, record: DeviceListRecord) -> Result<()> {
        self.put_json(ns::DEVICE_LIST, &record.user, &record).await
    }

    async fn update_device_lists(&self, records: Vec<DeviceListRecord>) -> Result<()> {
        let entries = records.iter().map(|r| Ok((r.user.clone(), encode(r)?))).collect::<Result<Vec<_>>>()?;
        self.put_many(ns::DEVICE_LIST, &entries).await
    }

    async fn get_devices(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        self.get_json(ns::DEVICE_LIST, user).await
    }

    async fn delete_devices(&self, user: &str) -> Result<()> {
        self.delete(ns::DEVICE_LIST, user).await
    }

    async fn get_group_metadata(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        self.get(ns::GROUP_METADATA, group_jid).await
    }

    async fn put_group_metadata(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.put(ns::GROUP_METADATA, group_jid, blob).await
    }

    async fn delete_group_metadata(&self, group_jid: &str) -> Result<()> {
        self.delete(ns::GROUP_METADATA, group_jid).await
    }

    async fn get_tc_token(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        self.get_json(ns::TC_TOKEN, jid).await
    }

    async fn put_tc_token(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        self.put_json(ns::TC_TOKEN, jid, entry).await
    }

    async fn delete_tc_token(&self, jid: &str) -> Result<()> {
        self.delete(ns::TC_TOKEN, jid).await
    }

    async fn get_all_tc_token_jids(&self) -> Result<Vec<String>> {
        Ok(self.list(ns::TC_TOKEN).await?.into_iter().map(|(k, _)| k).collect())
    }

    /// A token row stays while either window is live: the received token or the sender's.
    async fn delete_expired_tc_tokens(&self, token_cutoff: i64, sender_cutoff: i64) -> Result<u32> {
        let mut deleted = 0;
        for (jid, value) in self.list(ns::TC_TOKEN).await? {
            let e: TcTokenEntry = decode(&value)?;
            let token_live = !e.token.is_empty() && e.token_timestamp >= token_cutoff;
            let sender_live = e.sender_timestamp.is_some_and(|t| t >= sender_cutoff);
            if !token_live && !sender_live {
                self.delete(ns::TC_TOKEN, &jid).await?;
                deleted += 1;
            }
        }
        Ok(count(deleted))
    }

    async fn store_sent_message(&self, chat_jid: &str, message_id: &str, payload: &[u8]) -> Result<()> {
        self.put(ns::SENT_MESSAGE, &compound(&[chat_jid, message_id]), &stamp(now_secs(), payload)).await
    }

    async fn take_sent_message(&self, chat_jid: &str, message_id: &str) -> Result<Option<Vec<u8>>> {
        let key = compound(&[chat_jid, message_id]);
        let _guard = self.rmw.lock().await;
        let Some(value) = self.get(ns::SENT_MESSAGE, &key).await? else { return Ok(None) };
        self.delete(ns::SENT_MESSAGE, &key).await?;
        Ok(Some(unstamp(&value)?.1.to_vec()))
    }

    async fn delete_expired_sent_messages(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_stamped_before(ns::SENT_MESSAGE, cutoff_timestamp).await
    }

    async fn store_pending_inbound(&self, chat: &str, sender: &str, id: &str, message: &[u8]) -> Result<()> {
        self.put(ns::PENDING_INBOUND, &compound(&[chat, sender, id]), &stamp(now_secs(), message)).await
    }

    async fn get_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<Option<Vec<u8>>> {
        match self.get(ns::PENDING_INBOUND, &compound(&[chat, sender, id])).await? {
            None => Ok(None),
            Some(v) => Ok(Some(unstamp(&v)?.1.to_vec())),
        }
    }

    async fn delete_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<()> {
        self.delete(ns::PENDING_INBOUND, &compound(&[chat, sender, id])).await
    }

    async fn delete_expired_pending_inbound(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_stamped_before(ns::PENDING_INBOUND, cutoff_timestamp).await
    }

    async fn store_pending_inbound_batch(&self, rows: &[PendingInboundRow<'_>]) -> Result<()> {
        let now = now_secs();
        let entries: Vec<_> =
            rows.iter().map(|r| (compound(&[r.chat, r.sender, r.id]), stamp(now, r.message))).collect();
        self.put_many(ns::PENDING_INBOUND, &entries).await
    }

    async fn delete_pending_inbound_batch(&self, keys: &[PendingInboundKey<'_>]) -> Result<()> {
        for k in keys {
            self.delete(ns::PENDING_INBOUND, &compound(&[k.chat, k.sender, k.id])).await?;
        }
        Ok(())
    }
}
