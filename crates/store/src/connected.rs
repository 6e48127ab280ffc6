//! Connected organizations (`connected_organizations`): documents with their sponsors and
//! identity sources; typed columns for `$filter`/`$orderby`.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::connected::ConnectedOrganization;
use grantd_domain::filter::{Filter, Value};
use grantd_domain::TenantId;
use uuid::Uuid;

impl Record for ConnectedOrganization {
    const TABLE: &'static str = "connected_organizations";
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", self.description.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("state", Value::Text(self.state.clone())),
            ("created_date_time", Value::DateTime(self.created_date_time)),
            ("modified_date_time", Value::DateTime(self.modified_date_time)),
        ]
    }
}

impl Store {
    pub async fn create_connected_organization(
        &self,
        tenant: TenantId,
        o: &ConnectedOrganization,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, o).await?;
        tx.commit().await
    }

    pub async fn update_connected_organization(
        &self,
        tenant: TenantId,
        o: &ConnectedOrganization,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, o).await?;
        tx.commit().await
    }

    pub async fn get_connected_organization(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<ConnectedOrganization>, StoreError> {
        record::get(&mut self.read().await?, tenant, id).await
    }

    pub async fn list_connected_organizations(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<ConnectedOrganization>, StoreError> {
        record::list(&mut self.read().await?, tenant, q).await
    }

    /// Every connected organization of the tenant (placing a user needs them all; a tenant has
    /// tens, not thousands).
    pub async fn all_connected_organizations(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<ConnectedOrganization>, StoreError> {
        record::all_where(&mut self.read().await?, tenant, &Filter::Const(true)).await
    }

    pub async fn delete_connected_organization(&self, tenant: TenantId, id: Uuid) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let gone = record::delete::<ConnectedOrganization>(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(gone)
    }
}
