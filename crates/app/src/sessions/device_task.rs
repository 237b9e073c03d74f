//! The life of one device: connect, pair, stay connected, reconnect with backoff, stop.
//!
//! Exactly one of these runs per device (the registry in `mod.rs` sees to it), and it is the
//! only code that writes the device's status. Every write goes through
//! [`domain::check_transition`] and lands with its history row in one transaction.

use super::{Command, DeviceEvent, Fix, Inner, QrSnapshot, Shared};
use domain::policy::system_scope;
use domain::{check_transition, DeviceStatus, PhoneNumber};
use engine::{ConnectOptions, Connection, EngineError, EngineEvent, MessageBody, OutgoingMessage};
use rand::Rng;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use store::{Device, DeviceChange};
use tokio::sync::mpsc;

use DeviceStatus::*;

/// What one turn of the outbox did.
enum Sent {
    One,
    Nothing,
    NotLive,
}

/// How a connection attempt ended.
enum Next {
    /// Reconnect after a backoff delay.
    Retry,
    /// Reconnect after this long (a temporary ban).
    RetryAfter(Duration),
    /// Wait for a command (unpaired, logged out, QR expired).
    Idle,
    Stop,
}

struct Task {
    inner: Arc<Inner>,
    device: Device,
    shared: Arc<Shared>,
    commands: mpsc::Receiver<Command>,
}

pub(super) async fn run(inner: Arc<Inner>, device: Device, shared: Arc<Shared>, commands: mpsc::Receiver<Command>) {
    // Counted down however the task ends, aborted included.
    struct Running(Arc<Inner>);
    impl Drop for Running {
        fn drop(&mut self) {
            self.0.loops.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let _running = Running(inner.clone());
    let mut task = Task { inner, device, shared, commands };
    task.main().await;
}

impl Task {
    async fn main(&mut self) {
        self.forget_stale_socket().await;
        match self.inner.store.fail_interrupted_sends(self.device.outlet_id, self.inner.clock.now()).await {
            Ok(0) => {}
            Ok(n) => {
                self.inner.metrics.message("failed", n);
                tracing::warn!(device = %self.device.id, messages = n, "messages interrupted while sending were marked failed")
            }
            Err(e) => tracing::error!(device = %self.device.id, error = %e, "checking interrupted sends"),
        }
        // A paired device that was not unlinked reconnects by itself; others wait to be asked.
        let mut next = if self.device.paired_account.is_some() && !matches!(self.device.status, LoggedOut | Banned) {
            Next::Retry
        } else {
            Next::Idle
        };
        let mut first = true;
        loop {
            next = match next {
                Next::Stop => return,
                Next::Idle => match self.idle().await {
                    Some(n) => n,
                    None => return,
                },
                Next::Retry if first => self.attempt().await,
                Next::Retry => {
                    let retries = self.count_retry().await;
                    let jitter = rand::thread_rng().gen::<f64>();
                    let delay = self.inner.settings.backoff.delay(u32::try_from(retries).unwrap_or(u32::MAX), jitter);
                    match self.wait(delay).await {
                        Some(n) => n,
                        None => self.attempt().await,
                    }
                }
                Next::RetryAfter(delay) => match self.wait(delay).await {
                    Some(n) => n,
                    None => self.attempt().await,
                },
            };
            first = false;
        }
    }

    /// Waits for a command while not connected. `None` when the registry let go of us.
    async fn idle(&mut self) -> Option<Next> {
        loop {
            match self.commands.recv().await? {
                Command::Connect => return Some(self.attempt().await),
                Command::Stop(reply) => {
                    let _ = reply.send(());
                    return Some(Next::Stop);
                }
                other => self.offline_command(other).await,
            }
        }
    }

    /// Waits out a reconnect delay; a command may cut it short. `None` means "connect now".
    async fn wait(&mut self, delay: Duration) -> Option<Next> {
        let sleep = self.inner.timer.sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return None,
                cmd = self.commands.recv() => match cmd {
                    None => return Some(Next::Stop),
                    Some(Command::Connect) => return None,
                    Some(Command::Stop(reply)) => {
                        let _ = reply.send(());
                        return Some(Next::Stop);
                    }
                    Some(Command::Logout(reply)) => {
                        self.logged_out("logged out by the user").await;
                        let _ = reply.send(Ok(()));
                        return Some(Next::Idle);
                    }
                    Some(other) => self.offline_command(other).await,
                }
            }
        }
    }

    /// Commands that arrive while there is no connection.
    async fn offline_command(&mut self, cmd: Command) {
        match cmd {
            Command::Logout(reply) => {
                self.logged_out("logged out by the user").await;
                let _ = reply.send(Ok(()));
            }
            Command::PairingCode(_, reply) => {
                let _ = reply.send(Err(engine::EngineError::NotConnected));
            }
            Command::Reconcile(reply) => {
                let fix = self.reconcile(None).await;
                if let Some(reply) = reply {
                    let _ = reply.send(fix);
                }
            }
            Command::Connect | Command::Stop(_) => {}
        }
    }

    async fn attempt(&mut self) -> Next {
        // The outlet may have been renumbered since this task started; pairings are checked
        // against the number it has now.
        match self.inner.store.device(system_scope(), self.device.id).await {
            Ok(Some(fresh)) => self.device.wa_number = fresh.wa_number,
            Ok(None) => return Next::Stop,
            Err(e) => tracing::error!(device = %self.device.id, error = %e, "refreshing the device"),
        }
        self.set(Connecting, DeviceChange { reason: "connecting".into(), ..Default::default() }).await;
        let engine = match self.inner.engines.get(self.device.engine) {
            Ok(e) => e,
            Err(e) => {
                self.set(Disconnected, DeviceChange { reason: e.to_string(), ..Default::default() }).await;
                return Next::Idle;
            }
        };
        let (tx, mut events) = mpsc::channel(256);
        let options = ConnectOptions {
            phone: Some(digits(&self.device.wa_number)),
            paired_account: self.device.paired_account.clone(),
        };
        let conn = match engine.connect(self.device.id, options, tx).await {
            Ok(c) => c,
            Err(e) => {
                self.set(Disconnected, DeviceChange { reason: e.to_string(), ..Default::default() }).await;
                return self.after_drop();
            }
        };
        *self.shared.conn.write().unwrap_or_else(|e| e.into_inner()) = Some(conn.clone());
        // The outbox is worked one message per turn of this loop, so events and commands are
        // never kept waiting behind a long queue; `next_send` paces the device.
        let mut outbox_ready = false;
        let mut next_send = tokio::time::Instant::now();
        let next = loop {
            let can_send = outbox_ready && self.device.status == Connected;
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else {
                        self.set(Disconnected, DeviceChange { reason: "the engine closed the connection".into(), ..Default::default() }).await;
                        break self.after_drop();
                    };
                    let connected = event == EngineEvent::Connected;
                    if let Some(next) = self.on_event(event, &conn).await {
                        break next;
                    }
                    outbox_ready |= connected;
                }
                _ = self.shared.outbox.notified() => outbox_ready = true,
                _ = tokio::time::sleep_until(next_send), if can_send => {
                    match self.send_one(&conn).await {
                        Sent::One => next_send = tokio::time::Instant::now() + self.inner.settings.send_gap,
                        Sent::Nothing | Sent::NotLive => outbox_ready = false,
                    }
                }
                cmd = self.commands.recv() => {
                    if let Some(next) = self.on_command(cmd, &conn).await {
                        break next;
                    }
                }
            }
        };
        *self.shared.conn.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.clear_pairing_display();
        next
    }

    /// Retry when the device has been paired (it can come back by itself), else wait.
    fn after_drop(&self) -> Next {
        if self.device.paired_account.is_some() {
            Next::Retry
        } else {
            Next::Idle
        }
    }

    async fn on_event(&mut self, event: EngineEvent, conn: &Arc<dyn Connection>) -> Option<Next> {
        match event {
            EngineEvent::Qr { code, valid_for } => {
                let expires_at = self.inner.clock.now().plus_secs(i64::try_from(valid_for.as_secs()).unwrap_or(60));
                *self.shared.qr.write().unwrap_or_else(|e| e.into_inner()) = Some(QrSnapshot { code, expires_at });
                self.show_pairing("waiting for the QR code to be scanned").await;
            }
            EngineEvent::PairingCode { code } => {
                *self.shared.pairing_code.write().unwrap_or_else(|e| e.into_inner()) = Some(code);
                self.show_pairing("waiting for the pairing code to be entered").await;
            }
            EngineEvent::QrExhausted => {
                conn.close().await;
                let reason = "the QR code expired before it was scanned; connect again for a new one";
                self.set(Disconnected, DeviceChange { reason: reason.into(), ..Default::default() }).await;
                return Some(Next::Idle);
            }
            EngineEvent::Paired { account } => {
                self.clear_pairing_display();
                let expected = digits(&self.device.wa_number);
                if account != expected {
                    // Wrong-number guard: another phone linked this outlet; unlink it at once.
                    let _ = conn.logout().await;
                    self.forget_keys().await;
                    let reason = format!(
                        "unlinked: the phone that paired is +{account}, but this outlet's number is {}",
                        self.device.wa_number
                    );
                    let change = DeviceChange {
                        reason: reason.clone(),
                        paired_account: Some(None),
                        unlinked_reason: Some(reason),
                        ..Default::default()
                    };
                    self.set(LoggedOut, change).await;
                    return Some(Next::Idle);
                }
                self.device.paired_account = Some(account);
            }
            EngineEvent::Connected => {
                let change = DeviceChange {
                    reason: "connected".into(),
                    reset_retries: true,
                    paired_account: Some(self.device.paired_account.clone()),
                    unlinked_reason: Some(String::new()),
                    quiet: false,
                };
                self.set(Connected, change).await;
                self.device.retries = 0;
            }
            EngineEvent::Disconnected { reason } => {
                self.set(Disconnected, DeviceChange { reason, ..Default::default() }).await;
                return Some(self.after_drop());
            }
            EngineEvent::LoggedOut { reason } => {
                self.logged_out(&reason).await;
                return Some(Next::Idle);
            }
            EngineEvent::TemporaryBan { reason, retry_after } => {
                conn.close().await;
                self.set(Banned, DeviceChange { reason, ..Default::default() }).await;
                return Some(retry_after.map_or(Next::Idle, Next::RetryAfter));
            }
            EngineEvent::Message(m) => self.record_inbound(m).await,
            EngineEvent::Receipt(r) => {
                let to = match r.kind {
                    engine::ReceiptKind::Delivered => domain::MessageStatus::Delivered,
                    engine::ReceiptKind::Read => domain::MessageStatus::Read,
                };
                let now = self.inner.clock.now();
                if let Err(e) = self.inner.store.apply_receipt(self.device.outlet_id, &r.message_ids, to, now).await {
                    tracing::error!(device = %self.device.id, error = %e, "storing a receipt");
                }
            }
        }
        None
    }

    async fn on_command(&mut self, cmd: Option<Command>, conn: &Arc<dyn Connection>) -> Option<Next> {
        match cmd {
            None => {
                conn.close().await;
                Some(Next::Stop)
            }
            Some(Command::Stop(reply)) => {
                conn.close().await;
                let _ = reply.send(());
                Some(Next::Stop)
            }
            Some(Command::Connect) => None,
            Some(Command::Logout(reply)) => {
                let result = conn.logout().await;
                self.logged_out("logged out by the user").await;
                let _ = reply.send(result);
                Some(Next::Idle)
            }
            Some(Command::PairingCode(phone, reply)) => {
                let _ = reply.send(conn.request_pairing_code(&phone).await);
                None
            }
            Some(Command::Reconcile(reply)) => {
                let fix = self.reconcile(Some(conn)).await;
                let dead = fix.as_ref().is_some_and(|f| f.to == Disconnected);
                if let Some(reply) = reply {
                    let _ = reply.send(fix);
                }
                if dead {
                    // The socket died without telling us: drop it and reconnect.
                    conn.close().await;
                    return Some(self.after_drop());
                }
                None
            }
        }
    }

    /// Claims the oldest pending message of the outlet and sends it.
    async fn send_one(&mut self, conn: &Arc<dyn Connection>) -> Sent {
        let store = &self.inner.store;
        let message = match store.claim_next_outgoing(self.device.outlet_id, self.inner.clock.now()).await {
            Ok((claimed, expired)) => {
                self.inner.metrics.message("failed", expired);
                match claimed {
                    Some(m) => m,
                    None => return Sent::Nothing,
                }
            }
            Err(e) => {
                tracing::error!(device = %self.device.id, error = %e, "claiming an outgoing message");
                return Sent::Nothing;
            }
        };
        let result = match self.body_of(&message).await {
            Ok(Some(body)) => conn.send(OutgoingMessage { to: engine::address(&message.peer), body }).await,
            Ok(None) => Err(EngineError::Rejected("the media to send is missing".into())),
            Err(e) => {
                // A passing database fault must not fail the message: it waits for the next turn.
                tracing::error!(device = %self.device.id, message = message.id, error = %e, "reading media to send");
                if let Err(e) = store.release_outgoing(message.id, self.inner.clock.now()).await {
                    tracing::error!(device = %self.device.id, message = message.id, error = %e, "releasing a message");
                }
                return Sent::Nothing;
            }
        };
        let now = self.inner.clock.now();
        // `true` when this send's outcome became the message's (it was still `sending`).
        let written = match &result {
            Err(EngineError::NotConnected) => store.release_outgoing(message.id, now).await.map(|()| false),
            Ok(wa_id) => store.finish_outgoing(message.id, Ok(wa_id), now).await,
            Err(e) => store.finish_outgoing(message.id, Err(&e.to_string()), now).await,
        };
        match (&written, &result) {
            (Err(e), _) => {
                tracing::error!(device = %self.device.id, message = message.id, error = %e, "recording a send")
            }
            (Ok(true), Ok(_)) => self.inner.metrics.message("sent", 1),
            (Ok(true), Err(_)) => self.inner.metrics.message("failed", 1),
            (Ok(_), _) => {}
        }
        match result {
            Err(EngineError::NotConnected) => Sent::NotLive,
            Ok(_) => {
                if let Some(key) = message.api_key_id {
                    if let Err(e) = store.count_api_key_message(key).await {
                        tracing::error!(key, error = %e, "counting a sent message");
                    }
                }
                self.shared.outbox.notify_one();
                Sent::One
            }
            Err(_) => {
                self.shared.outbox.notify_one();
                Sent::One
            }
        }
    }

    /// What the engine sends: the text, or the image or document with its caption; `None` when
    /// the media bytes are gone.
    async fn body_of(&self, message: &store::Message) -> Result<Option<MessageBody>, store::StoreError> {
        if message.kind == "text" {
            return Ok(Some(MessageBody::Text(message.body.clone())));
        }
        let Some(data) = self.inner.store.message_media(message.id).await? else { return Ok(None) };
        let mime = message.media_mime.clone().unwrap_or_default();
        let caption = message.body.clone();
        Ok(Some(match message.kind.as_str() {
            "image" => MessageBody::Image { data, mime, caption },
            _ => {
                MessageBody::Document { data, mime, file_name: message.media_name.clone().unwrap_or_default(), caption }
            }
        }))
    }

    async fn record_inbound(&self, m: engine::IncomingMessage) {
        let group = self.group_to_answer(&m).await;
        if let Some(why) = crate::services::automations::not_a_conversation(&m).filter(|_| group.is_none()) {
            let answered_in = match (m.chat, &m.group) {
                (engine::ChatKind::Direct, _) => Some(format!("+{}", m.from.trim_start_matches('+'))),
                (engine::ChatKind::Group, Some(group)) => Some(group.clone()),
                _ => None,
            };
            if let Some(peer) = answered_in.filter(|_| m.from_me) {
                // A person answered from the phone: the bot's conversation with that contact
                // (`from` names the chat's other party here) or in that group is handed over.
                let now = self.inner.clock.now();
                match self.inner.store.chatbot_phone_replied(self.device.outlet_id, &peer, &m.id, now).await {
                    Ok(Some(session)) => {
                        let _ = self.inner.hand_overs.send(session);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(device = %self.device.id, error = %e, "handing a chatbot conversation over")
                    }
                }
            }
            // Groups, broadcasts, status updates and the phone's own messages: not stored, and
            // so never answered.
            return tracing::debug!(device = %self.device.id, why, "an inbound message left alone");
        }
        // A group's message is the group's conversation: the reply goes to the group.
        let from = group.unwrap_or_else(|| format!("+{}", m.from.trim_start_matches('+')));
        // PostgreSQL text cannot hold NUL; drop it rather than the whole message.
        let text = m.text.replace('\0', "");
        let new = store::NewInbound {
            owner: self.device.owner_id,
            outlet: self.device.outlet_id,
            from: &from,
            body: &text,
            wa_message_id: &m.id,
            at: m.at,
            media: m.media.as_ref().filter(|f| f.data.len() <= self.inner.settings.media_max_bytes).map(|f| {
                store::NewMedia { kind: f.kind.as_str(), mime: &f.mime, file_name: &f.file_name, data: &f.data }
            }),
        };
        match self.inner.store.record_inbound(new, self.inner.clock.now()).await {
            Ok(Some(message)) => {
                self.inner.metrics.message("received", 1);
                // (One member's "stop" in a group opts nobody out.)
                let person = !from.ends_with(engine::GROUP_SUFFIX);
                if person && domain::opt_out::is_stop_request(&text, &self.inner.settings.stop_words) {
                    self.opt_out(&from, &text).await;
                }
                // After the opt-out, so that a stop word is never answered. A replay (below)
                // never gets here: each WhatsApp message id is handed over once.
                if let Err(e) = self.inner.inbound.try_send(message) {
                    if matches!(e, tokio::sync::mpsc::error::TrySendError::Full(_)) {
                        tracing::warn!(device = %self.device.id, "automations are behind; a message is not answered");
                    }
                }
            }
            // WhatsApp delivered it again (after a reconnect): stored and counted already.
            Ok(None) => {}
            Err(e) => tracing::error!(device = %self.device.id, error = %e, "storing an incoming message"),
        }
    }

    /// The group of a group message that a rule or flow of the owner answers in on this outlet
    /// (none: the message is left alone, as every group's is by default).
    async fn group_to_answer(&self, m: &engine::IncomingMessage) -> Option<String> {
        let group = m.group.as_ref().filter(|_| m.chat == engine::ChatKind::Group && !m.from_me)?;
        // A blocked or opted-out member gets nothing, in a group either.
        if let Ok(number) = domain::PhoneNumber::parse(&format!("+{}", m.from)) {
            match self.inner.store.contact_by_number(self.device.owner_id, &number).await {
                Ok(Some(c)) if c.blocked || c.opted_out_at.is_some() => return None,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(device = %self.device.id, error = %e, "reading a group member's contact");
                    return None;
                }
            }
        }
        match self.inner.store.answers_groups(self.device.owner_id, self.device.outlet_id).await {
            Ok(answers) => answers.then(|| group.clone()),
            Err(e) => {
                tracing::error!(device = %self.device.id, error = %e, "checking for rules that answer in groups");
                None
            }
        }
    }

    /// The sender asked to stop: their contact (made if missing) is opted out of blasts.
    async fn opt_out(&self, from: &str, text: &str) {
        let number = match domain::PhoneNumber::parse(from) {
            Ok(n) => n,
            Err(e) => {
                return tracing::warn!(device = %self.device.id, error = %e, "a stop request from an unusable number")
            }
        };
        let now = self.inner.clock.now();
        match self.inner.store.opt_out_contact(self.device.owner_id, &number, text.trim(), now).await {
            Ok(c) => tracing::info!(device = %self.device.id, contact = c.id, "a contact opted out"),
            Err(e) => tracing::error!(device = %self.device.id, error = %e, "recording an opt-out"),
        }
    }

    /// Live wins: compare the stored status (read fresh) with the socket and write the truth.
    async fn reconcile(&mut self, conn: Option<&Arc<dyn Connection>>) -> Option<Fix> {
        let stored = self.stored_status().await?;
        let live = conn.is_some_and(|c| c.is_live());
        if live && matches!(self.device.status, Connecting | Qr) {
            // The socket came up and its events (pairing, then connected) are still queued for
            // this task: they, not a reconciliation, must record the change, or the pairing
            // and the wrong-number guard would be skipped.
            return None;
        }
        let truth = match (live, stored) {
            (true, Connected) => return None,
            (true, _) => Connected,
            (false, Connected) => Disconnected,
            (false, _) => return None,
        };
        let reason =
            format!("reconciled: stored {stored} but the socket is {}", if live { "live" } else { "not live" });
        let change = DeviceChange { reason, reset_retries: live, ..Default::default() };
        // The record is corrected to what the socket shows, whatever path led there, so the
        // transition check does not apply; the history row says it was a reconciliation.
        let now = self.inner.clock.now();
        match self.inner.store.record_device_change(self.device.id, stored, truth, &change, now).await {
            Ok(()) => {
                self.device.status = truth;
                self.publish("device.status", Some(stored), &change.reason);
                Some(Fix { device_id: self.device.id, from: stored, to: truth })
            }
            Err(e) => {
                tracing::error!(device = %self.device.id, error = %e, "reconcile: writing the fix");
                None
            }
        }
    }

    /// At start no socket exists, whatever the row says (the process may have crashed while
    /// connected): record that before anything else, as a reconciliation.
    async fn forget_stale_socket(&mut self) {
        let stored = self.device.status;
        if !matches!(stored, Connected | Connecting | Qr) {
            return;
        }
        let change = DeviceChange {
            reason: "reconciled: the server restarted, so no socket is open".into(),
            quiet: true,
            ..Default::default()
        };
        let now = self.inner.clock.now();
        match self.inner.store.record_device_change(self.device.id, stored, Disconnected, &change, now).await {
            Ok(()) => {
                self.device.status = Disconnected;
                self.publish("device.status", Some(stored), &change.reason);
            }
            Err(e) => tracing::error!(device = %self.device.id, error = %e, "recording the restart"),
        }
    }

    async fn show_pairing(&mut self, reason: &str) {
        if self.device.status != Qr {
            self.set(Qr, DeviceChange { reason: reason.into(), ..Default::default() }).await;
        }
        self.publish("device.qr", None, reason);
    }

    fn clear_pairing_display(&self) {
        *self.shared.qr.write().unwrap_or_else(|e| e.into_inner()) = None;
        *self.shared.pairing_code.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    async fn logged_out(&mut self, reason: &str) {
        self.forget_keys().await;
        if self.device.status != LoggedOut {
            let change = DeviceChange { reason: reason.into(), paired_account: Some(None), ..Default::default() };
            self.set(LoggedOut, change).await;
        }
        self.device.paired_account = None;
    }

    async fn forget_keys(&self) {
        if let Ok(engine) = self.inner.engines.get(self.device.engine) {
            if let Err(e) = engine.forget(self.device.id).await {
                tracing::error!(device = %self.device.id, error = %e, "forgetting device keys");
            }
        }
    }

    async fn count_retry(&mut self) -> i64 {
        match self.inner.store.increment_device_retries(self.device.id, self.inner.clock.now()).await {
            Ok(n) => {
                self.device.retries = n;
                n
            }
            Err(e) => {
                tracing::error!(device = %self.device.id, error = %e, "counting a retry");
                self.device.retries += 1;
                self.device.retries
            }
        }
    }

    /// The one place a status is written. Memory follows the database: when the conditional
    /// write fails (another writer moved the row, or the database is away), `self.device` keeps
    /// what is stored, so later writes start from the truth instead of failing forever against
    /// a status that was never stored.
    async fn set(&mut self, to: DeviceStatus, change: DeviceChange) {
        let mut from = self.device.status;
        if from == to {
            return;
        }
        if let Err(e) = check_transition(from, to) {
            tracing::error!(device = %self.device.id, error = %e, reason = %change.reason, "refused status change");
            return;
        }
        let now = self.inner.clock.now();
        if let Err(e) = self.inner.store.record_device_change(self.device.id, from, to, &change, now).await {
            tracing::warn!(device = %self.device.id, error = %e, %from, %to, "writing status change; re-reading the row");
            let Some(stored) = self.stored_status().await else { return };
            self.device.status = stored;
            if stored != to {
                if check_transition(stored, to).is_err() {
                    return;
                }
                if let Err(e) = self.inner.store.record_device_change(self.device.id, stored, to, &change, now).await {
                    tracing::error!(device = %self.device.id, error = %e, from = %stored, %to, "writing status change");
                    return;
                }
            }
            from = stored;
        }
        tracing::info!(device = %self.device.id, outlet = %self.device.outlet_id, %from, %to, reason = %change.reason, "device status");
        self.device.status = to;
        self.device.status_reason = change.reason.clone();
        if let Some(p) = &change.paired_account {
            self.device.paired_account = p.clone();
        }
        self.publish("device.status", Some(from), &change.reason);
    }

    /// The device's status as stored now; `None` if it cannot be read.
    async fn stored_status(&self) -> Option<DeviceStatus> {
        match self.inner.store.device(system_scope(), self.device.id).await {
            Ok(Some(d)) => Some(d.status),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(device = %self.device.id, error = %e, "reading the device");
                None
            }
        }
    }

    fn publish(&self, event: &'static str, from: Option<DeviceStatus>, reason: &str) {
        let _ = self.inner.bus.send(DeviceEvent {
            event,
            device_id: self.device.id,
            outlet_id: self.device.outlet_id,
            owner_id: self.device.owner_id,
            status: self.device.status,
            from,
            reason: reason.to_string(),
            live: self.shared.live(),
            at: self.inner.clock.now(),
        });
    }
}

/// `+6281…` → `6281…`
fn digits(e164: &str) -> String {
    PhoneNumber::parse(e164)
        .map(|p| p.digits().to_string())
        .unwrap_or_else(|_| e164.trim_start_matches('+').to_string())
}
