//! Entitlement-management role assignments (catalog owner, reader, ...).
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::filter::{Col, Filter, Value};
use grantd_domain::roles::{EmRole, RoleAssignment};
use grantd_domain::{CatalogId, ObjectId, RoleAssignmentId, TenantId};
use uuid::Uuid;

impl Record for RoleAssignment {
    const TABLE: &'static str = "role_assignments";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("principal_id", Value::Uuid(self.principal_id.0)),
            ("role_definition_id", Value::Uuid(self.role_definition_id)),
            ("app_scope_id", Value::Text(self.app_scope_id.clone())),
            ("catalog_id", self.catalog_id.map(|c| Value::Uuid(c.0)).unwrap_or(Value::Null)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

impl Store {
    pub async fn create_role_assignment(&self, tenant: TenantId, r: &RoleAssignment) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, r).await?;
        let done = tx.commit().await;
        self.access_cache().tenant_changed(tenant);
        done
    }

    pub async fn get_role_assignment(
        &self,
        tenant: TenantId,
        id: RoleAssignmentId,
    ) -> Result<Option<RoleAssignment>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_role_assignments(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<RoleAssignment>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    pub async fn delete_role_assignment(&self, tenant: TenantId, id: RoleAssignmentId) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let d = record::delete::<RoleAssignment>(&mut tx, tenant, id.0).await?;
        let done = tx.commit().await;
        self.access_cache().tenant_changed(tenant);
        done?;
        Ok(d)
    }

    /// The entitlement-management roles held by `principals` (a user and the groups it is in).
    pub async fn em_roles_of(
        &self,
        tenant: TenantId,
        principals: &[ObjectId],
    ) -> Result<Vec<(EmRole, Option<CatalogId>)>, StoreError> {
        if principals.is_empty() {
            return Ok(Vec::new());
        }
        let f = Filter::In {
            col: Col { column: "principal_id", lower: false },
            values: principals.iter().map(|p| Value::Uuid(p.0)).collect(),
        };
        let rows: Vec<RoleAssignment> = record::all_where(&mut self.read_one().await?, tenant, &f).await?;
        Ok(rows.iter().filter_map(|r| r.role().map(|role| (role, r.catalog_id))).collect())
    }
}
