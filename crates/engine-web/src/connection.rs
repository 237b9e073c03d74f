//! One live connection: what the session manager holds while a device is connecting or
//! connected.

use crate::mapping::digits;
use crate::store::KvBackend;
use async_trait::async_trait;
use domain::DeviceId;
use engine::{Connection, EngineError, MessageBody, OutgoingMessage};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, OnceCell};
use whatsapp_rust::media::{document_message, image_message, DocumentOptions, ImageOptions};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::send::SendError;
use whatsapp_rust::upload::UploadOptions;
use whatsapp_rust::wacore::download::MediaType;
use whatsapp_rust::{Client, Jid};

/// What the connection, its driver and the engine share.
pub(crate) struct Shared {
    pub device: DeviceId,
    pub client: Arc<Client>,
    pub backend: Arc<KvBackend>,
    closing: AtomicBool,
    stopped: OnceCell<()>,
}

impl Shared {
    pub fn new(device: DeviceId, client: Arc<Client>, backend: Arc<KvBackend>) -> Shared {
        Shared { device, client, backend, closing: AtomicBool::new(false), stopped: OnceCell::new() }
    }

    /// We are stopping (or stopped) the client: whatever it reports from now on is ours.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Stops the client for good, flushing its keys to the store. Every caller waits
    /// until that is done; only the first one does it.
    pub async fn shut_down(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.stopped.get_or_init(|| async { self.client.disconnect().await }).await;
    }

    /// Unlinks the device from the phone (when connected), then stops the client.
    async fn log_out(&self) {
        self.closing.store(true, Ordering::SeqCst);
        // `logout` ends with the same `disconnect` as `shut_down`.
        self.stopped.get_or_init(|| async { self.client.logout().await }).await;
    }
}

/// A connection of the web engine. Dropping it stops the client, as `close` does.
pub struct WebConnection {
    shared: Arc<Shared>,
    /// Dropped with the connection, which tells the driver to stop the client.
    _dropped: oneshot::Sender<()>,
}

impl WebConnection {
    pub(crate) fn new(shared: Arc<Shared>, dropped: oneshot::Sender<()>) -> WebConnection {
        WebConnection { shared, _dropped: dropped }
    }

    fn client(&self) -> &Arc<Client> {
        &self.shared.client
    }
}

fn send_error(e: SendError) -> EngineError {
    match e {
        SendError::NotLoggedIn => EngineError::NotConnected,
        SendError::InvalidRequest(_) => EngineError::Rejected(e.to_string()),
        other => EngineError::Unavailable(other.to_string()),
    }
}

fn upload_error(e: anyhow::Error) -> EngineError {
    EngineError::Unavailable(format!("uploading the media failed: {e:#}"))
}

#[async_trait]
impl Connection for WebConnection {
    fn is_live(&self) -> bool {
        !self.shared.is_closing() && self.client().is_connected() && self.client().is_logged_in()
    }

    /// The code also arrives as `EngineEvent::PairingCode`, like the simulation's.
    async fn request_pairing_code(&self, phone_digits: &str) -> Result<String, EngineError> {
        let phone = digits(phone_digits);
        if phone.is_empty() {
            return Err(EngineError::Rejected("a pairing code needs the phone number".into()));
        }
        let client = self.client();
        if client.is_logged_in() || client.pn().is_some() {
            return Err(EngineError::AlreadyPaired);
        }
        // Checked here: the library would first spend a second deriving keys.
        if self.shared.is_closing() || !client.is_connected() {
            return Err(EngineError::NotConnected);
        }
        let options = PairCodeOptions { phone_number: phone, ..Default::default() };
        client.pair_with_code(options).await.map_err(|e| EngineError::Rejected(e.to_string()))
    }

    async fn send(&self, message: OutgoingMessage) -> Result<String, EngineError> {
        if !self.is_live() {
            return Err(EngineError::NotConnected);
        }
        let to = match message.to.strip_suffix(engine::GROUP_SUFFIX) {
            Some(group) if !group.is_empty() => Jid::group(group),
            _ => {
                let to_digits = digits(&message.to);
                if to_digits.is_empty() {
                    return Err(EngineError::Rejected(format!("not a phone number: {:?}", message.to)));
                }
                Jid::pn(to_digits)
            }
        };
        let client = self.client();
        let wa_message = match message.body {
            MessageBody::Text(text) => {
                return client.send_text(to, text).await.map(|r| r.message_id).map_err(send_error);
            }
            MessageBody::Image { data, mime, caption } => {
                let upload =
                    client.upload(data, MediaType::Image, UploadOptions::default()).await.map_err(upload_error)?;
                let options = ImageOptions {
                    caption: Some(caption).filter(|c| !c.is_empty()),
                    mimetype: Some(mime),
                    ..Default::default()
                };
                image_message(upload, options)
            }
            MessageBody::Document { data, mime, file_name, caption } => {
                let upload =
                    client.upload(data, MediaType::Document, UploadOptions::default()).await.map_err(upload_error)?;
                let options = DocumentOptions {
                    mimetype: Some(mime),
                    title: Some(file_name.clone()),
                    file_name: Some(file_name),
                    caption: Some(caption).filter(|c| !c.is_empty()),
                    ..Default::default()
                };
                document_message(upload, options)
            }
        };
        client.send_message(to, wa_message).await.map(|r| r.message_id).map_err(send_error)
    }

    /// Infallible in whatsapp-rust: the unlink request is best effort (it cannot be sent
    /// while offline) and the local teardown happens either way. The keys stay until the
    /// manager calls `forget`.
    async fn logout(&self) -> Result<(), EngineError> {
        self.shared.log_out().await;
        Ok(())
    }

    async fn close(&self) {
        self.shared.shut_down().await;
    }
}
