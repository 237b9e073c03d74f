//! kewhats domain: the types every layer shares and the access policy. No IO lives here.

mod auto_reply;
mod billing;
mod blast;
pub mod chatbot;
mod clock;
mod device;
mod email;
mod ids;
mod integration;
mod password;
mod phone;
pub mod policy;
mod role;
mod tag;
mod template;
mod webhook_event;
mod webhook_url;

pub use auto_reply::{fold, BusinessHours, MatchType, Matcher, TriggerError, REGEX_SIZE_LIMIT, TRIGGER_MAX_CHARS};
pub use billing::{
    add_months, effective_plan, quota_month_start, BillingCycle, Gateway, InvoiceStatus, Limit, PlanLimits,
    SubscriptionStatus,
};
pub use blast::{
    blast_sources, check_blast_transition, local_day, next_local_midnight, share_eta, utc_offset_secs, BlastStatus,
    ImpossibleBlastTransition, RecipientStatus, Recurrence, SendWindow, ShareWork, DAY_MINUTES,
};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use device::{check_transition, Backoff, DeviceStatus, EngineKind, ImpossibleTransition};
pub use email::{Email, EmailError};
pub use ids::{DeviceId, OutletId, UserId};
pub use integration::{retry_after_secs, ForwardEvent, ForwardOutcome, IntegrationKind, SmtpTls};
pub use password::{check_password_strength, WeakPassword};
pub use phone::{PhoneError, PhoneNumber};
pub use role::{Plan, Role, UnknownValue};
pub use tag::{TagColor, TAG_NAME_MAX};
pub use webhook_event::{AttemptOutcome, DeliveryStatus, EventKind};
pub use webhook_url::{is_private, UrlError, WebhookUrl, MAX_URL_LEN};
mod label;
mod locale;
mod message;
mod money;
pub mod opt_out;

pub use label::{Label, LabelError};
pub use locale::{parse_time_zone, Language, LanguageChoice, UnknownTimeZone, TIME_ZONES};
pub use message::{Direction, MediaKind, MessageStatus};
pub use money::Rupiah;
pub use policy::{Actor, Scope};
pub use template::{
    long_date, CaptionMode, Template, TemplateCategory, TemplateError, TemplateErrorKind, BUILTIN_VARIABLES,
    MAX_TEMPLATE_CHARS,
};
