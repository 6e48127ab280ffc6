//! The ceiling grantd is measured against: the least an axum + SQLite server must do to
//! store and return a JSON document. `POST /items` inserts the posted document (plus an id and
//! timestamps, so a row is about as large as an assignment request) and answers 201 with it;
//! `GET /items/{id}` selects it and answers 200. SQLite is opened as grantd opens it: WAL,
//! `synchronous = FULL`, one writer connection, a pool of read-only readers, no ping before
//! each acquire. With `--database-url postgres://...` it uses PostgreSQL instead, with a pool
//! of the size grantd uses by default (16).
use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "ceiling", about = "Minimal axum + SQLite insert/select server (benchmark baseline)")]
struct Args {
    /// Loopback address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Directory for the SQLite file.
    #[arg(long)]
    data_dir: PathBuf,
    /// A PostgreSQL database to use instead of SQLite (`postgres://...`).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Clone)]
enum App {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

async fn open_pg(url: &str) -> anyhow::Result<App> {
    let pool = PgPoolOptions::new().max_connections(16).connect(url).await.context("connecting to PostgreSQL")?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS items (tenant_id UUID NOT NULL, id UUID NOT NULL, doc TEXT NOT NULL, \
         created_date_time TIMESTAMPTZ NOT NULL, PRIMARY KEY (tenant_id, id))",
    )
    .execute(&pool)
    .await?;
    Ok(App::Postgres(pool))
}

const TENANT: &str = "5e3ba5e5-0000-4000-8000-00000000d3e0";

async fn open(dir: &std::path::Path) -> anyhow::Result<App> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let url = format!("sqlite:{}", dir.join("ceiling.db").display());
    let opts = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let write =
        SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_with(opts.clone()).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS items (tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, \
         created_date_time TEXT NOT NULL, PRIMARY KEY (tenant_id, id))",
    )
    .execute(&write)
    .await?;
    let read = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(opts.read_only(true))
        .await?;
    Ok(App::Sqlite { read, write })
}

fn fail(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

async fn create(State(app): State<App>, Json(mut doc): Json<Value>) -> Response {
    let uuid_v4 = uuid::Uuid::new_v4();
    let id = uuid_v4.to_string();
    let now_t = chrono::Utc::now();
    let now = now_t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if let Value::Object(m) = &mut doc {
        m.insert("id".into(), Value::String(id.clone()));
        m.insert("state".into(), Value::String("submitted".into()));
        m.insert("status".into(), Value::String("Accepted".into()));
        m.insert("createdDateTime".into(), Value::String(now.clone()));
    }
    let text = doc.to_string();
    let r = match &app {
        App::Sqlite { write, .. } => {
            sqlx::query("INSERT INTO items (tenant_id, id, doc, created_date_time) VALUES (?, ?, ?, ?)")
                .bind(TENANT)
                .bind(&id)
                .bind(&text)
                .bind(&now)
                .execute(write)
                .await
                .map(|_| ())
        }
        App::Postgres(pool) => {
            sqlx::query("INSERT INTO items (tenant_id, id, doc, created_date_time) VALUES ($1, $2, $3, $4)")
                .bind(TENANT.parse::<uuid::Uuid>().unwrap_or_default())
                .bind(uuid_v4)
                .bind(&text)
                .bind(now_t)
                .execute(pool)
                .await
                .map(|_| ())
        }
    };
    match r {
        Ok(()) => (StatusCode::CREATED, Json(doc)).into_response(),
        Err(e) => fail(e),
    }
}

async fn read(State(app): State<App>, Path(id): Path<String>) -> Response {
    let r: Result<Option<(String,)>, _> = match &app {
        App::Sqlite { read, .. } => {
            sqlx::query_as("SELECT doc FROM items WHERE tenant_id = ? AND id = ?")
                .bind(TENANT)
                .bind(&id)
                .fetch_optional(read)
                .await
        }
        App::Postgres(pool) => {
            let Ok(id) = id.parse::<uuid::Uuid>() else { return StatusCode::NOT_FOUND.into_response() };
            sqlx::query_as("SELECT doc FROM items WHERE tenant_id = $1 AND id = $2")
                .bind(TENANT.parse::<uuid::Uuid>().unwrap_or_default())
                .bind(id)
                .fetch_optional(pool)
                .await
        }
    };
    match r {
        Ok(Some((doc,))) => match serde_json::from_str::<Value>(&doc) {
            Ok(v) => (StatusCode::OK, Json(v)).into_response(),
            Err(e) => fail(e),
        },
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => fail(e),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let app = match &args.database_url {
        Some(url) => open_pg(url).await?,
        None => open(&args.data_dir).await?,
    };
    let router = Router::new().route("/items", post(create)).route("/items/{id}", get(read)).with_state(app);
    let listener =
        tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        anyhow::bail!("the ceiling server listens on loopback only, not {addr}");
    }
    println!("ceiling listening on http://{addr}");
    axum::serve(listener, router).await?;
    Ok(())
}
