//! Catalogs and access packages, and the delete rules that protect what hangs off them.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use crate::resources::{delete_resource_rows, uuid_in};
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::filter::{Filter, Value};
use grantd_domain::resource::Resource;
use grantd_domain::{AccessPackageId, CatalogId, TenantId};
use sea_query::{Alias, Expr, Query};
use uuid::Uuid;

/// The outcome of deleting a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteCatalog {
    Deleted,
    NotFound,
    /// The catalog still holds access packages.
    HasPackages,
}

/// The outcome of deleting an access package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePackage {
    Deleted,
    NotFound,
    /// The package still has assignments that are not over (see `delete_access_package`).
    HasAssignments,
}

/// Assignment states that no longer hold access: they do not block deleting a package.
pub const FINISHED_ASSIGNMENT_STATES: [&str; 2] = ["expired", "deliveryFailed"];

fn c(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn delete_where(tenant: TenantId, table: &str, column: &str, id: Uuid) -> sea_query::DeleteStatement {
    Query::delete()
        .from_table(Alias::new(table))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c(column).eq(id))
        .to_owned()
}

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
            ("created_by", opt_text(&self.created_by)),
            ("modified_by", opt_text(&self.modified_by)),
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
            ("is_role_scopes_visible", Value::Bool(self.is_role_scopes_visible)),
            ("created_by", opt_text(&self.created_by)),
            ("modified_by", opt_text(&self.modified_by)),
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
        Ok(self.read_one().await?.fetch_i64(&stmt).await? > 0)
    }

    pub async fn get_catalog(&self, tenant: TenantId, id: CatalogId) -> Result<Option<Catalog>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_catalogs(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<Catalog>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    pub async fn get_access_package(
        &self,
        tenant: TenantId,
        id: AccessPackageId,
    ) -> Result<Option<AccessPackage>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_access_packages(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<AccessPackage>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
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
        Ok(record::list(&mut self.read_for(&q).await?, tenant, &q).await?.items)
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
        let done = tx.commit().await;
        if owner.is_some() {
            self.access_cache().tenant_changed(tenant);
        }
        done
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

    pub async fn catalogs_by_ids(&self, tenant: TenantId, ids: &[CatalogId]) -> Result<Vec<Catalog>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("id", ids.iter().map(|i| i.0))).await
    }

    /// The access packages with these ids (for nested `$expand`).
    pub async fn packages_by_ids(
        &self,
        tenant: TenantId,
        ids: &[AccessPackageId],
    ) -> Result<Vec<AccessPackage>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("id", ids.iter().map(|i| i.0))).await
    }

    /// The access packages of the given catalogs (for `$expand=accessPackages` on a page).
    pub async fn packages_of_catalogs(
        &self,
        tenant: TenantId,
        ids: &[CatalogId],
    ) -> Result<Vec<AccessPackage>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("catalog_id", ids.iter().map(|i| i.0))).await
    }

    /// Deletes a catalog that holds no access packages, with its resources (their roles and
    /// scopes), its resource requests and the role assignments scoped to it.
    pub async fn delete_catalog(&self, tenant: TenantId, id: CatalogId) -> Result<DeleteCatalog, StoreError> {
        let mut tx = self.write().await?;
        if record::get::<Catalog>(&mut tx, tenant, id.0).await?.is_none() {
            return Ok(DeleteCatalog::NotFound);
        }
        let in_catalog = Filter::eq("catalog_id", Value::Uuid(id.0));
        if record::count_where::<AccessPackage>(&mut tx, tenant, &in_catalog).await? > 0 {
            return Ok(DeleteCatalog::HasPackages);
        }
        let resources: Vec<Resource> = record::all_where(&mut tx, tenant, &in_catalog).await?;
        for r in resources {
            delete_resource_rows(&mut tx, tenant, r.id).await?;
        }
        for table in ["resource_requests", "role_assignments", "custom_extensions"] {
            tx.execute(&delete_where(tenant, table, "catalog_id", id.0)).await?;
        }
        record::delete::<Catalog>(&mut tx, tenant, id.0).await?;
        let done = tx.commit().await;
        self.access_cache().tenant_changed(tenant);
        done?;
        Ok(DeleteCatalog::Deleted)
    }

    /// Deletes an access package with its resource role scopes and assignment policies, unless
    /// it has assignments whose state is not one of `FINISHED_ASSIGNMENT_STATES` (Graph: "You
    /// can't delete an access package if it has any accessPackageAssignment").
    pub async fn delete_access_package(
        &self,
        tenant: TenantId,
        id: AccessPackageId,
    ) -> Result<DeletePackage, StoreError> {
        let mut tx = self.write().await?;
        if record::get::<AccessPackage>(&mut tx, tenant, id.0).await?.is_none() {
            return Ok(DeletePackage::NotFound);
        }
        let live = Query::select()
            .expr(Expr::col(sea_query::Asterisk).count())
            .from(Alias::new("assignments"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("access_package_id").eq(id.0))
            .and_where(c("state").is_not_in(FINISHED_ASSIGNMENT_STATES))
            .to_owned();
        if tx.fetch_i64(&live).await? > 0 {
            return Ok(DeletePackage::HasAssignments);
        }
        for table in ["resource_role_scopes", "assignment_policies", "assignments", "package_incompatibilities"] {
            tx.execute(&delete_where(tenant, table, "access_package_id", id.0)).await?;
        }
        tx.execute(&delete_where(tenant, "package_incompatibilities", "incompatible_id", id.0)).await?;
        record::delete::<AccessPackage>(&mut tx, tenant, id.0).await?;
        tx.commit().await?;
        Ok(DeletePackage::Deleted)
    }
}
