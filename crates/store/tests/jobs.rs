//! The job queue on a real database (SQLite, or PostgreSQL when GRANTD_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, Utc};
use grantd_domain::TenantId;
use grantd_store::{NewJob, Store};
use sqlx::Connection;
use std::collections::HashSet;

struct Db {
    store: Store,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

async fn open() -> Db {
    let dir = tempfile::tempdir().unwrap();
    if let Ok(admin) = std::env::var("GRANTD_TEST_DATABASE_URL") {
        let name = format!("grantd_s_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let base = &admin[..admin.rfind('/').unwrap()];
        let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
        return Db { store, _dir: dir, pg: Some((admin, name)) };
    }
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    Db { store: Store::connect(&url).await.unwrap(), _dir: dir, pg: None }
}

impl Db {
    async fn close(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.pg {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
        }
    }
}

fn job(kind: &str, at: chrono::DateTime<Utc>) -> NewJob {
    NewJob { kind: kind.into(), subject: uuid::Uuid::now_v7(), payload: serde_json::json!({"k": kind}), run_at: at }
}

#[tokio::test]
async fn a_job_is_claimed_only_when_due_and_only_once_per_lease() {
    let db = open().await;
    let s = &db.store;
    let t = TenantId::new();
    let now = Utc::now();
    s.enqueue_job(t, &job("later", now + Duration::minutes(5)), now).await.unwrap();
    let id = s.enqueue_job(t, &job("now", now), now).await.unwrap();
    let j = s.claim_job("w1", now, Duration::seconds(30)).await.unwrap().unwrap();
    assert_eq!((j.id, j.kind.as_str(), j.attempts, j.tenant), (id, "now", 1, t));
    assert_eq!(j.payload, serde_json::json!({"k": "now"}));
    // Leased: nobody else gets it, and the later job is not due.
    assert!(s.claim_job("w2", now, Duration::seconds(30)).await.unwrap().is_none());
    // The lease ends (the runner crashed): it is claimable again.
    let again = s.claim_job("w2", now + Duration::seconds(31), Duration::seconds(30)).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (id, 2));
    s.finish_job(t, id).await.unwrap();
    assert!(s.jobs_of(t, j.subject).await.unwrap().is_empty());
    assert_eq!(s.next_job_due().await.unwrap().map(|d| d.timestamp()), Some((now + Duration::minutes(5)).timestamp()));
    db.close().await;
}

#[tokio::test]
async fn a_failed_job_retries_later_and_a_dead_job_is_parked() {
    let db = open().await;
    let s = &db.store;
    let t = TenantId::new();
    let now = Utc::now();
    let id = s.enqueue_job(t, &job("flaky", now), now).await.unwrap();
    let j = s.claim_job("w", now, Duration::seconds(30)).await.unwrap().unwrap();
    s.fail_job(t, id, "boom", Some(now + Duration::seconds(10))).await.unwrap();
    assert!(s.claim_job("w", now + Duration::seconds(5), Duration::seconds(30)).await.unwrap().is_none());
    let j2 = s.claim_job("w", now + Duration::seconds(11), Duration::seconds(30)).await.unwrap().unwrap();
    assert_eq!(j2.attempts, 2);
    s.fail_job(t, id, "boom again", None).await.unwrap();
    assert!(s.claim_job("w", now + Duration::days(1), Duration::seconds(30)).await.unwrap().is_none());
    assert_eq!(s.jobs_of(t, j.subject).await.unwrap().len(), 1, "dead job kept for inspection");
    db.close().await;
}

#[tokio::test]
async fn concurrent_claimers_never_share_a_job() {
    let db = open().await;
    let s = db.store.clone();
    let t = TenantId::new();
    let now = Utc::now();
    for i in 0..60 {
        s.enqueue_job(t, &job(&format!("j{i}"), now), now).await.unwrap();
    }
    let mut handles = Vec::new();
    for w in 0..6 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = s.claim_job(&format!("w{w}"), now, Duration::minutes(5)).await.unwrap() {
                got.push(j.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 60);
    assert_eq!(unique.len(), 60);
    db.close().await;
}
