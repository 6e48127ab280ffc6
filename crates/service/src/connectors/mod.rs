//! Delivery connectors: the port through which grantd grants and revokes access at a target
//! system, one implementation per kind: grantd's own directory groups (`directory`), SCIM 2.0
//! service providers (`scim`) and signed webhooks (`webhook`). `Connectors` picks the connector
//! of a resource by its origin system. A connector call is idempotent (granting what is already
//! granted, or revoking what is gone, succeeds) and says whether a failure is worth retrying.
//! Nothing here knows requests, jobs or the state machine.
mod config;
mod directory;
mod http;
mod scim;
mod webhook;

pub use config::{ConnectorConfig, ConnectorKind, OAuth2Config, Secret};
pub use directory::DirectoryConnector;

use async_trait::async_trait;
use grantd_domain::{AssignmentRequestId, ObjectId, TenantId};
use grantd_store::Store;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a grant or revoke did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Worth retrying: the target was unreachable, timed out, answered 5xx or 429.
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help: the target refused the data (4xx), or grantd cannot deliver it.
    #[error("{0}")]
    Permanent(String),
}

/// The user access is granted to, as target systems identify them.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub id: ObjectId,
    pub user_principal_name: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
}

/// One grant or revoke: who, which resource and role (by their ids in the origin system).
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub tenant: TenantId,
    pub subject: Subject,
    pub resource_origin_id: String,
    pub role_origin_id: String,
    /// Identifies the delivery to the target (the item id; stable across retries).
    pub delivery_id: uuid::Uuid,
    pub request_id: AssignmentRequestId,
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// Gives `a.subject` the role on the resource; succeeds when it already has it.
    async fn grant(&self, a: &Access) -> Result<(), ConnectorError>;
    /// Takes the role away; succeeds when the subject does not have it.
    async fn revoke(&self, a: &Access) -> Result<(), ConnectorError>;
    /// Runs in the delivery job itself (a local write), rather than as a job of its own.
    fn is_local(&self) -> bool {
        false
    }
}

/// The connectors by origin system (case-insensitive): `AadGroup` is always the directory.
#[derive(Clone)]
pub struct Connectors {
    directory: Arc<dyn Connector>,
    by_origin: HashMap<String, Arc<dyn Connector>>,
}

impl Connectors {
    /// Only grantd's own directory groups.
    pub fn directory_only(store: Store) -> Connectors {
        Connectors { directory: Arc::new(DirectoryConnector::new(store)), by_origin: HashMap::new() }
    }

    /// The directory plus one connector per configuration (validated here).
    pub fn from_config(store: Store, configs: &[ConnectorConfig]) -> Result<Connectors, String> {
        let mut c = Connectors::directory_only(store);
        for cfg in configs {
            cfg.validate()?;
            let key = cfg.origin_system.to_ascii_lowercase();
            if c.by_origin.contains_key(&key) {
                return Err(format!("two connectors for origin_system {}", cfg.origin_system));
            }
            let client = http::Client::new(cfg)?;
            let conn: Arc<dyn Connector> = match cfg.kind {
                ConnectorKind::Scim => Arc::new(scim::ScimConnector::new(client)),
                ConnectorKind::Webhook => {
                    let secret = cfg.signing_secret.clone().unwrap_or_default();
                    Arc::new(webhook::WebhookConnector::new(client, secret))
                }
            };
            c.by_origin.insert(key, conn);
        }
        Ok(c)
    }

    /// The connector for a resource's origin system, if grantd can deliver it.
    pub fn for_origin(&self, origin_system: &str) -> Option<Arc<dyn Connector>> {
        if origin_system.eq_ignore_ascii_case(grantd_domain::resource::AAD_GROUP) {
            return Some(self.directory.clone());
        }
        self.by_origin.get(&origin_system.to_ascii_lowercase()).cloned()
    }
}
