//! Outbound HTTP to addresses outside the process. Today the guarded client for tenant URLs
//! (webhooks, media); later the Telegram, Slack, Discord, SMTP and payment clients.

pub mod outbound;

pub use outbound::{describe, Outbound};
