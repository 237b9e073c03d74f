//! The domain's refusals as [`Text`]s: the domain stays free of languages, its error enums say
//! what is wrong, and here each becomes a catalogue message (`errors.ftl`).

use super::Text;
use domain::policy::{Capability, Denied};
use domain::{EmailError, LabelError, PhoneError, TemplateError, TemplateErrorKind, UrlError, WeakPassword};

impl From<&PhoneError> for Text {
    fn from(e: &PhoneError) -> Text {
        match e {
            PhoneError::Empty => Text::new("error-phone-empty"),
            PhoneError::InvalidCharacter(c) => Text::new("error-phone-invalid-character").arg("character", c),
            PhoneError::MissingCountryCode => Text::new("error-phone-country-code"),
            PhoneError::TooShort(n) => Text::new("error-phone-too-short").arg("digits", n),
            PhoneError::TooLong(n) => Text::new("error-phone-too-long").arg("digits", n),
            PhoneError::ZeroCountryCode => Text::new("error-phone-zero-country-code"),
            PhoneError::NotIndonesianMobile => Text::new("error-phone-not-mobile"),
            PhoneError::IndonesianLength(n) => Text::new("error-phone-indonesian-length").arg("digits", n),
            PhoneError::NotValidForCountry => Text::new("error-phone-not-valid-for-country"),
        }
    }
}

impl From<&WeakPassword> for Text {
    fn from(e: &WeakPassword) -> Text {
        match e {
            WeakPassword::Empty => Text::new("error-password-empty"),
            WeakPassword::TooShort { min, got } => {
                Text::new("error-password-too-short").arg("min", min).arg("got", got)
            }
            WeakPassword::TooLong { max } => Text::new("error-password-too-long").arg("max", max),
            WeakPassword::Common => Text::new("error-password-common"),
            WeakPassword::ContainsEmail => Text::new("error-password-contains-email"),
            WeakPassword::Repetitive { min } => Text::new("error-password-repetitive").arg("min", min),
        }
    }
}

impl From<EmailError> for Text {
    fn from(e: EmailError) -> Text {
        Text::new(match e {
            EmailError::Required => "error-email-required",
            EmailError::TooLong => "error-email-too-long",
            EmailError::Malformed => "error-email-malformed",
        })
    }
}

impl From<&UrlError> for Text {
    fn from(e: &UrlError) -> Text {
        match e {
            UrlError::Required => Text::new("error-url-required"),
            UrlError::TooLong => Text::new("error-url-too-long").arg("max", domain::MAX_URL_LEN),
            UrlError::Invalid(detail) => Text::new("error-url-invalid").arg("detail", detail),
            UrlError::Scheme => Text::new("error-url-scheme"),
            UrlError::Credentials => Text::new("error-url-credentials"),
            UrlError::NoHost => Text::new("error-url-no-host"),
            UrlError::Private => Text::new("error-url-private"),
        }
    }
}

/// A refused template body: where (line and column) and what is wrong there.
impl From<&TemplateError> for Text {
    fn from(e: &TemplateError) -> Text {
        let problem = match &e.kind {
            TemplateErrorKind::Empty => Text::new("error-template-empty"),
            TemplateErrorKind::TooLong { max } => Text::new("error-template-too-long").arg("max", max),
            TemplateErrorKind::Unclosed => Text::new("error-template-unclosed"),
            TemplateErrorKind::EmptyVariable => Text::new("error-template-empty-variable"),
            TemplateErrorKind::BadVariable(name) => Text::new("error-template-bad-variable").arg("name", name),
            TemplateErrorKind::UnknownVariable(name) => Text::new("error-template-unknown-variable").arg("name", name),
            TemplateErrorKind::EmptyAlternative => Text::new("error-template-empty-alternative"),
        };
        Text::new("error-template-at").arg("line", e.line).arg("column", e.column).arg_text("problem", problem)
    }
}

/// A refused label; `field` is the catalogue key of the field's name (e.g. `field-outlet-name`).
pub fn label(field: &'static str, e: LabelError) -> Text {
    let field = Text::new(field);
    match e {
        LabelError::Required => Text::new("error-label-required").arg_text("field", field),
        LabelError::TooLong { max } => Text::new("error-label-too-long").arg_text("field", field).arg("max", max),
        LabelError::ControlCharacters => Text::new("error-label-control").arg_text("field", field),
    }
}

impl From<&Denied> for Text {
    fn from(d: &Denied) -> Text {
        Text::new(match d {
            Denied::Missing(Capability::UseWhatsApp | Capability::ActOnAllTenants) => "error-role-no-whatsapp",
            Denied::Missing(Capability::ViewPlatformAggregates) => "error-role-no-aggregates",
            Denied::Missing(Capability::ManageUsers) => "error-role-no-users",
            Denied::Missing(Capability::ManageStaff) => "error-role-no-staff",
            Denied::Missing(Capability::EditOwnProfile) => "error-role-no-profile",
            Denied::Missing(Capability::ManageBilling) => "error-role-no-billing",
            Denied::DisableSelf => "error-disable-self",
            Denied::LastSuperadmin => "error-last-superadmin",
        })
    }
}

impl From<store::Taken> for Text {
    fn from(t: store::Taken) -> Text {
        Text::new(match t {
            store::Taken::Email => "error-taken-email",
            store::Taken::WaNumber => "error-taken-wa-number",
            store::Taken::OutletDevice => "error-taken-device",
            store::Taken::ContactNumber => "error-taken-contact",
            store::Taken::TagName => "error-taken-tag",
            store::Taken::TemplateName => "error-taken-template-name",
            store::Taken::AutoReplyName => "error-taken-auto-reply-name",
            store::Taken::ChatbotName => "error-taken-chatbot-name",
            store::Taken::IntegrationName => "error-taken-integration-name",
            store::Taken::IdempotencyKey => "error-taken-idempotency-key",
        })
    }
}

impl From<&store::Refusal> for Text {
    fn from(r: &store::Refusal) -> Text {
        Text::new(match r {
            store::Refusal::WebhookInactive => "error-webhook-inactive",
            store::Refusal::IntegrationPaused => "error-integration-paused",
            store::Refusal::DeliveryQueued => "error-delivery-queued",
            store::Refusal::LastSuperadmin => "error-last-superadmin",
            store::Refusal::StatusChanged => "error-status-changed",
            store::Refusal::BlastWithoutRecipients => "error-blast-no-recipients",
            store::Refusal::BlastTooLarge => {
                return Text::new("error-blast-too-many").arg("max", crate::services::blasts::MAX_RECIPIENTS)
            }
            store::Refusal::PlanLimit { limit, plan, max } => return plan_limit(*limit, *plan, *max),
        })
    }
}

/// "Your Free plan allows 1 outlet…": the limit, the plan and where to upgrade.
pub fn plan_limit(limit: domain::Limit, plan: domain::Plan, max: i64) -> Text {
    let key = if limit == domain::Limit::Messages { "error-plan-limit-messages" } else { "error-plan-limit" };
    Text::new(key).arg("plan", plan_name(plan)).arg("max", max).arg_text("what", Text::new(limit_key(limit)))
}

fn plan_name(plan: domain::Plan) -> &'static str {
    match plan {
        domain::Plan::Free => "Free",
        domain::Plan::Pro => "Pro",
        domain::Plan::Enterprise => "Enterprise",
        domain::Plan::Unlimited => "Unlimited",
    }
}

fn limit_key(limit: domain::Limit) -> &'static str {
    match limit {
        domain::Limit::Messages => "limit-messages",
        domain::Limit::Outlets => "limit-outlets",
        domain::Limit::AutoReplies => "limit-auto-replies",
        domain::Limit::Chatbots => "limit-chatbots",
        domain::Limit::Contacts => "limit-contacts",
        domain::Limit::Templates => "limit-templates",
        domain::Limit::ApiKeys => "limit-api-keys",
        domain::Limit::Webhooks => "limit-webhooks",
        domain::Limit::Integrations => "limit-integrations",
    }
}
