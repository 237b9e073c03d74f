//! Runs one whatsapp-rust client for one connection and reports what happens on it.
//!
//! Everything the driver learns arrives as a [`Note`] on one queue, in order: the library's
//! events (pushed inline from its dispatch path by [`Inbox`]), what the transport factory saw
//! ([`WatchedTransport`]), and the end of each run of the client's loop. One queue matters:
//! an event the library dispatched before its run loop stopped is always handled before
//! that stop, so "the connection ended without telling us" is never confused with
//! "it told us and then ended".
//!
//! Auto-reconnect is off, so every run of the loop is exactly one connection attempt. When
//! it ends:
//! - after a terminal event (disconnected, logged out, banned, QR exhausted…) already
//!   reported: nothing more;
//! - right after pairing (WhatsApp always closes the stream with code 515 once a phone
//!   linked the device; the library treats that as "reconnect now", which with
//!   auto-reconnect off just ends the loop): run the loop again so the device logs in;
//! - otherwise the attempt failed without any event (the library only logs failed
//!   connects): report one `Disconnected { reason: "could not reach WhatsApp: …" }`.
//!
//! The driver then stops the client for good ([`Shared::shut_down`]) and drops the event
//! sender, so the session manager sees the channel close after the last event.

use crate::connection::Shared;
use crate::mapping;
use engine::{EngineEvent, EventSender};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use whatsapp_rust::bot::Bot;
use whatsapp_rust::transport::{TokioWebSocketTransportFactory, Transport, TransportEvent, TransportFactory};
use whatsapp_rust::types::events::{Event, EventHandler, EventInterest, EventKind};

/// How often the loop is run again to log in after pairing before giving up; the manager
/// reconnects later anyway, with the pairing already stored.
const PAIRING_RESTARTS: u32 = 3;

/// Below the library's own 20 s limit, so a stalled dial ends with our readable reason.
const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) enum Note {
    Event(Arc<Event>),
    TransportOpened,
    TransportFailed(String),
    RunEnded,
}

/// Receives the library's events inline on its dispatch path; must not block.
pub(crate) struct Inbox(pub mpsc::UnboundedSender<Note>);

impl EventHandler for Inbox {
    fn handle_event(&self, event: Arc<Event>) {
        let _ = self.0.send(Note::Event(event));
    }

    fn interest(&self) -> EventInterest {
        use EventKind::*;
        EventInterest::of(&[
            PairingQrCode,
            PairingQrCodesExhausted,
            PairingCode,
            PairSuccess,
            PairError,
            Connected,
            Disconnected,
            StreamReplaced,
            ConnectFailure,
            ClientOutdated,
            StreamError,
            LoggedOut,
            TemporaryBan,
            Messages,
            Receipt,
        ])
    }
}

/// The stock WebSocket transport, reporting whether each dial worked: the library does not
/// surface a failed connect as an event.
pub(crate) struct WatchedTransport {
    inner: TokioWebSocketTransportFactory,
    notes: mpsc::UnboundedSender<Note>,
}

impl WatchedTransport {
    pub fn new(url: &str, notes: mpsc::UnboundedSender<Note>) -> WatchedTransport {
        WatchedTransport { inner: TokioWebSocketTransportFactory::new().with_url(url), notes }
    }
}

#[async_trait::async_trait]
impl TransportFactory for WatchedTransport {
    async fn create_transport(
        &self,
    ) -> Result<(Arc<dyn Transport>, whatsapp_rust::async_channel::Receiver<TransportEvent>), anyhow::Error> {
        let result = match tokio::time::timeout(DIAL_TIMEOUT, self.inner.create_transport()).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("no answer within {} s", DIAL_TIMEOUT.as_secs())),
        };
        let _ = self.notes.send(match &result {
            Ok(_) => Note::TransportOpened,
            Err(e) => Note::TransportFailed(format!("{e:#}")),
        });
        result
    }
}

/// What one connection attempt has shown so far.
#[derive(Debug, Default)]
pub(crate) struct Attempt {
    /// The last dial error, cleared by a successful dial.
    pub transport_error: Option<String>,
    /// WhatsApp answered past the handshake (a QR code, a pairing, a login).
    pub reached: bool,
    /// A phone linked the device; the login on the restarted stream has not happened yet.
    pub awaiting_login: bool,
    pub restarts: u32,
    /// A non-fatal stream error, kept to explain a close that follows it.
    pub stream_error: Option<String>,
}

#[derive(Debug, PartialEq)]
pub(crate) enum AfterRun {
    RunAgain {
        after: Duration,
    },
    /// The connection is over; report `Disconnected` with this reason, if any.
    End(Option<String>),
}

impl Attempt {
    /// Decides what follows the end of a run of the client's loop that no terminal event
    /// explained. `closing`: we stopped the client ourselves.
    pub fn after_run(&mut self, closing: bool) -> AfterRun {
        if closing {
            return AfterRun::End(None);
        }
        if self.awaiting_login && self.restarts < PAIRING_RESTARTS {
            // The first restart is immediate, as the library itself would do it.
            let after = Duration::from_secs(u64::from(self.restarts));
            self.restarts += 1;
            self.transport_error = None;
            self.reached = false;
            return AfterRun::RunAgain { after };
        }
        AfterRun::End(Some(self.reason()))
    }

    fn reason(&self) -> String {
        let reason = match (&self.transport_error, self.reached, &self.stream_error) {
            (Some(e), _, _) => format!("could not reach WhatsApp: {e}"),
            (None, false, _) => "could not reach WhatsApp: the connection closed before the login finished".into(),
            (None, true, Some(code)) => format!("WhatsApp closed the connection after stream error {code}"),
            (None, true, None) => "WhatsApp closed the connection".into(),
        };
        if self.awaiting_login {
            format!("{reason} (the device is paired; it logs in on the next connect)")
        } else {
            reason
        }
    }
}

pub(crate) struct Driver {
    pub shared: Arc<Shared>,
    pub notes: mpsc::UnboundedReceiver<Note>,
    pub notes_tx: mpsc::UnboundedSender<Note>,
    pub events: EventSender,
    /// Resolves when the [`crate::WebConnection`] is dropped: nobody can close it any more.
    pub dropped: oneshot::Receiver<()>,
    pub version: (u32, u32, u32),
    pub attempt: Attempt,
}

impl Driver {
    pub async fn run(mut self, bot: Bot) {
        let ended = self.notes_tx.clone();
        tokio::spawn(async move {
            bot.run().await;
            let _ = ended.send(Note::RunEnded);
        });
        loop {
            let note = tokio::select! {
                note = self.notes.recv() => note,
                _ = &mut self.dropped => None,
            };
            let Some(note) = note else { break };
            if self.handle(note).await.is_break() {
                break;
            }
        }
        self.shared.shut_down().await;
    }

    async fn handle(&mut self, note: Note) -> ControlFlow<()> {
        match note {
            Note::Event(event) => self.on_event(&event).await,
            Note::TransportOpened => {
                self.attempt.transport_error = None;
                ControlFlow::Continue(())
            }
            Note::TransportFailed(error) => {
                tracing::debug!(device = %self.shared.device, %error, "dialing WhatsApp failed");
                self.attempt.transport_error = Some(error);
                ControlFlow::Continue(())
            }
            Note::RunEnded => match self.attempt.after_run(self.shared.is_closing()) {
                AfterRun::RunAgain { after } => {
                    tracing::debug!(device = %self.shared.device, "paired; restarting the stream to log in");
                    let client = self.shared.client.clone();
                    let ended = self.notes_tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        client.run().await;
                        let _ = ended.send(Note::RunEnded);
                    });
                    ControlFlow::Continue(())
                }
                AfterRun::End(None) => ControlFlow::Break(()),
                AfterRun::End(Some(reason)) => {
                    tracing::debug!(device = %self.shared.device, %reason, "connection attempt ended");
                    let _ = self.emit(EngineEvent::Disconnected { reason }).await;
                    ControlFlow::Break(())
                }
            },
        }
    }

    /// Sends an event to the session manager; `Break` when it let go of this connection.
    async fn emit(&self, event: EngineEvent) -> ControlFlow<()> {
        if self.shared.is_closing() || self.events.send(event).await.is_err() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Reports an event after which the connection is over.
    async fn end_with(&self, event: EngineEvent) -> ControlFlow<()> {
        let _ = self.emit(event).await;
        ControlFlow::Break(())
    }

    async fn on_event(&mut self, event: &Event) -> ControlFlow<()> {
        let client = &self.shared.client;
        match event {
            Event::PairingQrCode(qr) => {
                self.attempt.reached = true;
                self.emit(EngineEvent::Qr { code: qr.code.clone(), valid_for: qr.timeout }).await
            }
            Event::PairingCode(p) => {
                self.attempt.reached = true;
                self.emit(EngineEvent::PairingCode { code: p.code.clone() }).await
            }
            Event::PairingQrCodesExhausted(_) => self.end_with(EngineEvent::QrExhausted).await,
            Event::PairSuccess(p) => {
                self.attempt.reached = true;
                self.attempt.awaiting_login = true;
                self.emit(EngineEvent::Paired { account: mapping::digits(&p.id.user) }).await
            }
            Event::PairError(p) => {
                // The library follows up by closing the stream; the close is reported then.
                tracing::warn!(device = %self.shared.device, error = %p.error, "pairing failed");
                ControlFlow::Continue(())
            }
            Event::Connected(_) => {
                self.attempt.reached = true;
                self.attempt.awaiting_login = false;
                self.attempt.restarts = 0;
                self.emit(EngineEvent::Connected).await
            }
            Event::Disconnected(d) => {
                let reason = match &self.attempt.stream_error {
                    Some(code) => format!("connection to WhatsApp lost after stream error {code}: {}", d.reason),
                    None => format!("connection to WhatsApp lost: {}", d.reason),
                };
                self.end_with(EngineEvent::Disconnected { reason }).await
            }
            Event::StreamReplaced(_) => {
                let reason = "another session with this device's keys replaced this connection".to_string();
                self.end_with(EngineEvent::Disconnected { reason }).await
            }
            Event::ConnectFailure(c) => self.end_with(mapping::connect_failure(c)).await,
            Event::ClientOutdated(_) => {
                let (a, b, c) = self.version;
                let reason =
                    format!("WhatsApp rejected client version {a}.{b}.{c} as outdated; update the pinned version");
                self.end_with(EngineEvent::Disconnected { reason }).await
            }
            Event::StreamError(s) => {
                // Unknown stream errors leave the connection up (the library keeps it on
                // purpose); if the server then closes it, the close is reported with this code.
                tracing::debug!(device = %self.shared.device, code = %s.code, "stream error");
                self.attempt.stream_error = Some(s.code.clone());
                ControlFlow::Continue(())
            }
            Event::LoggedOut(l) => self.end_with(mapping::logged_out(l)).await,
            Event::TemporaryBan(b) => self.end_with(mapping::temporary_ban(b)).await,
            Event::Messages(batch) => {
                for m in batch.iter() {
                    if let Some(message) = mapping::incoming(client, m).await {
                        self.emit(EngineEvent::Message(message)).await?;
                    }
                }
                ControlFlow::Continue(())
            }
            Event::Receipt(r) => match mapping::receipt(client, r).await {
                Some(receipt) => self.emit(EngineEvent::Receipt(receipt)).await,
                None => ControlFlow::Continue(()),
            },
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_dial_ends_the_attempt_with_its_error() {
        let mut a = Attempt { transport_error: Some("Connection refused".into()), ..Default::default() };
        assert_eq!(a.after_run(false), AfterRun::End(Some("could not reach WhatsApp: Connection refused".into())));
    }

    #[test]
    fn a_close_during_the_handshake_is_unreachable_too() {
        let mut a = Attempt::default();
        let AfterRun::End(Some(reason)) = a.after_run(false) else { panic!("should end") };
        assert!(reason.starts_with("could not reach WhatsApp"), "{reason}");
    }

    #[test]
    fn our_own_close_is_reported_by_nobody() {
        let mut a = Attempt { transport_error: Some("x".into()), awaiting_login: true, ..Default::default() };
        assert_eq!(a.after_run(true), AfterRun::End(None));
    }

    #[test]
    fn pairing_restarts_the_stream_a_few_times_then_gives_up() {
        let mut a = Attempt { reached: true, awaiting_login: true, ..Default::default() };
        assert_eq!(a.after_run(false), AfterRun::RunAgain { after: Duration::ZERO });
        assert!(!a.reached, "a restart is a new attempt");
        a.transport_error = Some("refused".into());
        assert_eq!(a.after_run(false), AfterRun::RunAgain { after: Duration::from_secs(1) });
        assert_eq!(a.after_run(false), AfterRun::RunAgain { after: Duration::from_secs(2) });
        a.transport_error = Some("refused".into());
        let AfterRun::End(Some(reason)) = a.after_run(false) else { panic!("should give up") };
        assert!(reason.contains("refused") && reason.contains("paired"), "{reason}");
    }

    #[test]
    fn a_server_close_after_login_names_the_stream_error() {
        let mut a = Attempt { reached: true, stream_error: Some("503".into()), ..Default::default() };
        assert_eq!(
            a.after_run(false),
            AfterRun::End(Some("WhatsApp closed the connection after stream error 503".into()))
        );
    }
}
