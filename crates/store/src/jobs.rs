//! The durable job queue. Jobs are written in the same transaction as the state change that
//! needs them (`enqueue` inside a unit of work), claimed with a lease so that a crashed runner's
//! job becomes claimable again when the lease ends, and deleted when done. PostgreSQL claims
//! with `FOR UPDATE SKIP LOCKED`, so many grantd instances share the queue; SQLite claims on its
//! single writer connection.
use crate::db::{Store, Tx};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use grantd_domain::TenantId;
use sea_query::{Alias, Expr, LockBehavior, LockType, Order, Query};
use uuid::Uuid;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    /// The object the job works on (a request id, an assignment id, ...).
    pub subject: Uuid,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub tenant: TenantId,
    pub id: Uuid,
    pub kind: String,
    pub subject: Uuid,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// Including this claim.
    pub attempts: i64,
}

/// A queued job as exported: everything needed to enqueue it again elsewhere.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedJob {
    pub id: Uuid,
    pub kind: String,
    pub subject: Uuid,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
}

/// The tenant's ready jobs (dead ones stay behind).
pub(crate) async fn export(tx: &mut Tx, tenant: TenantId) -> Result<Vec<ExportedJob>, StoreError> {
    let stmt = Query::select()
        .columns(["tenant_id", "id", "kind", "subject_id", "payload", "run_at", "attempts"].map(Alias::new))
        .from(Alias::new("jobs"))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("state").eq("ready"))
        .order_by(Alias::new("id"), Order::Asc)
        .to_owned();
    Ok(tx
        .fetch_jobs(&stmt)
        .await?
        .into_iter()
        .map(|j| ExportedJob {
            id: j.id,
            kind: j.kind,
            subject: j.subject,
            payload: j.payload,
            run_at: j.run_at,
            attempts: j.attempts,
        })
        .collect())
}

pub(crate) async fn import(tx: &mut Tx, tenant: TenantId, j: &ExportedJob) -> Result<(), StoreError> {
    let stmt = Query::insert()
        .into_table(Alias::new("jobs"))
        .columns(
            ["tenant_id", "id", "kind", "subject_id", "payload", "state", "run_at", "attempts", "created_date_time"]
                .map(Alias::new),
        )
        .values_panic([
            tenant.as_uuid().into(),
            j.id.into(),
            j.kind.clone().into(),
            j.subject.into(),
            j.payload.to_string().into(),
            "ready".into(),
            j.run_at.into(),
            j.attempts.into(),
            j.run_at.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

fn c(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn finish_statement(tenant: TenantId, id: Uuid) -> sea_query::DeleteStatement {
    Query::delete()
        .from_table(Alias::new("jobs"))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("id").eq(id))
        .to_owned()
}

pub(crate) async fn enqueue(
    tx: &mut Tx,
    tenant: TenantId,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let stmt = Query::insert()
        .into_table(Alias::new("jobs"))
        .columns(
            ["tenant_id", "id", "kind", "subject_id", "payload", "state", "run_at", "attempts", "created_date_time"]
                .map(Alias::new),
        )
        .values_panic([
            tenant.as_uuid().into(),
            id.into(),
            job.kind.clone().into(),
            job.subject.into(),
            job.payload.to_string().into(),
            "ready".into(),
            job.run_at.into(),
            0i64.into(),
            now.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(id)
}

impl Store {
    /// Enqueues a job on its own (outside a larger unit of work).
    pub async fn enqueue_job(&self, tenant: TenantId, job: &NewJob, now: DateTime<Utc>) -> Result<Uuid, StoreError> {
        let mut tx = self.write().await?;
        let id = enqueue(&mut tx, tenant, job, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the most overdue ready job whose lease (if any) has ended, leasing it to `worker`
    /// until `now + lease`.
    pub async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<Job>, StoreError> {
        self.finish_and_claim_job(None, worker, now, lease).await
    }

    /// Removes the finished job `done` (if any) and claims the next one, in one write
    /// transaction: a runner going from job to job pays one commit (one fsync) per job for
    /// the queue instead of two.
    pub async fn finish_and_claim_job(
        &self,
        done: Option<(TenantId, Uuid)>,
        worker: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<Job>, StoreError> {
        let mut tx = self.write().await?;
        if let Some((tenant, id)) = done {
            tx.execute(&finish_statement(tenant, id)).await?;
        }
        let mut select = Query::select();
        select
            .columns(["tenant_id", "id", "kind", "subject_id", "payload", "run_at", "attempts"].map(Alias::new))
            .from(Alias::new("jobs"))
            .and_where(c("state").eq("ready"))
            .and_where(c("run_at").lte(now))
            .cond_where(sea_query::Cond::any().add(c("locked_until").is_null()).add(c("locked_until").lt(now)))
            .order_by(Alias::new("run_at"), Order::Asc)
            .limit(1);
        if self.backend() == crate::Backend::Postgres {
            select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let Some(mut job) = tx.fetch_jobs(&select).await?.into_iter().next() else {
            tx.commit().await?;
            return Ok(None);
        };
        job.attempts += 1;
        let update = Query::update()
            .table(Alias::new("jobs"))
            .value(Alias::new("locked_until"), now + lease)
            .value(Alias::new("locked_by"), worker)
            .value(Alias::new("attempts"), job.attempts)
            .and_where(c("tenant_id").eq(job.tenant.as_uuid()))
            .and_where(c("id").eq(job.id))
            .to_owned();
        tx.execute(&update).await?;
        tx.commit().await?;
        Ok(Some(job))
    }

    /// Removes a finished job.
    pub async fn finish_job(&self, tenant: TenantId, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        tx.execute(&finish_statement(tenant, id)).await?;
        tx.commit().await
    }

    /// Releases a failed job to run again at `at`, or parks it as dead.
    pub async fn fail_job(
        &self,
        tenant: TenantId,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let mut stmt = Query::update();
        stmt.table(Alias::new("jobs"))
            .value(Alias::new("locked_until"), Option::<DateTime<Utc>>::None)
            .value(Alias::new("locked_by"), Option::<String>::None)
            .value(Alias::new("last_error"), error.chars().take(2000).collect::<String>())
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("id").eq(id));
        match retry_at {
            Some(at) => {
                stmt.value(Alias::new("run_at"), at);
            }
            None => {
                stmt.value(Alias::new("state"), "dead");
            }
        }
        tx.execute(&stmt).await?;
        tx.commit().await
    }

    /// When the next ready job is due (for a runner deciding how long to sleep).
    pub async fn next_job_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let stmt = Query::select()
            .columns(["tenant_id", "id", "kind", "subject_id", "payload", "run_at", "attempts"].map(Alias::new))
            .from(Alias::new("jobs"))
            .and_where(c("state").eq("ready"))
            .order_by(Alias::new("run_at"), Order::Asc)
            .limit(1)
            .to_owned();
        Ok(self.read_one().await?.fetch_jobs(&stmt).await?.into_iter().next().map(|j| j.run_at))
    }

    /// Jobs (ready or dead) about one subject, oldest first (for tests and diagnostics).
    pub async fn jobs_of(&self, tenant: TenantId, subject: Uuid) -> Result<Vec<Job>, StoreError> {
        let stmt = Query::select()
            .columns(["tenant_id", "id", "kind", "subject_id", "payload", "run_at", "attempts"].map(Alias::new))
            .from(Alias::new("jobs"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("subject_id").eq(subject))
            .order_by(Alias::new("id"), Order::Asc)
            .to_owned();
        self.read_one().await?.fetch_jobs(&stmt).await
    }
}
