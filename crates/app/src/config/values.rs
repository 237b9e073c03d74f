//! The types settings are read into, and how their text is parsed.

use domain::{EngineKind, Language};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Parses a setting's text (from a flag, the environment, the file or the default).
pub trait SettingValue: Sized {
    fn parse_setting(text: &str) -> Result<Self, String>;
}

macro_rules! from_str_values {
    ($($ty:ty),*) => {$(
        impl SettingValue for $ty {
            fn parse_setting(text: &str) -> Result<Self, String> {
                text.parse::<$ty>().map_err(|e| e.to_string())
            }
        }
    )*};
}

from_str_values!(u32, u64, i64, usize, bool, String, PathBuf, EngineKind, Language);

impl SettingValue for SocketAddr {
    fn parse_setting(text: &str) -> Result<Self, String> {
        text.parse().map_err(|_| "must look like 127.0.0.1:8080".to_string())
    }
}

/// Empty text is "not set".
impl<T: SettingValue> SettingValue for Option<T> {
    fn parse_setting(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            Ok(None)
        } else {
            T::parse_setting(text).map(Some)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
}

impl SettingValue for Registration {
    fn parse_setting(text: &str) -> Result<Self, String> {
        match text {
            "open" => Ok(Registration::Open),
            "closed" => Ok(Registration::Closed),
            _ => Err("expected open or closed".into()),
        }
    }
}

/// The WhatsApp Web client version the `web` engine announces: `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebVersion(pub u32, pub u32, pub u32);

impl SettingValue for WebVersion {
    fn parse_setting(text: &str) -> Result<Self, String> {
        let bad = || "must look like 2.3000.1042742319".to_string();
        let parts: Vec<u32> = text.split('.').map(|p| p.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
        match parts.as_slice() {
            [a, b, c] => Ok(WebVersion(*a, *b, *c)),
            _ => Err(bad()),
        }
    }
}

/// A secret setting: never shown by `Debug` or `Display`, so a logged config leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl SettingValue for Secret {
    fn parse_setting(text: &str) -> Result<Self, String> {
        Ok(Secret(text.to_string()))
    }
}
