//! StoreError: what the persistence layer reports. Database detail stays in the log.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key already exists (duplicate name, duplicate membership, ...).
    #[error("duplicate key")]
    Duplicate,
    /// The row changed since it was read (optimistic concurrency).
    #[error("concurrent modification")]
    Concurrent,
    /// No connection could be had in time.
    #[error("database busy")]
    Busy,
    /// Reading or writing an export file failed, or its content is not an export.
    #[error("export/import: {0}")]
    Io(String),
    #[error("invalid cursor")]
    BadCursor,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored document could not be read: {0}")]
    Decode(#[from] serde_json::Error),
}

impl StoreError {
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return StoreError::Busy;
        }
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return StoreError::Duplicate;
            }
        }
        StoreError::Db(e)
    }
}
