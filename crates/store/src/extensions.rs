//! Custom callout extensions of a catalog: create, read, list (one catalog, paged and
//! filtered like every list), replace and delete. A catalog's extensions go with it (see
//! `delete_catalog`). Policies name extensions by id and are not checked here.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::extension::{CustomExtension, ExtensionKind};
use grantd_domain::filter::{Col, Filter, Value};
use grantd_domain::{CustomExtensionId, TenantId};
use uuid::Uuid;

fn kind(k: ExtensionKind) -> &'static str {
    match k {
        ExtensionKind::RequestWorkflow => "requestWorkflow",
        ExtensionKind::AssignmentWorkflow => "assignmentWorkflow",
        ExtensionKind::Legacy => "legacy",
    }
}

impl Record for CustomExtension {
    const TABLE: &'static str = "custom_extensions";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("kind", Value::Text(kind(self.kind).into())),
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", self.description.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
            ("last_modified_date_time", Value::DateTime(self.last_modified_date_time)),
        ]
    }
}

impl Store {
    pub async fn create_custom_extension(&self, tenant: TenantId, e: &CustomExtension) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, e).await?;
        tx.commit().await
    }

    pub async fn get_custom_extension(
        &self,
        tenant: TenantId,
        id: CustomExtensionId,
    ) -> Result<Option<CustomExtension>, StoreError> {
        record::get(&mut self.read().await?, tenant, id.0).await
    }

    pub async fn list_custom_extensions(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<CustomExtension>, StoreError> {
        record::list(&mut self.read().await?, tenant, q).await
    }

    pub async fn update_custom_extension(&self, tenant: TenantId, e: &CustomExtension) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, e).await?;
        tx.commit().await
    }

    pub async fn delete_custom_extension(&self, tenant: TenantId, id: CustomExtensionId) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let deleted = record::delete::<CustomExtension>(&mut tx, tenant, id.0).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// The extensions with these ids (a policy's stage settings).
    pub async fn custom_extensions_by_ids(
        &self,
        tenant: TenantId,
        ids: &[CustomExtensionId],
    ) -> Result<Vec<CustomExtension>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = Filter::In {
            col: Col { column: "id", lower: false },
            values: ids.iter().map(|i| Value::Uuid(i.0)).collect(),
        };
        record::all_where(&mut self.read().await?, tenant, &f).await
    }
}
