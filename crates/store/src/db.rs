//! Connections and transactions for the two backends, and the few primitive operations
//! (execute, fetch text column, fetch count) that every query goes through. A statement is
//! built once with sea-query and rendered here for SQLite or PostgreSQL.
use crate::error::StoreError;
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_binder::SqlxBinder;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, Postgres};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Pool and timeout settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// PostgreSQL pool size; SQLite read connections.
    pub max_connections: u32,
    /// How long start-up waits for PostgreSQL to accept connections.
    pub connect_timeout: Duration,
    /// PostgreSQL `statement_timeout` (None: the server's default).
    pub statement_timeout: Option<Duration>,
    /// How long a caller's groups and roles are reused (access.rs); zero disables the cache.
    pub access_cache_ttl: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout: Duration::from_secs(30),
            statement_timeout: Some(Duration::from_secs(30)),
            access_cache_ttl: Duration::from_secs(5),
        }
    }
}

/// Connection failures worth waiting out at start-up (the server is not up yet).
fn is_unreachable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
        || matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("57P03"))
}

#[derive(Clone)]
enum Pools {
    /// SQLite: many readers, one writer (WAL lets readers run beside it; one writer avoids
    /// SQLITE_BUSY upgrades).
    Sqlite {
        read: sqlx::SqlitePool,
        write: sqlx::SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

/// The store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    access: std::sync::Arc<crate::access::AccessCache>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend())
    }
}

/// A transaction, or (for a read of one statement, which is atomic on its own) a bare pooled
/// connection: `BEGIN` and `ROLLBACK` are two extra round trips to the database (on SQLite,
/// to sqlx's per-connection worker thread) that a single `SELECT` does not need.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
    SqliteConn(PoolConnection<Sqlite>),
    PostgresConn(PoolConnection<Postgres>),
}

/// Runs `$body` with `$q` rendered for the right backend and `$conn` the executor.
macro_rules! dispatch {
    ($self:expr, $stmt:expr, |$sql:ident, $vals:ident, $conn:ident| $body:expr) => {
        match $self {
            Tx::Sqlite(tx) => {
                let ($sql, $vals) = $stmt.build_sqlx(SqliteQueryBuilder);
                let $conn = &mut **tx;
                $body
            }
            Tx::Postgres(tx) => {
                let ($sql, $vals) = $stmt.build_sqlx(PostgresQueryBuilder);
                let $conn = &mut **tx;
                $body
            }
            Tx::SqliteConn(c) => {
                let ($sql, $vals) = $stmt.build_sqlx(SqliteQueryBuilder);
                let $conn = &mut **c;
                $body
            }
            Tx::PostgresConn(c) => {
                let ($sql, $vals) = $stmt.build_sqlx(PostgresQueryBuilder);
                let $conn = &mut **c;
                $body
            }
        }
    };
}

impl Tx {
    pub(crate) async fn execute<S: SqlxBinder>(&mut self, stmt: &S) -> Result<u64, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            sqlx::query_with(&sql, vals).execute(conn).await.map(|r| r.rows_affected()).map_err(StoreError::from_sqlx)
        })
    }

    /// Fetches the first column of every row as text (the `doc` column, or an id as text).
    pub(crate) async fn fetch_text<S: SqlxBinder>(&mut self, stmt: &S) -> Result<Vec<String>, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            let rows = sqlx::query_with(&sql, vals).fetch_all(conn).await.map_err(StoreError::from_sqlx)?;
            rows.iter().map(|r| r.try_get::<String, _>(0).map_err(StoreError::from_sqlx)).collect()
        })
    }

    /// Fetches the first column of every row as a UUID.
    pub(crate) async fn fetch_uuids<S: SqlxBinder>(&mut self, stmt: &S) -> Result<Vec<uuid::Uuid>, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            let rows = sqlx::query_with(&sql, vals).fetch_all(conn).await.map_err(StoreError::from_sqlx)?;
            rows.iter().map(|r| r.try_get::<uuid::Uuid, _>(0).map_err(StoreError::from_sqlx)).collect()
        })
    }

    /// Fetches job rows: tenant_id, id, kind, subject_id, payload, run_at, attempts.
    pub(crate) async fn fetch_jobs<S: SqlxBinder>(&mut self, stmt: &S) -> Result<Vec<crate::jobs::Job>, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            let rows = sqlx::query_with(&sql, vals).fetch_all(conn).await.map_err(StoreError::from_sqlx)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let payload: String = r.try_get(4).map_err(StoreError::from_sqlx)?;
                out.push(crate::jobs::Job {
                    tenant: grantd_domain::TenantId(r.try_get(0).map_err(StoreError::from_sqlx)?),
                    id: r.try_get(1).map_err(StoreError::from_sqlx)?,
                    kind: r.try_get(2).map_err(StoreError::from_sqlx)?,
                    subject: r.try_get(3).map_err(StoreError::from_sqlx)?,
                    payload: serde_json::from_str(&payload)?,
                    run_at: r.try_get(5).map_err(StoreError::from_sqlx)?,
                    attempts: r.try_get(6).map_err(StoreError::from_sqlx)?,
                });
            }
            Ok(out)
        })
    }

    /// Fetches audit rows: id, at, actor, action, object_type, object_id, detail.
    pub(crate) async fn fetch_audit<S: SqlxBinder>(
        &mut self,
        stmt: &S,
    ) -> Result<Vec<crate::transfer::ExportedAudit>, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            let rows = sqlx::query_with(&sql, vals).fetch_all(conn).await.map_err(StoreError::from_sqlx)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(crate::transfer::ExportedAudit {
                    id: r.try_get(0).map_err(StoreError::from_sqlx)?,
                    at: r.try_get(1).map_err(StoreError::from_sqlx)?,
                    actor: r.try_get(2).map_err(StoreError::from_sqlx)?,
                    action: r.try_get(3).map_err(StoreError::from_sqlx)?,
                    object_type: r.try_get(4).map_err(StoreError::from_sqlx)?,
                    object_id: r.try_get(5).map_err(StoreError::from_sqlx)?,
                    detail: r.try_get(6).map_err(StoreError::from_sqlx)?,
                });
            }
            Ok(out)
        })
    }

    /// Fetches the first two columns of every row as UUIDs.
    pub(crate) async fn fetch_uuid_pairs<S: SqlxBinder>(
        &mut self,
        stmt: &S,
    ) -> Result<Vec<(uuid::Uuid, uuid::Uuid)>, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            let rows = sqlx::query_with(&sql, vals).fetch_all(conn).await.map_err(StoreError::from_sqlx)?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<uuid::Uuid, _>(0).map_err(StoreError::from_sqlx)?,
                        r.try_get::<uuid::Uuid, _>(1).map_err(StoreError::from_sqlx)?,
                    ))
                })
                .collect()
        })
    }

    /// Fetches one integer (a COUNT).
    pub(crate) async fn fetch_i64<S: SqlxBinder>(&mut self, stmt: &S) -> Result<i64, StoreError> {
        dispatch!(self, stmt, |sql, vals, conn| {
            let row = sqlx::query_with(&sql, vals).fetch_one(conn).await.map_err(StoreError::from_sqlx)?;
            row.try_get::<i64, _>(0).map_err(StoreError::from_sqlx)
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await.map_err(StoreError::from_sqlx),
            Tx::Postgres(tx) => tx.commit().await.map_err(StoreError::from_sqlx),
            Tx::SqliteConn(_) | Tx::PostgresConn(_) => Ok(()),
        }
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite:PATH` or `postgres://...`) and runs the
    /// embedded migrations of that backend.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// Opens the database with explicit pool settings. PostgreSQL is retried until
    /// `connect_timeout` passes (a database that starts after grantd is waited for), then the
    /// last error is returned.
    pub async fn connect_with(url: &str, o: &StoreOptions) -> Result<Store, StoreError> {
        let pools = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut opts = PgConnectOptions::from_str(url)?;
            if let Some(t) = o.statement_timeout {
                opts = opts.options([("statement_timeout", format!("{}", t.as_millis()))]);
            }
            let deadline = std::time::Instant::now() + o.connect_timeout;
            let pool = loop {
                match PgPoolOptions::new()
                    .max_connections(o.max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts.clone())
                    .await
                {
                    Ok(p) => break p,
                    Err(e) if std::time::Instant::now() < deadline && is_unreachable(&e) => {
                        tracing::warn!(error = %e, "PostgreSQL is not reachable yet; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Pools::Postgres(pool)
        } else {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // No ping before each acquire (sqlx's default): a local file connection cannot have
            // gone away, and the ping is one more round trip to the connection's worker thread.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(opts.clone())
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&write).await?;
            // Fresh statistics for the query planner (cheap: bounded by analysis_limit).
            sqlx::query("PRAGMA analysis_limit = 1000").execute(&write).await?;
            sqlx::query("PRAGMA optimize = 0x10002").execute(&write).await?;
            // And again every hour, as SQLite advises for long-lived connections (tables grow
            // from empty after start-up). Ends when the store is closed.
            let w = write.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(3600));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if w.is_closed() {
                        break;
                    }
                    if let Err(e) = sqlx::query("PRAGMA optimize").execute(&w).await {
                        tracing::warn!(error = %e, "PRAGMA optimize failed");
                    }
                }
            });
            let read = SqlitePoolOptions::new()
                .max_connections(o.max_connections.clamp(1, 64))
                .test_before_acquire(false)
                .connect_with(opts.read_only(true))
                .await?;
            Pools::Sqlite { read, write }
        };
        Ok(Store { pools, access: std::sync::Arc::new(crate::access::AccessCache::new(o.access_cache_ttl)) })
    }

    pub(crate) fn access_cache(&self) -> &crate::access::AccessCache {
        &self.access
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// A transaction for writing (on SQLite: on the single writer connection).
    pub(crate) async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Pools::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for reading a consistent snapshot.
    pub(crate) async fn read(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { read, .. } => Tx::Sqlite(read.begin().await?),
            Pools::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A connection for a read of a single statement (no transaction needed).
    pub(crate) async fn read_one(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { read, .. } => Tx::SqliteConn(read.acquire().await?),
            Pools::Postgres(p) => Tx::PostgresConn(p.acquire().await?),
        })
    }

    /// The connection for a list: a transaction when it also counts (two statements that must
    /// see the same rows), otherwise a bare connection.
    pub(crate) async fn read_for(&self, q: &crate::record::ListQuery) -> Result<Tx, StoreError> {
        if q.count && !q.count_only {
            self.read().await
        } else {
            self.read_one().await
        }
    }

    /// Closes all connections (used on shutdown so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }

    /// Checks that the database answers (for `/health`).
    pub async fn ping(&self) -> bool {
        match &self.pools {
            Pools::Sqlite { read, .. } => sqlx::query("SELECT 1").execute(read).await.is_ok(),
            Pools::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.is_ok(),
        }
    }
}
