//! Per-resource delivery items as units of work: planning writes a request's items (one per
//! resource role scope, unique per request, resource and role, so two planners cannot both
//! insert) with their jobs in one transaction; finishing an item writes its new state with the
//! follow-up job (the request's delivery check) in one transaction. Item changes are version
//! checked like requests. Also answers which subjects still have a live (ready or leased) job,
//! for the watchdog. Nothing here decides an outcome.
use crate::db::{Store, Tx};
use crate::error::StoreError;
use crate::filter_sql::operand;
use crate::jobs::{enqueue, NewJob};
use crate::record::{self, Record};
use chrono::{DateTime, Utc};
use grantd_domain::delivery::DeliveryItem;
use grantd_domain::filter::{Filter, Value};
use grantd_domain::{AssignmentRequestId, TenantId};
use sea_query::{Alias, Expr, Query};
use uuid::Uuid;

impl Record for DeliveryItem {
    const TABLE: &'static str = "delivery_items";
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("request_id", Value::Uuid(self.request_id.0)),
            ("resource_id", Value::Uuid(self.resource_id.0)),
            ("role_id", Value::Uuid(self.role_id.0)),
            ("state", Value::Text(self.state.as_str().to_string())),
            ("version", Value::Int(self.version)),
        ]
    }
}

fn c(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// Inserts a new item (`version` 1) or writes a changed one whose `version` the caller bumped
/// by one from what it read (`StoreError::Concurrent` when someone changed it meanwhile).
async fn save(tx: &mut Tx, tenant: TenantId, item: &DeliveryItem) -> Result<(), StoreError> {
    if item.version <= 1 {
        return record::insert(tx, tenant, item).await;
    }
    let mut stmt = Query::update();
    stmt.table(Alias::new(DeliveryItem::TABLE));
    for (n, v) in item.columns() {
        stmt.value(Alias::new(n), operand(&v));
    }
    stmt.value(Alias::new("doc"), serde_json::to_string(item)?)
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("id").eq(item.id))
        .and_where(c("version").eq(item.version - 1));
    match tx.execute(&stmt).await? {
        1 => Ok(()),
        _ => Err(StoreError::Concurrent),
    }
}

impl Store {
    /// The delivery items of a request.
    pub async fn delivery_items_of(
        &self,
        tenant: TenantId,
        request: AssignmentRequestId,
    ) -> Result<Vec<DeliveryItem>, StoreError> {
        let f = Filter::eq("request_id", Value::Uuid(request.0));
        let mut items: Vec<DeliveryItem> = record::all_where(&mut self.read().await?, tenant, &f).await?;
        items.sort_by(|a, b| (a.resource_name.as_str(), a.id).cmp(&(b.resource_name.as_str(), b.id)));
        Ok(items)
    }

    pub async fn get_delivery_item(&self, tenant: TenantId, id: Uuid) -> Result<Option<DeliveryItem>, StoreError> {
        record::get(&mut self.read().await?, tenant, id).await
    }

    /// Writes new and changed items (see `save`) with their jobs, in one transaction. A second
    /// item for the same request, resource and role is `StoreError::Duplicate`.
    pub async fn save_delivery_items(
        &self,
        tenant: TenantId,
        items: &[DeliveryItem],
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for i in items {
            save(&mut tx, tenant, i).await?;
        }
        for j in jobs {
            enqueue(&mut tx, tenant, j, now).await?;
        }
        tx.commit().await
    }

    /// Of `subjects`, those with a live job: ready (due or not, leased or not), not dead.
    pub async fn subjects_with_live_jobs(&self, tenant: TenantId, subjects: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let stmt = Query::select()
            .distinct()
            .column(Alias::new("subject_id"))
            .from(Alias::new("jobs"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("subject_id").is_in(subjects.iter().copied()))
            .and_where(c("state").eq("ready"))
            .to_owned();
        self.read().await?.fetch_uuids(&stmt).await
    }

    /// Live jobs of one kind about `subject` (how many watchdogs a request has, ...).
    pub async fn live_jobs_of_kind(&self, tenant: TenantId, subject: Uuid, kind: &str) -> Result<i64, StoreError> {
        let stmt = Query::select()
            .expr(Expr::col(sea_query::Asterisk).count())
            .from(Alias::new("jobs"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("subject_id").eq(subject))
            .and_where(c("kind").eq(kind))
            .and_where(c("state").eq("ready"))
            .to_owned();
        self.read().await?.fetch_i64(&stmt).await
    }
}
