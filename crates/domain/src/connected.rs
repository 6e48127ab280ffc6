//! Connected organizations: external organizations whose users may request access
//! (`connectedOrganization`, the same shape on v1.0 and beta), with their identity sources
//! (tenants, domains, federations) and internal/external sponsors, and the rule that places an
//! external user in one of them by the domain of their e-mail address. No wire names here
//! beyond Graph's own type names.
use crate::catalog::check_name;
use crate::error::DomainError;
use crate::fields::{field, nullable, opaque, Field, FieldCatalog, FieldKind};
use crate::ids::ObjectId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const STATES: &[(&str, &str)] = &[("configured", "configured"), ("proposed", "proposed")];

/// One `identitySource`: the derived type name and the properties it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySource {
    /// `azureActiveDirectoryTenant`, `domainIdentitySource`, `externalDomainFederation`,
    /// `socialIdentitySource`, `crossCloudAzureActiveDirectoryTenant`.
    pub kind: String,
    pub display_name: Option<String>,
    pub domain_name: Option<String>,
    pub tenant_id: Option<String>,
    pub issuer_uri: Option<String>,
    pub social_identity_source_type: Option<String>,
    pub cloud_instance: Option<String>,
}

impl IdentitySource {
    /// The known derived types of `identitySource`.
    pub const KINDS: &'static [&'static str] = &[
        "azureActiveDirectoryTenant",
        "domainIdentitySource",
        "externalDomainFederation",
        "socialIdentitySource",
        "crossCloudAzureActiveDirectoryTenant",
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedOrganization {
    pub id: Uuid,
    pub display_name: String,
    pub description: Option<String>,
    /// `configured` or `proposed`.
    pub state: String,
    #[serde(default)]
    pub identity_sources: Vec<IdentitySource>,
    #[serde(default)]
    pub internal_sponsors: Vec<ObjectId>,
    #[serde(default)]
    pub external_sponsors: Vec<ObjectId>,
    pub created_by: Option<String>,
    pub modified_by: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

impl ConnectedOrganization {
    pub fn validate(&self) -> Result<(), DomainError> {
        check_name("displayName", &self.display_name)?;
        for (i, s) in self.identity_sources.iter().enumerate() {
            let needs_domain = matches!(s.kind.as_str(), "domainIdentitySource" | "externalDomainFederation");
            if needs_domain && s.domain_name.as_deref().is_none_or(|d| d.trim().is_empty() || !d.contains('.')) {
                return Err(DomainError::invalid(
                    "InvalidModel",
                    format!("The property 'identitySources[{i}].domainName' must be a domain name."),
                ));
            }
            if s.kind == "azureActiveDirectoryTenant" && s.tenant_id.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(DomainError::invalid(
                    "InvalidModel",
                    format!("The property 'identitySources[{i}].tenantId' is required."),
                ));
            }
        }
        Ok(())
    }

    pub fn is_configured(&self) -> bool {
        self.state == "configured"
    }

    /// The organization names `domain` (case-insensitive) in a domain or federation source.
    pub fn has_domain(&self, domain: &str) -> bool {
        self.identity_sources.iter().any(|s| s.domain_name.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(domain)))
    }
}

/// The domain of an e-mail address or principal name (`a@contoso.com` → `contoso.com`);
/// a guest principal name (`a_contoso.com#EXT#@tenant`) gives the home domain.
pub fn domain_of(address: &str) -> Option<String> {
    let a = address.trim();
    if let Some((local, _)) = a.split_once("#EXT#") {
        return local.rsplit_once('_').map(|(_, d)| d.to_ascii_lowercase()).filter(|d| d.contains('.'));
    }
    a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).filter(|d| d.contains('.'))
}

/// The connected organization an external user belongs to: the first whose identity sources
/// name the domain of their e-mail (else principal name), preferring configured ones.
pub fn organization_of<'o>(
    orgs: &'o [ConnectedOrganization],
    mail: Option<&str>,
    upn: &str,
) -> Option<&'o ConnectedOrganization> {
    let domain = mail.and_then(domain_of).or_else(|| domain_of(upn))?;
    let mut matching: Vec<&ConnectedOrganization> = orgs.iter().filter(|o| o.has_domain(&domain)).collect();
    matching.sort_by_key(|o| (!o.is_configured(), o.created_date_time));
    matching.first().copied()
}

const FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["state"], "state", FieldKind::Enum(STATES), true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    opaque(&["identitysources", "internalsponsors", "externalsponsors", "createdby", "modifiedby"]),
];
pub const CONNECTED_ORGANIZATION: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.connectedOrganization",
    fields: FIELDS,
    relations: &[],
    default_order: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn org(domain: &str, state: &str) -> ConnectedOrganization {
        ConnectedOrganization {
            id: Uuid::now_v7(),
            display_name: domain.into(),
            description: None,
            state: state.into(),
            identity_sources: vec![IdentitySource {
                kind: "domainIdentitySource".into(),
                display_name: Some(domain.into()),
                domain_name: Some(domain.into()),
                tenant_id: None,
                issuer_uri: None,
                social_identity_source_type: None,
                cloud_instance: None,
            }],
            internal_sponsors: vec![],
            external_sponsors: vec![],
            created_by: None,
            modified_by: None,
            created_date_time: Utc::now(),
            modified_date_time: Utc::now(),
        }
    }

    #[test]
    fn users_are_placed_by_the_domain_of_their_address() {
        let orgs = vec![org("fabrikam.com", "proposed"), org("Contoso.com", "configured")];
        assert_eq!(domain_of("alice_contoso.com#EXT#@tenant.onmicrosoft.com").as_deref(), Some("contoso.com"));
        assert_eq!(
            organization_of(&orgs, Some("bob@CONTOSO.com"), "x").map(|o| o.display_name.as_str()),
            Some("Contoso.com")
        );
        assert_eq!(organization_of(&orgs, None, "eve@fabrikam.com").map(|o| o.state.as_str()), Some("proposed"));
        assert!(organization_of(&orgs, Some("mallory@example.org"), "m@example.org").is_none());
    }
}
