//! Separation-of-duties rows (`package_incompatibilities`): a package's incompatible packages
//! and groups, and the reverse lookup (`accessPackagesIncompatibleWith`). The request check
//! itself is pure (grantd_domain::separation); this module only reads and writes the rows.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, Record};
use grantd_domain::filter::{Filter, Value};
use grantd_domain::request::AssignmentRequest;
use grantd_domain::separation::{Incompatibility, IncompatibleKind};
use grantd_domain::{AccessPackageId, ObjectId, TenantId};
use uuid::Uuid;

impl Record for Incompatibility {
    const TABLE: &'static str = "package_incompatibilities";
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("access_package_id", Value::Uuid(self.access_package_id.0)),
            ("kind", Value::Text(self.kind.as_str().to_string())),
            ("incompatible_id", Value::Uuid(self.incompatible_id)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

impl Store {
    /// Adds an entry; the same pair twice is `StoreError::Duplicate`.
    pub async fn add_incompatibility(&self, tenant: TenantId, i: &Incompatibility) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, i).await?;
        tx.commit().await
    }

    /// Removes the entry naming `other` from `package`'s list of `kind`; false when absent.
    pub async fn remove_incompatibility(
        &self,
        tenant: TenantId,
        package: AccessPackageId,
        kind: IncompatibleKind,
        other: Uuid,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let rows: Vec<Incompatibility> = record::all_where(&mut tx, tenant, &pair(package, kind, other)).await?;
        let mut removed = false;
        for r in rows {
            removed |= record::delete::<Incompatibility>(&mut tx, tenant, r.id).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// The package's own entries, oldest first.
    pub async fn incompatibilities_of(
        &self,
        tenant: TenantId,
        package: AccessPackageId,
    ) -> Result<Vec<Incompatibility>, StoreError> {
        let f = Filter::eq("access_package_id", Value::Uuid(package.0));
        let mut rows: Vec<Incompatibility> = record::all_where(&mut self.read().await?, tenant, &f).await?;
        rows.sort_by_key(|r| (r.created_date_time, r.id));
        Ok(rows)
    }

    /// The packages that list `package` as incompatible (`accessPackagesIncompatibleWith`).
    pub async fn packages_incompatible_with(
        &self,
        tenant: TenantId,
        package: AccessPackageId,
    ) -> Result<Vec<AccessPackageId>, StoreError> {
        let f = Filter::and(vec![
            Filter::eq("incompatible_id", Value::Uuid(package.0)),
            Filter::eq("kind", Value::Text(IncompatibleKind::AccessPackage.as_str().into())),
        ]);
        let rows: Vec<Incompatibility> = record::all_where(&mut self.read().await?, tenant, &f).await?;
        Ok(rows.into_iter().map(|r| r.access_package_id).collect())
    }

    /// The open requests of `target` across packages.
    pub async fn open_requests_of_target(
        &self,
        tenant: TenantId,
        target: ObjectId,
    ) -> Result<Vec<AssignmentRequest>, StoreError> {
        let f =
            Filter::and(vec![Filter::eq("target_id", Value::Uuid(target.0)), Filter::eq("is_open", Value::Bool(true))]);
        record::all_where(&mut self.read().await?, tenant, &f).await
    }
}

fn pair(package: AccessPackageId, kind: IncompatibleKind, other: Uuid) -> Filter {
    Filter::and(vec![
        Filter::eq("access_package_id", Value::Uuid(package.0)),
        Filter::eq("kind", Value::Text(kind.as_str().into())),
        Filter::eq("incompatible_id", Value::Uuid(other)),
    ])
}
