//! The job runner: claims due jobs from the store with a lease, dispatches each to the handler
//! registered for its kind, deletes it on success (in the same transaction as the next claim),
//! and retries with exponential backoff and jitter (parking it as dead after `max_attempts`).
//! Handlers must be idempotent: a job whose runner died runs
//! again when its lease ends. Any number of runners (in one process or many) can share a queue.
use async_trait::async_trait;
use chrono::Duration;
use grantd_domain::{Clock, TenantId};
use grantd_store::{AuditEntry, Followups, Job, Store};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again later (a target system was unreachable, a conflict, ...).
    #[error("retryable: {0}")]
    Retry(String),
    /// Retrying cannot help (the job names something that no longer exists, ...).
    #[error("fatal: {0}")]
    Fatal(String),
}

#[async_trait]
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> &'static str;
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub worker_id: String,
    pub lease: Duration,
    pub max_attempts: i64,
    /// Longest sleep between polls when nothing is due (new jobs also wake the runner).
    pub idle_poll: std::time::Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("grantd-{}", uuid::Uuid::new_v4()),
            lease: Duration::seconds(60),
            max_attempts: 10,
            idle_poll: std::time::Duration::from_secs(1),
        }
    }
}

pub struct Runner {
    store: Store,
    clock: Arc<dyn Clock>,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    cfg: RunnerConfig,
    wake: Arc<Notify>,
}

/// Delay before attempt `n + 1` after `n` failures: 2^n seconds, at most one hour.
pub fn backoff(attempts: i64) -> Duration {
    Duration::seconds(1i64 << attempts.clamp(0, 12)).min(Duration::hours(1))
}

/// `backoff` plus up to a quarter more at random, so that jobs failing together (a target
/// that went down) do not all come back at the same moment.
pub fn backoff_with_jitter(attempts: i64) -> Duration {
    use rand::Rng;
    let base = backoff(attempts);
    let spread = base.num_milliseconds() / 4;
    base + Duration::milliseconds(rand::thread_rng().gen_range(0..=spread.max(0)))
}

impl Runner {
    pub fn new(store: Store, clock: Arc<dyn Clock>, cfg: RunnerConfig, wake: Arc<Notify>) -> Self {
        Self { store, clock, handlers: HashMap::new(), cfg, wake }
    }

    pub fn register(mut self, h: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(h.kind(), h);
        self
    }

    /// Claims and runs one due job. Returns whether there was one.
    pub async fn run_once(&self) -> Result<bool, grantd_store::StoreError> {
        let mut done = None;
        let ran = self.step(&mut done).await?;
        if let Some((tenant, id)) = done {
            self.store.finish_job(tenant, id).await?;
        }
        Ok(ran)
    }

    /// Removes `done` (the job that last succeeded) and claims the next due job in one write
    /// transaction, then runs it; leaves it in `done` when it succeeded. `done` is cleared
    /// only once its removal committed (a job whose removal is lost runs again, as after a
    /// crash: handlers are idempotent).
    async fn step(&self, done: &mut Option<(TenantId, Uuid)>) -> Result<bool, grantd_store::StoreError> {
        let now = self.clock.now();
        let claimed = self.store.finish_and_claim_job(*done, &self.cfg.worker_id, now, self.cfg.lease).await?;
        *done = None;
        let Some(job) = claimed else {
            return Ok(false);
        };
        let result = match self.handlers.get(job.kind.as_str()) {
            Some(h) => h.run(&job).await,
            None => Err(JobError::Fatal(format!("no handler for job kind '{}'", job.kind))),
        };
        match result {
            Ok(()) => *done = Some((job.tenant, job.id)),
            Err(JobError::Retry(e)) if job.attempts < self.cfg.max_attempts => {
                tracing::warn!(kind = %job.kind, job = %job.id, attempts = job.attempts, error = %e, "job failed; will retry");
                let at = self.clock.now() + backoff_with_jitter(job.attempts);
                self.store.fail_job(job.tenant, job.id, &e, Some(at)).await?;
            }
            Err(e) => {
                tracing::error!(kind = %job.kind, job = %job.id, attempts = job.attempts, error = %e, "job parked as dead");
                self.store.fail_job(job.tenant, job.id, &e.to_string(), None).await?;
                // Visible on the subject's audit trail, not only in the logs.
                let audit = AuditEntry {
                    at: self.clock.now(),
                    actor: "grantd".into(),
                    action: "job.dead".into(),
                    object_type: "job",
                    object_id: job.subject,
                    detail: format!("{} after {} attempt(s): {e}", job.kind, job.attempts),
                };
                let f = Followups { audit: vec![audit], ..Followups::default() };
                self.store.enqueue_with(job.tenant, &f, self.clock.now()).await?;
            }
        }
        Ok(true)
    }

    /// Runs until `shutdown` turns true. Drains due jobs, then sleeps until woken, the next job
    /// is due, or `idle_poll` passes.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut done = None;
        loop {
            if *shutdown.borrow() {
                if let Some((tenant, id)) = done {
                    if let Err(e) = self.store.finish_job(tenant, id).await {
                        tracing::warn!(error = %e, "job runner could not remove a finished job; it will run again");
                    }
                }
                return;
            }
            match self.step(&mut done).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "job runner could not reach the store"),
            }
            let sleep = match self.store.next_job_due().await {
                Ok(Some(at)) => (at - self.clock.now()).to_std().unwrap_or_default().min(self.cfg.idle_poll),
                _ => self.cfg.idle_poll,
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0), Duration::seconds(1));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(40), Duration::hours(1));
    }

    #[test]
    fn jitter_adds_at_most_a_quarter() {
        for n in 0..14 {
            let d = backoff_with_jitter(n);
            assert!(d >= backoff(n) && d <= backoff(n) + backoff(n) / 4, "{n}: {d}");
        }
    }
}
