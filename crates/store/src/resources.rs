//! Catalog resources with their roles and scopes, access package resource role scopes, and
//! resource requests. Onboarding and removal write the request and every row they touch in one
//! transaction; removal refuses while a role scope still uses the resource.
use crate::db::{Store, Tx};
use crate::error::StoreError;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::filter::{Col, Filter, Value};
use grantd_domain::resource::{Onboarded, Resource, ResourceRequest, ResourceRole, ResourceRoleScope, ResourceScope};
use grantd_domain::{AccessPackageId, CatalogId, ResourceId, ResourceRoleId, ResourceScopeId, RoleScopeId, TenantId};
use sea_query::{Alias, Expr, Query};
use uuid::Uuid;

impl Record for Resource {
    const TABLE: &'static str = "resources";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("origin_id", Value::Text(self.origin_id.clone())),
            ("origin_system", Value::Text(self.origin_system.clone())),
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", opt_text(&self.description)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

impl Record for ResourceRole {
    const TABLE: &'static str = "resource_roles";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("resource_id", Value::Uuid(self.resource_id.0)),
            ("origin_id", Value::Text(self.origin_id.clone())),
            ("origin_system", Value::Text(self.origin_system.clone())),
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", opt_text(&self.description)),
        ]
    }
}

impl Record for ResourceScope {
    const TABLE: &'static str = "resource_scopes";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("resource_id", Value::Uuid(self.resource_id.0)),
            ("origin_id", Value::Text(self.origin_id.clone())),
            ("origin_system", Value::Text(self.origin_system.clone())),
            ("display_name", Value::Text(self.display_name.clone())),
            ("description", opt_text(&self.description)),
            ("is_root_scope", Value::Bool(self.is_root_scope)),
        ]
    }
}

fn opt_text(v: &Option<String>) -> Value {
    v.clone().map(Value::Text).unwrap_or(Value::Null)
}

impl Record for ResourceRoleScope {
    const TABLE: &'static str = "resource_role_scopes";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("access_package_id", Value::Uuid(self.access_package_id.0)),
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("resource_id", Value::Uuid(self.resource_id.0)),
            ("role_id", Value::Uuid(self.role_id.0)),
            ("scope_id", Value::Uuid(self.scope_id.0)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

impl Record for ResourceRequest {
    const TABLE: &'static str = "resource_requests";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("catalog_id", Value::Uuid(self.catalog_id.0)),
            ("request_type", Value::Text(self.request_type.clone())),
            ("state", Value::Text(self.state.clone())),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

/// Why a resource could not be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveResource {
    Removed,
    /// An access package still grants one of the resource's roles.
    HasRoleScopes,
    NotFound,
}

pub(crate) fn uuid_in(column: &'static str, ids: impl IntoIterator<Item = Uuid>) -> Filter {
    Filter::In { col: Col { column, lower: false }, values: ids.into_iter().map(Value::Uuid).collect() }
}

fn delete_where(tenant: TenantId, table: &str, column: &str, id: Uuid) -> sea_query::DeleteStatement {
    Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
        .and_where(Expr::col(Alias::new(column)).eq(id))
        .to_owned()
}

/// Deletes a resource with its roles and scopes (inside the caller's transaction).
pub(crate) async fn delete_resource_rows(
    tx: &mut Tx,
    tenant: TenantId,
    resource: ResourceId,
) -> Result<(), StoreError> {
    for table in ["resource_roles", "resource_scopes"] {
        tx.execute(&delete_where(tenant, table, "resource_id", resource.0)).await?;
    }
    tx.execute(&delete_where(tenant, "resources", "id", resource.0)).await?;
    Ok(())
}

impl Store {
    /// Onboards a resource: writes the request, the resource, its roles and scopes at once.
    /// A resource already in the catalog (same origin) fails with `StoreError::Duplicate`.
    pub async fn add_resource(&self, tenant: TenantId, req: &ResourceRequest, o: &Onboarded) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, &o.resource).await?;
        for r in &o.roles {
            record::insert(&mut tx, tenant, r).await?;
        }
        for s in &o.scopes {
            record::insert(&mut tx, tenant, s).await?;
        }
        record::insert(&mut tx, tenant, req).await?;
        tx.commit().await
    }

    /// Removes a resource from its catalog and records the request, unless an access package
    /// still uses one of its roles.
    pub async fn remove_resource(
        &self,
        tenant: TenantId,
        req: &ResourceRequest,
        resource: ResourceId,
    ) -> Result<RemoveResource, StoreError> {
        let mut tx = self.write().await?;
        if record::get::<Resource>(&mut tx, tenant, resource.0).await?.is_none() {
            return Ok(RemoveResource::NotFound);
        }
        let used = Filter::eq("resource_id", Value::Uuid(resource.0));
        if record::count_where::<ResourceRoleScope>(&mut tx, tenant, &used).await? > 0 {
            return Ok(RemoveResource::HasRoleScopes);
        }
        delete_resource_rows(&mut tx, tenant, resource).await?;
        record::insert(&mut tx, tenant, req).await?;
        tx.commit().await?;
        Ok(RemoveResource::Removed)
    }

    pub async fn get_resource(&self, tenant: TenantId, id: ResourceId) -> Result<Option<Resource>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    /// The resource of `catalog` with this origin, if onboarded.
    pub async fn find_resource_by_origin(
        &self,
        tenant: TenantId,
        catalog: CatalogId,
        origin_system: &str,
        origin_id: &str,
    ) -> Result<Option<Resource>, StoreError> {
        let f = Filter::and(vec![
            Filter::eq("catalog_id", Value::Uuid(catalog.0)),
            Filter::eq("origin_system", Value::Text(origin_system.into())),
            Filter::eq("origin_id", Value::Text(origin_id.into())),
        ]);
        Ok(record::all_where(&mut self.read_one().await?, tenant, &f).await?.into_iter().next())
    }

    pub async fn list_resources(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<Resource>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    pub async fn resources_by_ids(&self, tenant: TenantId, ids: &[ResourceId]) -> Result<Vec<Resource>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("id", ids.iter().map(|i| i.0))).await
    }

    pub async fn list_resource_roles(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<ResourceRole>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    pub async fn list_resource_scopes(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<ResourceScope>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    pub async fn get_resource_role(
        &self,
        tenant: TenantId,
        id: ResourceRoleId,
    ) -> Result<Option<ResourceRole>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn get_resource_scope(
        &self,
        tenant: TenantId,
        id: ResourceScopeId,
    ) -> Result<Option<ResourceScope>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    /// Roles of the given resources.
    pub async fn roles_of_resources(
        &self,
        tenant: TenantId,
        ids: &[ResourceId],
    ) -> Result<Vec<ResourceRole>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("resource_id", ids.iter().map(|i| i.0))).await
    }

    /// Scopes of the given resources.
    pub async fn scopes_of_resources(
        &self,
        tenant: TenantId,
        ids: &[ResourceId],
    ) -> Result<Vec<ResourceScope>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("resource_id", ids.iter().map(|i| i.0))).await
    }

    pub async fn roles_by_ids(
        &self,
        tenant: TenantId,
        ids: &[ResourceRoleId],
    ) -> Result<Vec<ResourceRole>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("id", ids.iter().map(|i| i.0))).await
    }

    pub async fn scopes_by_ids(
        &self,
        tenant: TenantId,
        ids: &[ResourceScopeId],
    ) -> Result<Vec<ResourceScope>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        record::all_where(&mut self.read_one().await?, tenant, &uuid_in("id", ids.iter().map(|i| i.0))).await
    }

    /// Binds a role and scope to a package. The same binding twice is `StoreError::Duplicate`;
    /// a role removed meanwhile (its resource left the catalog) is `StoreError::NotFound`.
    pub async fn create_role_scope(&self, tenant: TenantId, rs: &ResourceRoleScope) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        if record::get::<ResourceRole>(&mut tx, tenant, rs.role_id.0).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        record::insert(&mut tx, tenant, rs).await?;
        tx.commit().await
    }

    pub async fn get_role_scope(
        &self,
        tenant: TenantId,
        id: RoleScopeId,
    ) -> Result<Option<ResourceRoleScope>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_role_scopes(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<ResourceRoleScope>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    /// Role scopes of the given packages (for `$expand=resourceRoleScopes`).
    pub async fn role_scopes_of_packages(
        &self,
        tenant: TenantId,
        ids: &[AccessPackageId],
    ) -> Result<Vec<ResourceRoleScope>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = uuid_in("access_package_id", ids.iter().map(|i| i.0));
        record::all_where(&mut self.read_one().await?, tenant, &f).await
    }

    pub async fn delete_role_scope(&self, tenant: TenantId, id: RoleScopeId) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let d = record::delete::<ResourceRoleScope>(&mut tx, tenant, id.0).await?;
        tx.commit().await?;
        Ok(d)
    }

    pub async fn get_resource_request(
        &self,
        tenant: TenantId,
        id: grantd_domain::ResourceRequestId,
    ) -> Result<Option<ResourceRequest>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn list_resource_requests(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Page<ResourceRequest>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }
}
