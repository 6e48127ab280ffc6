//! Export and import of one tenant as JSON lines, to move a tenant between databases (SQLite to
//! PostgreSQL, or a backup). Every entity is written as its stored document and re-inserted
//! through its `Record` type, so typed columns are rebuilt from the document on import; group
//! memberships, the current approvers of pending requests, pending jobs and the audit trail
//! travel too. Import refuses a tenant that already has data.
use crate::db::{Store, Tx};
use crate::error::StoreError;
use crate::record::{self, Record};
use grantd_domain::TenantId;
use sea_query::{Alias, Expr, Order, Query};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Line {
    Tenant {
        id: TenantId,
        display_name: String,
    },
    Record {
        table: String,
        doc: serde_json::Value,
    },
    Member {
        group_id: uuid::Uuid,
        member_id: uuid::Uuid,
    },
    Job {
        job: crate::jobs::ExportedJob,
    },
    /// A current approver of a pending request (`filterByCurrentUser(on='approver')`).
    Approver {
        request_id: uuid::Uuid,
        approver_id: uuid::Uuid,
    },
    Audit {
        entry: ExportedAudit,
    },
}

/// One row of the audit trail as exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedAudit {
    pub id: uuid::Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: uuid::Uuid,
    pub detail: String,
}

const AUDIT_COLUMNS: [&str; 7] = ["id", "at", "actor", "action", "object_type", "object_id", "detail"];

/// Every document table, in an order that keeps references readable while importing.
macro_rules! record_tables {
    ($m:ident) => {
        $m!(
            grantd_domain::directory::User,
            grantd_domain::directory::Group,
            grantd_domain::roles::RoleAssignment,
            grantd_domain::catalog::Catalog,
            grantd_domain::resource::Resource,
            grantd_domain::resource::ResourceRole,
            grantd_domain::resource::ResourceScope,
            grantd_domain::resource::ResourceRequest,
            grantd_domain::catalog::AccessPackage,
            grantd_domain::resource::ResourceRoleScope,
            grantd_domain::extension::CustomExtension,
            grantd_domain::policy::Policy,
            grantd_domain::assignment::Assignment,
            grantd_domain::request::AssignmentRequest,
            grantd_domain::separation::Incompatibility,
            grantd_domain::connected::ConnectedOrganization,
            grantd_domain::delivery::DeliveryItem,
            grantd_domain::external_users::EntitlementSettings,
            grantd_domain::external_users::GovernedSubject
        )
    };
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

fn write_line(out: &mut dyn Write, line: &Line) -> Result<(), StoreError> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n").map_err(io)
}

async fn export_table<R: Record>(tx: &mut Tx, tenant: TenantId, out: &mut dyn Write) -> Result<usize, StoreError> {
    let rows: Vec<R> = record::all_of_tenant(tx, tenant).await?;
    for r in &rows {
        write_line(out, &Line::Record { table: R::TABLE.to_string(), doc: serde_json::to_value(r)? })?;
    }
    Ok(rows.len())
}

async fn import_record<R: Record>(tx: &mut Tx, tenant: TenantId, doc: serde_json::Value) -> Result<(), StoreError> {
    let r: R = serde_json::from_value(doc)?;
    record::insert(tx, tenant, &r).await
}

impl Store {
    /// Writes the tenant as JSON lines. Returns the number of lines.
    pub async fn export_tenant(&self, tenant: TenantId, out: &mut dyn Write) -> Result<usize, StoreError> {
        let mut tx = self.read().await?;
        let name_stmt = Query::select()
            .column(Alias::new("display_name"))
            .from(Alias::new("tenants"))
            .and_where(Expr::col(Alias::new("id")).eq(tenant.as_uuid()))
            .to_owned();
        let display_name = tx.fetch_text(&name_stmt).await?.into_iter().next().ok_or(StoreError::NotFound)?;
        write_line(out, &Line::Tenant { id: tenant, display_name })?;
        let mut n = 1;
        macro_rules! export_all {
            ($($t:ty),*) => {$( n += export_table::<$t>(&mut tx, tenant, out).await?; )*};
        }
        record_tables!(export_all);
        let members = Query::select()
            .columns([Alias::new("group_id"), Alias::new("member_id")])
            .from(Alias::new("group_members"))
            .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
            .order_by(Alias::new("group_id"), Order::Asc)
            .order_by(Alias::new("member_id"), Order::Asc)
            .to_owned();
        for (group_id, member_id) in tx.fetch_uuid_pairs(&members).await? {
            write_line(out, &Line::Member { group_id, member_id })?;
            n += 1;
        }
        for job in crate::jobs::export(&mut tx, tenant).await? {
            write_line(out, &Line::Job { job })?;
            n += 1;
        }
        let approvers = Query::select()
            .columns([Alias::new("request_id"), Alias::new("approver_id")])
            .from(Alias::new("request_approvers"))
            .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
            .order_by(Alias::new("request_id"), Order::Asc)
            .order_by(Alias::new("approver_id"), Order::Asc)
            .to_owned();
        for (request_id, approver_id) in tx.fetch_uuid_pairs(&approvers).await? {
            write_line(out, &Line::Approver { request_id, approver_id })?;
            n += 1;
        }
        let audit = Query::select()
            .columns(AUDIT_COLUMNS.map(Alias::new))
            .from(Alias::new("audit_log"))
            .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
            .order_by(Alias::new("id"), Order::Asc)
            .to_owned();
        for entry in tx.fetch_audit(&audit).await? {
            write_line(out, &Line::Audit { entry })?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Reads JSON lines written by `export_tenant` into this database, in one transaction.
    /// Returns the tenant id and the number of lines.
    pub async fn import_tenant(&self, input: &mut dyn BufRead) -> Result<(TenantId, usize), StoreError> {
        let mut tx = self.write().await?;
        let mut tenant: Option<TenantId> = None;
        let mut n = 0;
        for (i, raw) in input.lines().enumerate() {
            let raw = raw.map_err(io)?;
            if raw.trim().is_empty() {
                continue;
            }
            let line: Line = serde_json::from_str(&raw).map_err(|e| StoreError::Io(format!("line {}: {e}", i + 1)))?;
            match (line, tenant) {
                (Line::Tenant { id, display_name }, None) => {
                    let exists = Query::select()
                        .expr(Expr::col(sea_query::Asterisk).count())
                        .from(Alias::new("users"))
                        .and_where(Expr::col(Alias::new("tenant_id")).eq(id.as_uuid()))
                        .to_owned();
                    if tx.fetch_i64(&exists).await? > 0 {
                        return Err(StoreError::Io(format!("tenant {id} already has data in this database")));
                    }
                    let stmt = Query::insert()
                        .into_table(Alias::new("tenants"))
                        .columns([Alias::new("id"), Alias::new("display_name")])
                        .values_panic([id.as_uuid().into(), display_name.into()])
                        .on_conflict(sea_query::OnConflict::column(Alias::new("id")).do_nothing().to_owned())
                        .to_owned();
                    tx.execute(&stmt).await?;
                    tenant = Some(id);
                }
                (_, None) | (Line::Tenant { .. }, Some(_)) => {
                    return Err(StoreError::Io(format!("line {}: the first line must name the tenant, once", i + 1)))
                }
                (Line::Record { table, doc }, Some(t)) => {
                    macro_rules! import_one {
                        ($($ty:ty),*) => {
                            match table.as_str() {
                                $( x if x == <$ty as Record>::TABLE => import_record::<$ty>(&mut tx, t, doc).await?, )*
                                other => return Err(StoreError::Io(format!("line {}: unknown table {other}", i + 1))),
                            }
                        };
                    }
                    record_tables!(import_one);
                }
                (Line::Member { group_id, member_id }, Some(t)) => {
                    let stmt = Query::insert()
                        .into_table(Alias::new("group_members"))
                        .columns([Alias::new("tenant_id"), Alias::new("group_id"), Alias::new("member_id")])
                        .values_panic([t.as_uuid().into(), group_id.into(), member_id.into()])
                        .to_owned();
                    tx.execute(&stmt).await?;
                }
                (Line::Job { job }, Some(t)) => crate::jobs::import(&mut tx, t, &job).await?,
                (Line::Approver { request_id, approver_id }, Some(t)) => {
                    let stmt = Query::insert()
                        .into_table(Alias::new("request_approvers"))
                        .columns([Alias::new("tenant_id"), Alias::new("request_id"), Alias::new("approver_id")])
                        .values_panic([t.as_uuid().into(), request_id.into(), approver_id.into()])
                        .to_owned();
                    tx.execute(&stmt).await?;
                }
                (Line::Audit { entry: e }, Some(t)) => {
                    let stmt = Query::insert()
                        .into_table(Alias::new("audit_log"))
                        .columns(std::iter::once("tenant_id").chain(AUDIT_COLUMNS).map(Alias::new))
                        .values_panic([
                            t.as_uuid().into(),
                            e.id.into(),
                            e.at.into(),
                            e.actor.into(),
                            e.action.into(),
                            e.object_type.into(),
                            e.object_id.into(),
                            e.detail.into(),
                        ])
                        .to_owned();
                    tx.execute(&stmt).await?;
                }
            }
            n += 1;
        }
        let t = tenant.ok_or_else(|| StoreError::Io("the input is empty".into()))?;
        let done = tx.commit().await;
        self.access_cache().tenant_changed(t);
        done?;
        Ok((t, n))
    }
}
