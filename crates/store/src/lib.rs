//! kewhats persistence. One [`Store`] over SQLite or PostgreSQL, picked by the database URL.
//!
//! Queries are written once in the SQL both dialects share (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`) and run through [`on_db!`], which expands the same code for either pool.
//! Times are Unix milliseconds (`BIGINT`) and ids `BIGINT`, so both backends bind the same
//! Rust types.

mod api_keys;
mod auto_replies;
mod automatic;
mod billing;
mod blasts;
mod chatbots;
mod chosen_outlets;
mod contact_import;
mod contacts;
mod db;
mod deliveries;
mod device_lock;
mod devices;
mod error;
mod integrations;
mod invoices;
mod messages;
mod metrics;
mod migrate;
mod outlet_status;
mod outlets;
mod paging;
mod sessions;
mod tags;
mod templates;
#[cfg(feature = "testing")]
pub mod testing;
mod users;
mod wa_keys;
mod webhooks;

pub use api_keys::{ApiKey, KeyHolder};
pub use auto_replies::{AutoReply, AutoReplyFields, AutoReplyWritten, NewAutoReply, AUTO_REPLY_ORIGIN};
pub use billing::{Allowance, PlanDetails, PlanFields, Subscription, Usage};
pub use blasts::{
    Audience, AudienceMember, Blast, BlastCounters, BlastMedia, BlastRecipient, BlastSchedule, BlastShare,
    ContactAudience, DraftChange, FileValues, Handed, Handoff, NewBlast, NewBlastMedia, NewSchedule, Pacing,
    PlannedRecipient, RecipientRows, RecipientValues, Recipients, ScheduleAdvance, PLAN_BATCH,
};
pub use chatbots::{
    Chatbot, ChatbotCounts, ChatbotFields, ChatbotSession, ChatbotTurn, ChatbotWritten, SessionState, CHATBOT_ORIGIN,
};
pub use contact_import::{
    merge, ExistingContact, ExportContact, ExportFilter, ImportApplied, ImportContact, Merge, MergedContact,
    IMPORT_BATCH,
};
pub use contacts::{Contact, ContactCounts, ContactFilter, ContactPatch, ContactTag, NewContact};
pub use db::{redact as redact_url, Backend, Store, StoreOptions};
pub use deliveries::{ClaimedDelivery, Delivery, DeliveryResult, ForwardAs, WebhookEvent};
pub use device_lock::DeviceLock;
pub use devices::{ConnectionEvent, Device, DeviceChange, NewDevice};
pub use error::{Refusal, StoreError, Taken};
pub use integrations::forwards::{ClaimedForward, Forward, ForwardResult};
pub use integrations::{Integration, IntegrationCount, IntegrationFields};
pub use invoices::{GatewaySettings, Invoice, Payment};
pub use messages::{Message, MessageFilter, NewInbound, NewMedia, NewOutgoing};
pub use metrics::PlatformGauges;
pub use outlet_status::OutletStatusRow;
pub use outlets::{NewOutlet, Outlet, OutletPatch};
pub use paging::{Page, Paged};
pub use sessions::{NewWebSession, WebSession};
pub use tags::Tag;
pub use templates::{MessageTemplate, NewTemplate, NewTemplateMedia, TemplateFilter, TemplateMedia, TemplatePatch};
pub use users::{NewUser, User, UserCredentials};
pub use webhooks::{Webhook, WebhookPatch};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
