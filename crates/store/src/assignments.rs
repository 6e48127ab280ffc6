//! Access package assignments: written only by assignment requests (`commit_delivery` in
//! requests.rs); read by lists, by the request rules (one active assignment per target and
//! package) and by policies' and packages' delete rules.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::assignment::Assignment;
use grantd_domain::filter::{Filter, Value};
use grantd_domain::{AccessPackageId, AssignmentId, ObjectId, TenantId};
use uuid::Uuid;

impl Record for Assignment {
    const TABLE: &'static str = "assignments";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("access_package_id", Value::Uuid(self.access_package_id.0)),
            ("assignment_policy_id", Value::Uuid(self.assignment_policy_id.0)),
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("target_id", Value::Uuid(self.target_id.0)),
            ("state", Value::Text(self.state.as_str().to_string())),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

impl Store {
    pub async fn create_assignment(&self, tenant: TenantId, a: &Assignment) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, a).await?;
        tx.commit().await
    }

    pub async fn get_assignment(&self, tenant: TenantId, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_assignments(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<Assignment>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    /// Every assignment of `target` (any state), oldest first.
    pub async fn assignments_of_target(
        &self,
        tenant: TenantId,
        target: ObjectId,
    ) -> Result<Vec<Assignment>, StoreError> {
        let f = Filter::eq("target_id", Value::Uuid(target.0));
        record::all_where(&mut self.read_one().await?, tenant, &f).await
    }

    /// The assignments of `target` in `package` that still hold access.
    pub async fn active_assignments_of(
        &self,
        tenant: TenantId,
        package: AccessPackageId,
        target: ObjectId,
    ) -> Result<Vec<Assignment>, StoreError> {
        Ok(self
            .assignments_of_target(tenant, target)
            .await?
            .into_iter()
            .filter(|a| a.access_package_id == package && a.state.holds_access())
            .collect())
    }

    /// Assignments by id; missing ids are skipped.
    pub async fn assignments_by_ids(
        &self,
        tenant: TenantId,
        ids: &[AssignmentId],
    ) -> Result<Vec<Assignment>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = Filter::In {
            col: grantd_domain::filter::Col { column: "id", lower: false },
            values: ids.iter().map(|i| Value::Uuid(i.0)).collect(),
        };
        record::all_where(&mut self.read_one().await?, tenant, &f).await
    }
}
