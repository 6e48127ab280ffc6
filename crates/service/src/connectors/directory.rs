//! The built-in connector: membership of grantd's own directory groups. A resource's origin id
//! is the group's object id; only `Member_…` roles are delivered (group ownership is not
//! something grantd grants). Adding an existing member and removing a non-member succeed.
use super::{Access, Connector, ConnectorError};
use async_trait::async_trait;
use grantd_domain::ObjectId;
use grantd_store::Store;

pub struct DirectoryConnector {
    store: Store,
}

impl DirectoryConnector {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    fn group(a: &Access) -> Result<ObjectId, ConnectorError> {
        if !a.role_origin_id.to_ascii_lowercase().starts_with("member_") {
            return Err(ConnectorError::Permanent(format!(
                "grantd delivers group membership only, not the role '{}'",
                a.role_origin_id
            )));
        }
        grantd_domain::parse_guid(&a.resource_origin_id)
            .map(ObjectId)
            .ok_or_else(|| ConnectorError::Permanent(format!("'{}' is not a group id", a.resource_origin_id)))
    }
}

fn store_error(e: grantd_store::StoreError) -> ConnectorError {
    ConnectorError::Transient(e.to_string())
}

#[async_trait]
impl Connector for DirectoryConnector {
    async fn grant(&self, a: &Access) -> Result<(), ConnectorError> {
        let g = Self::group(a)?;
        if self.store.get_group(a.tenant, g).await.map_err(store_error)?.is_none() {
            return Err(ConnectorError::Permanent(format!("the group {g} no longer exists")));
        }
        self.store.add_member(a.tenant, g, a.subject.id).await.map_err(store_error)?;
        Ok(())
    }

    async fn revoke(&self, a: &Access) -> Result<(), ConnectorError> {
        // A role grantd never grants (ownership, a malformed id) has nothing to take away.
        let Ok(g) = Self::group(a) else { return Ok(()) };
        if self.store.get_group(a.tenant, g).await.map_err(store_error)?.is_none() {
            return Ok(());
        }
        self.store.remove_member(a.tenant, g, a.subject.id).await.map_err(store_error)?;
        Ok(())
    }

    fn is_local(&self) -> bool {
        true
    }
}
