/// What can go wrong in the store. Callers map `NotFound` and `Conflict` to 4xx; the rest is
/// an internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write: what is taken.
    #[error("{0}")]
    Conflict(Taken),
    /// A rule checked inside the write's transaction refused it.
    #[error("{0}")]
    Refused(Refusal),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: sqlx::Error },
    /// An applied migration's text is not what this build carries: someone edited a shipped
    /// migration instead of adding a new one.
    #[error(
        "migration {version} ({name}) was applied from a different text than this build carries; \
             add a new migration instead of editing an applied one"
    )]
    MigrationChanged { version: i64, name: &'static str },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A write that should have touched a row: `NotFound` when it touched none (a missing id, or
/// one outside the caller's scope).
pub(crate) fn touched(rows: u64) -> Result<(), StoreError> {
    if rows == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// What a unique constraint keeps to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Taken {
    #[error("a user with this e-mail already exists")]
    Email,
    #[error("this WhatsApp number is already used by another outlet")]
    WaNumber,
    #[error("this outlet already has a device")]
    OutletDevice,
    #[error("a contact with this WhatsApp number already exists")]
    ContactNumber,
    #[error("a tag with this name already exists")]
    TagName,
    #[error("a template with this name already exists")]
    TemplateName,
    #[error("an auto-reply rule with this name already exists")]
    AutoReplyName,
    #[error("a chatbot with this name already exists")]
    ChatbotName,
    #[error("an integration with this name already exists")]
    IntegrationName,
    #[error("the message was not written")]
    IdempotencyKey,
}

/// A rule the store checks inside a write's transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the webhook is inactive; turn it on to send a test event")]
    WebhookInactive,
    #[error("the integration is paused; turn it on to send a test")]
    IntegrationPaused,
    #[error("this delivery is still queued; it will be tried again by itself")]
    DeliveryQueued,
    #[error("this is the last active superadmin; promote another superadmin first")]
    LastSuperadmin,
    /// Another writer changed the device's status first.
    #[error("the device's status changed meanwhile")]
    StatusChanged,
    /// A blast planned in the database found no recipient.
    #[error("the blast has no recipients")]
    BlastWithoutRecipients,
    /// A blast planned in the database found more recipients than a blast may have.
    #[error("the blast has too many recipients")]
    BlastTooLarge,
    /// The owner's plan allows `max` of `limit`, and has no room for more.
    #[error("the {plan} plan allows {max} {limit}")]
    PlanLimit { limit: domain::Limit, plan: domain::Plan, max: i64 },
}

impl StoreError {
    /// Turns a unique violation into `Conflict(what)`, leaving other errors alone.
    pub(crate) fn conflict_as(self, what: Taken) -> StoreError {
        match &self {
            StoreError::Database(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                StoreError::Conflict(what)
            }
            _ => self,
        }
    }
}
