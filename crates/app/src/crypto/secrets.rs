//! Encryption at rest for secrets kept in the database (WhatsApp device keys, and later webhook
//! secrets): XChaCha20-Poly1305 with a random nonce per value.
//!
//! The key never enters the database: it comes from `KEWHATS_SECRET_KEY` (64 hex characters)
//! or a key file in the data dir, created on first start. A database dump alone therefore
//! cannot take over a paired number. Each value is bound to where it is stored (the
//! "associated data"), so copying a ciphertext to another device's row fails to decrypt.

use anyhow::{bail, Context};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::path::Path;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted: wrong KEWHATS_SECRET_KEY, or the value was altered")]
pub struct OpenError;

#[derive(Debug, thiserror::Error)]
#[error("a secret could not be encrypted (value too large)")]
pub struct SealError;

impl SecretBox {
    /// From 64 hex characters (32 bytes).
    pub fn from_hex(hex_key: &str) -> anyhow::Result<SecretBox> {
        let bytes = hex::decode(hex_key.trim()).context("the secret key must be 64 hex characters")?;
        if bytes.len() != 32 {
            bail!("the secret key must be 64 hex characters (32 bytes), got {} bytes", bytes.len());
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| anyhow::anyhow!("invalid key length"))?;
        Ok(SecretBox { cipher })
    }

    /// The configured key, or the key file at `file`, created (mode 0600) if missing.
    pub fn load(configured: Option<&str>, file: &Path) -> anyhow::Result<SecretBox> {
        if let Some(key) = configured {
            return Self::from_hex(key).context("KEWHATS_SECRET_KEY");
        }
        if file.exists() {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            return Self::from_hex(&text).with_context(|| format!("key file {}", file.display()));
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        write_private(file, &hex::encode(key))?;
        tracing::warn!(
            file = %file.display(),
            "created a new secret key for encrypting device keys; back it up (without it, paired devices must pair again)"
        );
        Self::from_hex(&hex::encode(key))
    }

    /// `version ‖ nonce ‖ ciphertext+tag`.
    pub fn seal(&self, plaintext: &[u8], bound_to: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: bound_to })
            .map_err(|_| SealError)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], bound_to: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
            return Err(OpenError);
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: bound_to }).map_err(|_| OpenError)
    }
}

fn write_private(file: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(file).with_context(|| format!("creating {}", file.display()))?;
    std::io::Write::write_all(&mut f, contents.as_bytes()).with_context(|| format!("writing {}", file.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_place() {
        let a = SecretBox::from_hex(&"11".repeat(32)).unwrap();
        let b = SecretBox::from_hex(&"22".repeat(32)).unwrap();
        let sealed = a.seal(b"identity key", b"device:1/identity/own").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"identity key"), "no plaintext in the ciphertext");
        assert_eq!(a.open(&sealed, b"device:1/identity/own").unwrap(), b"identity key");
        assert!(b.open(&sealed, b"device:1/identity/own").is_err(), "another key");
        assert!(a.open(&sealed, b"device:2/identity/own").is_err(), "moved to another row");
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(a.open(&altered, b"device:1/identity/own").is_err(), "tampered");
        assert_ne!(a.seal(b"x", b"").unwrap(), a.seal(b"x", b"").unwrap(), "a fresh nonce each time");
        assert!(SecretBox::from_hex("abcd").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = std::env::temp_dir().join(format!("kewhats_secret_{}", std::process::id()));
        let file = dir.join("secret.key");
        let _ = std::fs::remove_file(&file);
        let first = SecretBox::load(None, &file).unwrap();
        let again = SecretBox::load(None, &file).unwrap();
        assert_eq!(again.open(&first.seal(b"v", b"p").unwrap(), b"p").unwrap(), b"v", "the same key is read back");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let configured = SecretBox::load(Some(&"33".repeat(32)), &file).unwrap();
        assert!(configured.open(&first.seal(b"v", b"p").unwrap(), b"p").is_err(), "the configured key wins");
        let _ = std::fs::remove_dir_all(dir);
    }
}
