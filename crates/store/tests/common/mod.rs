//! Shared set-up for the store conformance tests: a fresh store on SQLite (a temporary file) or,
//! when GRANTD_TEST_DATABASE_URL names a PostgreSQL server, on a new database dropped afterwards.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd_store::Store;

/// A fresh store and, for PostgreSQL, (admin url, database name) to drop afterwards.
pub async fn fresh() -> (Store, tempfile::TempDir, Option<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    if let Ok(admin) = std::env::var("GRANTD_TEST_DATABASE_URL") {
        if admin.starts_with("postgres") {
            use sqlx::Connection;
            let name = format!("grantd_s_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
            let (base, rest) = admin.split_at(admin.rfind('/').unwrap());
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            let store = Store::connect(&format!("{base}/{name}{query}")).await.unwrap();
            return (store, dir, Some((admin, name)));
        }
    }
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    (Store::connect(&url).await.unwrap(), dir, None)
}

/// Closes the store and drops its PostgreSQL database, if any.
pub async fn finish(store: Store, pg: Option<(String, String)>) {
    store.close().await;
    if let Some((admin, name)) = pg {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
    }
}
