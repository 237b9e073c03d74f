//! WhatsApp engines. An engine opens a [`Connection`] for a device and reports what happens
//! on it as [`EngineEvent`]s; it knows nothing of the database or HTTP. The session manager
//! (in the server) turns those events into device status, history and stored messages.
//!
//! - [`sim`]: an in-process simulated WhatsApp network, for the demo and the tests.
//! - the `web` engine on whatsapp-rust lives in its own crate, because it is slow to build.

mod event;
pub mod sim;

pub use event::{
    address, ChatKind, EngineEvent, IncomingMedia, IncomingMessage, MessageBody, OutgoingMessage, Receipt, ReceiptKind,
    GROUP_SUFFIX,
};

use async_trait::async_trait;
use domain::{DeviceId, EngineKind};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Where a connection sends its events. Bounded: a stuck consumer slows the engine down
/// instead of growing memory without limit.
pub type EventSender = mpsc::Sender<EngineEvent>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the device is not connected")]
    NotConnected,
    #[error("the device is already paired")]
    AlreadyPaired,
    /// WhatsApp (or the simulation) refused the request.
    #[error("{0}")]
    Rejected(String),
    /// The engine could not reach WhatsApp or failed internally.
    #[error("{0}")]
    Unavailable(String),
}

/// What the session manager knows that an engine may use when connecting.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// The outlet's number as digits (`6281234567890`).
    pub phone: Option<String>,
    /// The account this device was paired with, as recorded by the session manager. The web
    /// engine keeps its own keys; the simulation, which lives in memory, restores its pairing
    /// from this after a restart.
    pub paired_account: Option<String>,
}

#[async_trait]
pub trait Engine: Send + Sync + 'static {
    fn kind(&self) -> EngineKind;

    /// Opens a connection for `device`. It returns at once; progress (QR codes, connected,
    /// disconnected…) arrives on `events`. After `Disconnected`, `LoggedOut`, `TemporaryBan`
    /// or `QrExhausted` the connection is over and a new `connect` is needed.
    async fn connect(
        &self,
        device: DeviceId,
        options: ConnectOptions,
        events: EventSender,
    ) -> Result<Arc<dyn Connection>, EngineError>;

    /// Forgets everything kept for `device`: keys, pairing. The next connect starts unpaired.
    async fn forget(&self, device: DeviceId) -> Result<(), EngineError>;
}

#[async_trait]
pub trait Connection: Send + Sync + 'static {
    /// The socket is open and the account logged in: the only "connected" that counts.
    fn is_live(&self) -> bool;

    /// Asks for an 8-character code to type on the phone instead of scanning a QR.
    async fn request_pairing_code(&self, phone_digits: &str) -> Result<String, EngineError>;

    /// Sends a message; returns WhatsApp's message id.
    async fn send(&self, message: OutgoingMessage) -> Result<String, EngineError>;

    /// Unlinks this device from the account.
    async fn logout(&self) -> Result<(), EngineError>;

    /// Closes the socket, keeping the pairing.
    async fn close(&self);
}
