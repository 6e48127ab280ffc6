//! The tenant's entitlement-management settings (`entitlement_settings`, one document per
//! tenant under a fixed id) and the external users grantd governs (`governed_subjects`, written
//! with the request that created the user; see `submit_request`). Migration 0011.
use crate::db::Store;
use crate::error::StoreError;
use crate::record::{self, Record};
use grantd_domain::external_users::{EntitlementSettings, GovernedSubject};
use grantd_domain::filter::Value;
use grantd_domain::{ObjectId, TenantId};
use uuid::Uuid;

/// The one row of a tenant's settings.
const SETTINGS_ID: Uuid = Uuid::nil();

impl Record for EntitlementSettings {
    const TABLE: &'static str = "entitlement_settings";
    fn record_id(&self) -> Uuid {
        SETTINGS_ID
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
}

impl Record for GovernedSubject {
    const TABLE: &'static str = "governed_subjects";
    fn record_id(&self) -> Uuid {
        self.user_id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![("created_date_time", Value::DateTime(self.created_date_time))]
    }
}

impl Store {
    /// The tenant's settings (the defaults until an administrator writes them).
    pub async fn entitlement_settings(&self, tenant: TenantId) -> Result<EntitlementSettings, StoreError> {
        Ok(record::get(&mut self.read_one().await?, tenant, SETTINGS_ID).await?.unwrap_or_default())
    }

    /// Writes the tenant's settings (insert or replace).
    pub async fn put_entitlement_settings(&self, tenant: TenantId, s: &EntitlementSettings) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let existing: Option<EntitlementSettings> = record::get(&mut tx, tenant, SETTINGS_ID).await?;
        match existing {
            Some(_) => record::update(&mut tx, tenant, s).await?,
            None => record::insert(&mut tx, tenant, s).await?,
        }
        tx.commit().await
    }

    /// The user was created by grantd for an add request.
    pub async fn is_governed_subject(&self, tenant: TenantId, user: ObjectId) -> Result<bool, StoreError> {
        Ok(record::get::<GovernedSubject>(&mut self.read_one().await?, tenant, user.0).await?.is_some())
    }
}
