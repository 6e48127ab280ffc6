//! Access package assignments (written by assignment requests; read by policies' and packages'
//! delete rules). Only creation and lookup so far; the request lifecycle adds the rest.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, Record};
use grantd_domain::assignment::Assignment;
use grantd_domain::filter::Value;
use grantd_domain::{AssignmentId, TenantId};
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
        record::get(&mut self.read().await?, tenant, id.0).await
    }
}
