/// What can go wrong in the store. Callers map `NotFound` and `Conflict` to 4xx; the rest is
/// an internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the text names what is taken.
    #[error("{0}")]
    Conflict(String),
    /// A rule checked inside the write's transaction refused it.
    #[error("{0}")]
    Refused(String),
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

impl StoreError {
    /// Turns a unique violation into `Conflict(what)`, leaving other errors alone.
    pub(crate) fn conflict_as(self, what: &str) -> StoreError {
        match &self {
            StoreError::Database(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                StoreError::Conflict(what.to_string())
            }
            _ => self,
        }
    }
}
