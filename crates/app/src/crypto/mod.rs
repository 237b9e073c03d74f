//! Secrets at rest, tokens, password hashing, and the WhatsApp engine's encrypted key store.

pub mod device_keys;
pub mod passwords;
pub mod secrets;
pub mod tokens;

pub use device_keys::EncryptedKeyStore;
pub use secrets::SecretBox;
