//! Catalogs and access packages.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::filter::{Filter, Value};
use grantd_domain::{AccessPackageId, CatalogId, TenantId};
use sea_query::{Alias, Expr, Query};
use uuid::Uuid;

fn opt_text(v: &Option<String>) -> Value {
    v.clone().map(Value::Text).unwrap_or(Value::Null)
}

impl Record for Catalog {
    const TABLE: &'static str = "catalogs";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", opt_text(&self.description)),
            ("catalog_type", Value::Text(self.catalog_type.clone())),
            ("state", Value::Text(self.state.clone())),
            ("is_externally_visible", Value::Bool(self.is_externally_visible)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
            ("modified_date_time", Value::DateTime(self.modified_date_time)),
        ]
    }
}

impl Record for AccessPackage {
    const TABLE: &'static str = "access_packages";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", opt_text(&self.description)),
            ("is_hidden", Value::Bool(self.is_hidden)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
            ("modified_date_time", Value::DateTime(self.modified_date_time)),
        ]
    }
}

impl Store {
    pub async fn catalog_exists(&self, tenant: TenantId, id: CatalogId) -> Result<bool, StoreError> {
        let stmt = Query::select()
            .expr(Expr::col(sea_query::Asterisk).count())
            .from(Alias::new("catalogs"))
            .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
            .and_where(Expr::col(Alias::new("id")).eq(id.as_uuid()))
            .to_owned();
        Ok(self.read().await?.fetch_i64(&stmt).await? > 0)
    }

    pub async fn get_catalog(&self, tenant: TenantId, id: CatalogId) -> Result<Option<Catalog>, StoreError> {
        record::get(&mut self.read().await?, tenant, id.0).await
    }

    pub async fn list_catalogs(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<Catalog>, StoreError> {
        record::list(&mut self.read().await?, tenant, q).await
    }

    pub async fn get_access_package(
        &self,
        tenant: TenantId,
        id: AccessPackageId,
    ) -> Result<Option<AccessPackage>, StoreError> {
        record::get(&mut self.read().await?, tenant, id.0).await
    }

    pub async fn list_access_packages(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<AccessPackage>, StoreError> {
        record::list(&mut self.read().await?, tenant, q).await
    }

    /// Access packages of a catalog (for `$expand=accessPackages`), bounded by `limit`.
    pub async fn access_packages_of(
        &self,
        tenant: TenantId,
        catalog: CatalogId,
        limit: usize,
    ) -> Result<Vec<AccessPackage>, StoreError> {
        let q =
            ListQuery { filter: Some(Filter::eq("catalog_id", Value::Uuid(catalog.0))), limit, ..ListQuery::default() };
        Ok(record::list(&mut self.read().await?, tenant, &q).await?.items)
    }

    /// Creates a catalog; when `owner` is given (a non-admin creator), also makes them its
    /// owner, in the same transaction (Graph: the creator becomes the first catalog owner).
    pub async fn create_catalog(
        &self,
        tenant: TenantId,
        c: &Catalog,
        owner: Option<&grantd_domain::roles::RoleAssignment>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, c).await?;
        if let Some(o) = owner {
            record::insert(&mut tx, tenant, o).await?;
        }
        tx.commit().await
    }

    pub async fn update_catalog(&self, tenant: TenantId, c: &Catalog) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, c).await?;
        tx.commit().await
    }

    pub async fn create_access_package(&self, tenant: TenantId, p: &AccessPackage) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, p).await?;
        tx.commit().await
    }

    pub async fn update_access_package(&self, tenant: TenantId, p: &AccessPackage) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, p).await?;
        tx.commit().await
    }
}
