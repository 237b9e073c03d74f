//! The rules of each feature, called by the HTTP handlers, the pages, the CLI and the workers.
//! A service takes the acting [`domain::Actor`] where access depends on it, asks the policy,
//! and returns a [`crate::ServiceError`]; it knows nothing of HTTP.

pub mod accounts;
pub mod api_keys;
pub mod auto_replies;
pub mod automations;
pub mod billing;
pub mod blasts;
pub mod chatbots;
pub mod contact_import;
pub mod contacts;
pub mod dashboard;
pub mod devices;
pub mod events;
pub mod integrations;
pub mod login_limiter;
pub mod media;
pub mod messages;
pub mod metrics;
pub mod outlet_status;
pub mod outlets;
pub mod payments;
pub mod sandbox;
pub mod tags;
pub mod templates;
pub mod webhook_deliveries;
pub mod webhooks;

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`: tells a
/// field sent as `null` (`Some(None)`) from one left out (`None`).
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}
