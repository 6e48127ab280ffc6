//! Access package assignment policies: create, read, list, replace, delete (refused while the
//! policy still has active assignments, checked in the same transaction), and the policies of a
//! set of packages (for `$expand=assignmentPolicies`).
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::filter::{Col, Filter, Value};
use grantd_domain::policy::compat::expiration_to_beta;
use grantd_domain::policy::Policy;
use grantd_domain::{AccessPackageId, PolicyId, TenantId};
use sea_query::{Alias, Expr, Query};
use uuid::Uuid;

impl Record for Policy {
    const TABLE: &'static str = "assignment_policies";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    /// Besides the keys, one column per filterable scalar of the policy (see the field
    /// catalogs in domain::policy); nested settings are flattened into them.
    fn columns(&self) -> Vec<(&'static str, Value)> {
        let r = &self.requestor_settings;
        let auto = self.automatic_request_settings.as_ref();
        vec![
            ("access_package_id", Value::Uuid(self.access_package_id.0)),
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", self.description.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("allowed_target_scope", Value::Text(self.allowed_target_scope.as_str().to_string())),
            ("created_date_time", Value::DateTime(self.created_date_time)),
            ("modified_date_time", Value::DateTime(self.modified_date_time)),
            ("created_by", opt_text(&self.created_by)),
            ("modified_by", opt_text(&self.modified_by)),
            ("expiration_type", Value::Text(self.expiration.kind.as_str().to_string())),
            ("expiration_duration", opt_secs(self.expiration.duration)),
            ("expiration_end_date_time", self.expiration.end_date_time.map(Value::DateTime).unwrap_or(Value::Null)),
            ("duration_in_days", Value::Int(i64::from(expiration_to_beta(&self.expiration).0))),
            ("accept_requests", Value::Bool(r.accept_requests)),
            ("self_add", Value::Bool(r.enable_targets_to_self_add_access)),
            ("self_update", Value::Bool(r.enable_targets_to_self_update_access)),
            ("self_remove", Value::Bool(r.enable_targets_to_self_remove_access)),
            ("custom_schedule", Value::Bool(r.allow_custom_assignment_schedule)),
            ("on_behalf_add", Value::Bool(r.enable_on_behalf_requestors_to_add_access)),
            ("on_behalf_update", Value::Bool(r.enable_on_behalf_requestors_to_update_access)),
            ("on_behalf_remove", Value::Bool(r.enable_on_behalf_requestors_to_remove_access)),
            ("approval_for_add", Value::Bool(self.approval.is_approval_required_for_add)),
            ("approval_for_update", Value::Bool(self.approval.is_approval_required_for_update)),
            ("justification_required", Value::Bool(self.approval.is_requestor_justification_required)),
            ("review_enabled", Value::Bool(self.review.as_ref().is_some_and(|x| x.is_enabled))),
            ("auto_request", auto.map(|a| Value::Bool(a.request_access_for_allowed_targets)).unwrap_or(Value::Null)),
            (
                "auto_remove",
                auto.map(|a| Value::Bool(a.remove_access_when_target_leaves_allowed_targets)).unwrap_or(Value::Null),
            ),
            ("auto_grace_period", opt_secs(auto.and_then(|a| a.grace_period_before_access_removal))),
        ]
    }
}

fn opt_text(v: &Option<String>) -> Value {
    v.clone().map(Value::Text).unwrap_or(Value::Null)
}

fn opt_secs(d: Option<chrono::Duration>) -> Value {
    d.map(|d| Value::Int(d.num_seconds())).unwrap_or(Value::Null)
}

/// What `delete_policy` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDeletion {
    Deleted,
    NotFound,
    /// Refused: this many assignments that are not expired still use the policy.
    HasAssignments(i64),
}

/// Assignments of `policy` that still hold access (state other than `expired`).
fn active_assignments(tenant: TenantId, policy: PolicyId) -> sea_query::SelectStatement {
    Query::select()
        .expr(Expr::col(sea_query::Asterisk).count())
        .from(Alias::new("assignments"))
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
        .and_where(Expr::col(Alias::new("assignment_policy_id")).eq(policy.as_uuid()))
        .and_where(Expr::col(Alias::new("state")).ne("expired"))
        .to_owned()
}

impl Store {
    pub async fn create_policy(&self, tenant: TenantId, p: &Policy) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, p).await?;
        tx.commit().await
    }

    pub async fn get_policy(&self, tenant: TenantId, id: PolicyId) -> Result<Option<Policy>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_policies(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<Policy>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    /// Replaces a policy's document and columns.
    pub async fn update_policy(&self, tenant: TenantId, p: &Policy) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, p).await?;
        tx.commit().await
    }

    /// Deletes a policy unless assignments that are not expired still use it.
    pub async fn delete_policy(&self, tenant: TenantId, id: PolicyId) -> Result<PolicyDeletion, StoreError> {
        let mut tx = self.write().await?;
        let active = tx.fetch_i64(&active_assignments(tenant, id)).await?;
        if active > 0 {
            return Ok(PolicyDeletion::HasAssignments(active));
        }
        let deleted = record::delete::<Policy>(&mut tx, tenant, id.0).await?;
        tx.commit().await?;
        Ok(if deleted { PolicyDeletion::Deleted } else { PolicyDeletion::NotFound })
    }

    /// How many assignments that are not expired use the policy.
    pub async fn count_active_assignments_for_policy(&self, tenant: TenantId, id: PolicyId) -> Result<i64, StoreError> {
        self.read_one().await?.fetch_i64(&active_assignments(tenant, id)).await
    }

    /// The policies with these ids (for nested `$expand`).
    pub async fn policies_by_ids(&self, tenant: TenantId, ids: &[PolicyId]) -> Result<Vec<Policy>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = Filter::In {
            col: Col { column: "id", lower: false },
            values: ids.iter().map(|p| Value::Uuid(p.0)).collect(),
        };
        record::all_where(&mut self.read_one().await?, tenant, &f).await
    }

    /// The policies of the given packages, ordered by package then id.
    pub async fn policies_of_packages(
        &self,
        tenant: TenantId,
        packages: &[AccessPackageId],
    ) -> Result<Vec<Policy>, StoreError> {
        if packages.is_empty() {
            return Ok(Vec::new());
        }
        let f = Filter::In {
            col: Col { column: "access_package_id", lower: false },
            values: packages.iter().map(|p| Value::Uuid(p.0)).collect(),
        };
        let mut all: Vec<Policy> = record::all_where(&mut self.read_one().await?, tenant, &f).await?;
        all.sort_by_key(|p| (p.access_package_id, p.id));
        Ok(all)
    }

    /// The policies of the tenant that let targets ask for themselves (`self_add` and
    /// `accept_requests`): the candidates of `filterByCurrentUser(on='allowedRequestor')`.
    pub async fn self_add_policies(&self, tenant: TenantId) -> Result<Vec<Policy>, StoreError> {
        let f = Filter::and(vec![
            Filter::eq("self_add", Value::Bool(true)),
            Filter::eq("accept_requests", Value::Bool(true)),
        ]);
        record::all_where(&mut self.read().await?, tenant, &f).await
    }
}
