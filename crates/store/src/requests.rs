//! Assignment requests as units of work: a submission writes the request, its first jobs, its
//! approvers and its audit rows in one transaction (a second open request for the same target
//! and package fails on the partial unique index, race-proof on both backends); an update
//! checks and bumps `version` (optimistic concurrency) and writes jobs and audit with it; a
//! delivery writes the group memberships, the assignment and the request's transition at once.
//! Nothing here decides a transition: the service asks the domain and hands over the result.
use crate::db::{Store, Tx};
use crate::error::StoreError;
use crate::filter_sql::operand;
use crate::jobs::{enqueue, NewJob};
use crate::record::{self, ListQuery, Page, Record};
use chrono::{DateTime, Utc};
use grantd_domain::assignment::Assignment;
use grantd_domain::directory::User;
use grantd_domain::filter::Value;
use grantd_domain::request::AssignmentRequest;
use grantd_domain::{AssignmentRequestId, ObjectId, TenantId};
use sea_query::{Alias, Expr, OnConflict, Query};
use uuid::Uuid;

fn opt_uuid(v: Option<Uuid>) -> Value {
    v.map(Value::Uuid).unwrap_or(Value::Null)
}

impl Record for AssignmentRequest {
    const TABLE: &'static str = "assignment_requests";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("request_type", Value::Text(self.request_type.v1().to_string())),
            ("state", Value::Text(self.state.v1().to_string())),
            ("status", Value::Text(self.status.v1().to_string())),
            ("access_package_id", Value::Uuid(self.access_package_id.0)),
            ("assignment_policy_id", Value::Uuid(self.assignment_policy_id.0)),
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("target_id", Value::Uuid(self.target_id.0)),
            ("requestor_id", opt_uuid(self.requestor_id.map(|i| i.0))),
            ("assignment_id", opt_uuid(self.assignment_id.map(|i| i.0))),
            ("is_open", Value::Bool(self.is_open())),
            ("created_date_time", Value::DateTime(self.created_date_time)),
            ("completed_date_time", self.completed_date_time.map(Value::DateTime).unwrap_or(Value::Null)),
            ("version", Value::Int(self.version)),
        ]
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub detail: String,
}

/// Why approvers were asked to decide (what a notice to them says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskReason {
    /// A stage started and asks its primary approvers.
    StageStarted,
    /// A stage started and its primary approvers resolved to nobody: the fallback ones.
    Fallback,
    /// The escalation time passed: the escalation approvers were added.
    Escalated,
}

/// Approvers newly asked to decide on a request's approval stage (`stage` counts from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub reason: AskReason,
    pub stage: usize,
    pub approvers: Vec<ObjectId>,
}

/// What a change of a request writes besides the request itself.
#[derive(Debug, Clone, Default)]
pub struct Followups {
    pub jobs: Vec<NewJob>,
    /// Replace the request's approvers (Some(empty) clears them): everyone who may decide on
    /// the stage in progress, for `filterByCurrentUser(on='approver')` and read access.
    pub approvers: Option<Vec<ObjectId>>,
    pub audit: Vec<AuditEntry>,
    /// Who was newly asked to decide in this change, and why. Not stored by itself: notices
    /// to approvers are derived from it (as jobs added to `jobs`).
    pub asked: Vec<Asked>,
}

/// What delivering a request changes in the directory and among assignments.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Created or replaced.
    pub assignment: Option<Assignment>,
    /// (group, member) memberships to add and to remove.
    pub add_members: Vec<(ObjectId, ObjectId)>,
    pub remove_members: Vec<(ObjectId, ObjectId)>,
}

/// The outcome of deleting a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestDeletion {
    Deleted,
    NotFound,
    /// Still open (not in a terminal state).
    NotTerminal,
    /// Its assignment still holds access.
    HasAssignment,
}

fn c(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

pub(crate) async fn audit(tx: &mut Tx, tenant: TenantId, e: &AuditEntry) -> Result<(), StoreError> {
    let stmt = Query::insert()
        .into_table(Alias::new("audit_log"))
        .columns(["tenant_id", "id", "at", "actor", "action", "object_type", "object_id", "detail"].map(Alias::new))
        .values_panic([
            tenant.as_uuid().into(),
            Uuid::now_v7().into(),
            e.at.into(),
            e.actor.clone().into(),
            e.action.clone().into(),
            e.object_type.into(),
            e.object_id.into(),
            e.detail.clone().into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

async fn set_approvers(tx: &mut Tx, tenant: TenantId, request: Uuid, ids: &[ObjectId]) -> Result<(), StoreError> {
    let del = Query::delete()
        .from_table(Alias::new("request_approvers"))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("request_id").eq(request))
        .to_owned();
    tx.execute(&del).await?;
    let mut seen: Vec<ObjectId> = Vec::new();
    for id in ids {
        if seen.contains(id) {
            continue;
        }
        seen.push(*id);
        let ins = Query::insert()
            .into_table(Alias::new("request_approvers"))
            .columns(["tenant_id", "request_id", "approver_id"].map(Alias::new))
            .values_panic([tenant.as_uuid().into(), request.into(), id.0.into()])
            .to_owned();
        tx.execute(&ins).await?;
    }
    Ok(())
}

async fn followups(
    tx: &mut Tx,
    tenant: TenantId,
    request: Uuid,
    f: &Followups,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for j in &f.jobs {
        enqueue(tx, tenant, j, now).await?;
    }
    if let Some(a) = &f.approvers {
        set_approvers(tx, tenant, request, a).await?;
    }
    for e in &f.audit {
        audit(tx, tenant, e).await?;
    }
    Ok(())
}

/// Writes `r` if its stored version is `r.version - 1` (the caller bumped it).
async fn update_versioned(tx: &mut Tx, tenant: TenantId, r: &AssignmentRequest) -> Result<(), StoreError> {
    let mut stmt = Query::update();
    stmt.table(Alias::new(AssignmentRequest::TABLE));
    for (n, v) in r.columns() {
        stmt.value(Alias::new(n), operand(&v));
    }
    stmt.value(Alias::new("doc"), serde_json::to_string(r)?)
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("id").eq(r.id.0))
        .and_where(c("version").eq(r.version - 1));
    if tx.execute(&stmt).await? == 1 {
        return Ok(());
    }
    match record::get::<AssignmentRequest>(tx, tenant, r.id.0).await? {
        Some(_) => Err(StoreError::Concurrent),
        None => Err(StoreError::NotFound),
    }
}

async fn set_member(
    tx: &mut Tx,
    tenant: TenantId,
    group: ObjectId,
    member: ObjectId,
    add: bool,
) -> Result<(), StoreError> {
    if add {
        let stmt = Query::insert()
            .into_table(Alias::new("group_members"))
            .columns(["tenant_id", "group_id", "member_id"].map(Alias::new))
            .values_panic([tenant.as_uuid().into(), group.0.into(), member.0.into()])
            .on_conflict(
                OnConflict::columns(["tenant_id", "group_id", "member_id"].map(Alias::new)).do_nothing().to_owned(),
            )
            .to_owned();
        tx.execute(&stmt).await?;
    } else {
        let stmt = Query::delete()
            .from_table(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("group_id").eq(group.0))
            .and_where(c("member_id").eq(member.0))
            .to_owned();
        tx.execute(&stmt).await?;
    }
    Ok(())
}

impl Store {
    /// Stores a new request with its jobs, approvers and audit rows (and, for an AdminAdd to an
    /// e-mail address not in the directory, the guest user it creates). A second open request
    /// for the same target and package is `StoreError::Duplicate`.
    pub async fn submit_request(
        &self,
        tenant: TenantId,
        r: &AssignmentRequest,
        new_user: Option<&User>,
        f: &Followups,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        if let Some(u) = new_user {
            record::insert(&mut tx, tenant, u).await?;
            // Created for this request: its lifecycle follows the tenant's settings.
            let governed = grantd_domain::external_users::GovernedSubject { user_id: u.id, created_date_time: now };
            record::insert(&mut tx, tenant, &governed).await?;
        }
        record::insert(&mut tx, tenant, r).await?;
        followups(&mut tx, tenant, r.id.0, f, now).await?;
        tx.commit().await
    }

    /// Stores a changed request whose `version` the caller bumped by one from what it read;
    /// `StoreError::Concurrent` when someone else changed it meanwhile.
    pub async fn update_request(
        &self,
        tenant: TenantId,
        r: &AssignmentRequest,
        f: &Followups,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        update_versioned(&mut tx, tenant, r).await?;
        followups(&mut tx, tenant, r.id.0, f, now).await?;
        tx.commit().await
    }

    /// Commits a delivery: memberships, the assignment and the request's transition (version
    /// checked as in `update_request`), in one transaction.
    pub async fn commit_delivery(
        &self,
        tenant: TenantId,
        r: &AssignmentRequest,
        d: &Delivery,
        f: &Followups,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        update_versioned(&mut tx, tenant, r).await?;
        for (g, m) in &d.add_members {
            set_member(&mut tx, tenant, *g, *m, true).await?;
        }
        for (g, m) in &d.remove_members {
            set_member(&mut tx, tenant, *g, *m, false).await?;
        }
        if let Some(a) = &d.assignment {
            if record::get::<Assignment>(&mut tx, tenant, a.id.0).await?.is_some() {
                record::update(&mut tx, tenant, a).await?;
            } else {
                record::insert(&mut tx, tenant, a).await?;
            }
        }
        followups(&mut tx, tenant, r.id.0, f, now).await?;
        let done = tx.commit().await;
        for (_, m) in d.add_members.iter().chain(&d.remove_members) {
            self.access_cache().member_changed(tenant, *m);
        }
        done
    }

    pub async fn get_request(
        &self,
        tenant: TenantId,
        id: AssignmentRequestId,
    ) -> Result<Option<AssignmentRequest>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_requests(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<AssignmentRequest>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    /// The open request for `target` and `package`, if any.
    pub async fn open_request_for(
        &self,
        tenant: TenantId,
        package: grantd_domain::AccessPackageId,
        target: ObjectId,
    ) -> Result<Option<AssignmentRequest>, StoreError> {
        let f = grantd_domain::filter::Filter::and(vec![
            grantd_domain::filter::Filter::eq("access_package_id", Value::Uuid(package.0)),
            grantd_domain::filter::Filter::eq("target_id", Value::Uuid(target.0)),
            grantd_domain::filter::Filter::eq("is_open", Value::Bool(true)),
        ]);
        Ok(record::all_where(&mut self.read_one().await?, tenant, &f).await?.into_iter().next())
    }

    /// The most recent request (any state) of `target` for `package` that carries answers
    /// (beta `existingAnswers` of getApplicablePolicyRequirements).
    pub async fn latest_answered_request(
        &self,
        tenant: TenantId,
        package: grantd_domain::AccessPackageId,
        target: ObjectId,
    ) -> Result<Option<AssignmentRequest>, StoreError> {
        let f = grantd_domain::filter::Filter::and(vec![
            grantd_domain::filter::Filter::eq("access_package_id", Value::Uuid(package.0)),
            grantd_domain::filter::Filter::eq("target_id", Value::Uuid(target.0)),
        ]);
        let all: Vec<AssignmentRequest> = record::all_where(&mut self.read().await?, tenant, &f).await?;
        Ok(all.into_iter().filter(|r| !r.answers.is_empty()).max_by_key(|r| (r.created_date_time, r.id.0)))
    }

    /// The requests about one assignment (the add that created it, its updates and removal),
    /// oldest first.
    pub async fn requests_of_assignment(
        &self,
        tenant: TenantId,
        assignment: grantd_domain::AssignmentId,
    ) -> Result<Vec<AssignmentRequest>, StoreError> {
        let f = grantd_domain::filter::Filter::eq("assignment_id", Value::Uuid(assignment.0));
        let mut all: Vec<AssignmentRequest> = record::all_where(&mut self.read().await?, tenant, &f).await?;
        all.sort_by_key(|r| (r.created_date_time, r.id.0));
        Ok(all)
    }

    /// Deletes a request that is in a terminal state and whose assignment (if any) no longer
    /// holds access, with its approvers; the rules are checked in the same transaction.
    pub async fn delete_request(
        &self,
        tenant: TenantId,
        id: AssignmentRequestId,
        audit_entry: &AuditEntry,
    ) -> Result<RequestDeletion, StoreError> {
        let mut tx = self.write().await?;
        let Some(r) = record::get::<AssignmentRequest>(&mut tx, tenant, id.0).await? else {
            return Ok(RequestDeletion::NotFound);
        };
        if r.is_open() {
            return Ok(RequestDeletion::NotTerminal);
        }
        if r.request_type.is_add() {
            if let Some(aid) = r.assignment_id {
                if let Some(a) = record::get::<Assignment>(&mut tx, tenant, aid.0).await? {
                    if a.state.holds_access() {
                        return Ok(RequestDeletion::HasAssignment);
                    }
                }
            }
        }
        record::delete::<AssignmentRequest>(&mut tx, tenant, id.0).await?;
        set_approvers(&mut tx, tenant, id.0, &[]).await?;
        audit(&mut tx, tenant, audit_entry).await?;
        tx.commit().await?;
        Ok(RequestDeletion::Deleted)
    }

    /// The actions of the audit rows about one object, oldest first.
    pub async fn audit_of(&self, tenant: TenantId, object: Uuid) -> Result<Vec<String>, StoreError> {
        let stmt = Query::select()
            .column(Alias::new("action"))
            .from(Alias::new("audit_log"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("object_id").eq(object))
            .order_by(Alias::new("id"), sea_query::Order::Asc)
            .to_owned();
        self.read_one().await?.fetch_text(&stmt).await
    }

    /// Is `user` a current approver of the request?
    pub async fn is_request_approver(
        &self,
        tenant: TenantId,
        request: AssignmentRequestId,
        user: ObjectId,
    ) -> Result<bool, StoreError> {
        let stmt = Query::select()
            .expr(Expr::col(sea_query::Asterisk).count())
            .from(Alias::new("request_approvers"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("request_id").eq(request.0))
            .and_where(c("approver_id").eq(user.0))
            .to_owned();
        Ok(self.read_one().await?.fetch_i64(&stmt).await? > 0)
    }

    /// A user whose `mail` or principal name is `email` (case-insensitive).
    pub async fn find_user_by_email(&self, tenant: TenantId, email: &str) -> Result<Option<User>, StoreError> {
        use grantd_domain::filter::{CmpOp, Col, Filter};
        let lower = email.trim().to_lowercase();
        let f = Filter::Or(vec![
            Filter::eq("upn_lower", Value::Text(lower.clone())),
            Filter::Compare { col: Col { column: "mail", lower: true }, op: CmpOp::Eq, value: Value::Text(lower) },
        ]);
        Ok(record::all_where(&mut self.read_one().await?, tenant, &f).await?.into_iter().next())
    }

    /// The ids of a group's direct members.
    pub async fn member_ids(&self, tenant: TenantId, group: ObjectId) -> Result<Vec<ObjectId>, StoreError> {
        let stmt = Query::select()
            .column(Alias::new("member_id"))
            .from(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("group_id").eq(group.0))
            .to_owned();
        Ok(self.read_one().await?.fetch_uuids(&stmt).await?.into_iter().map(ObjectId).collect())
    }

    /// Writes jobs and audit rows that belong to no request change (assignment reprocess).
    pub async fn enqueue_with(&self, tenant: TenantId, f: &Followups, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for j in &f.jobs {
            enqueue(&mut tx, tenant, j, now).await?;
        }
        for e in &f.audit {
            audit(&mut tx, tenant, e).await?;
        }
        tx.commit().await
    }
}
