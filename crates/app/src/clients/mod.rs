//! Requests to services outside the process: the guarded client for tenant URLs (webhooks,
//! media), the signed post of webhooks, and the channels integrations forward to (Telegram,
//! Discord, Slack, SMTP).

pub mod channels;
pub mod email;
pub mod midtrans;
pub mod outbound;
pub mod signed;

pub use outbound::{describe, excerpt, Outbound};
