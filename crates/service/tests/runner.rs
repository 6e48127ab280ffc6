//! The job runner against a real SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use grantd_domain::clock::OffsetClock;
use grantd_domain::{Clock, TenantId};
use grantd_service::{JobError, JobHandler, Runner, RunnerConfig};
use grantd_store::{Job, NewJob, Store};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

struct Flaky {
    runs: AtomicUsize,
    fail_first: usize,
}

#[async_trait]
impl JobHandler for Flaky {
    fn kind(&self) -> &'static str {
        "flaky"
    }
    async fn run(&self, _job: &Job) -> Result<(), JobError> {
        let n = self.runs.fetch_add(1, Ordering::SeqCst);
        if n < self.fail_first {
            Err(JobError::Retry("target unreachable".into()))
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_retryable_failure_runs_again_after_backoff_and_then_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("r.db").display())).await.unwrap();
    let clock = OffsetClock::default();
    let handler = Arc::new(Flaky { runs: AtomicUsize::new(0), fail_first: 2 });
    let runner = Runner::new(store.clone(), Arc::new(clock.clone()), RunnerConfig::default(), Arc::new(Notify::new()))
        .register(handler.clone());
    let t = TenantId::new();
    let subject = uuid::Uuid::now_v7();
    let job = NewJob { kind: "flaky".into(), subject, payload: serde_json::json!({}), run_at: clock.now() };
    store.enqueue_job(t, &job, clock.now()).await.unwrap();

    assert!(runner.run_once().await.unwrap());
    assert!(!runner.run_once().await.unwrap(), "backing off: not due yet");
    clock.advance(chrono::Duration::seconds(3));
    assert!(runner.run_once().await.unwrap());
    clock.advance(chrono::Duration::seconds(5));
    assert!(runner.run_once().await.unwrap());
    assert_eq!(handler.runs.load(Ordering::SeqCst), 3);
    assert!(store.jobs_of(t, subject).await.unwrap().is_empty(), "finished job deleted");
}

#[tokio::test]
async fn a_job_of_unknown_kind_is_parked_not_retried_forever() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("r.db").display())).await.unwrap();
    let clock = OffsetClock::default();
    let runner = Runner::new(store.clone(), Arc::new(clock.clone()), RunnerConfig::default(), Arc::new(Notify::new()));
    let t = TenantId::new();
    let subject = uuid::Uuid::now_v7();
    let job = NewJob { kind: "nobody".into(), subject, payload: serde_json::json!({}), run_at: clock.now() };
    store.enqueue_job(t, &job, clock.now()).await.unwrap();
    assert!(runner.run_once().await.unwrap());
    clock.advance(chrono::Duration::days(1));
    assert!(!runner.run_once().await.unwrap());
    assert_eq!(store.jobs_of(t, subject).await.unwrap().len(), 1);
}
