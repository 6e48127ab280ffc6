//! Who is calling and what they may do: the caller (from a verified token), Microsoft Entra
//! directory roles (token `wids`), the entitlement-management roles scoped to catalogs
//! (`/roleManagement/entitlementManagement/roleAssignments`), and the permission checks that
//! combine them the way Graph documents (reference/graph/endpoints.md §6).
use crate::ids::{CatalogId, ObjectId, TenantId};
use uuid::{uuid, Uuid};

pub const SCOPE_READ_ALL: &str = "EntitlementManagement.Read.All";
pub const SCOPE_READ_WRITE_ALL: &str = "EntitlementManagement.ReadWrite.All";
pub const SCOPE_SUBJECT_ACCESS: &str = "EntitlementMgmt-SubjectAccess.ReadWrite";

/// Microsoft Entra built-in directory roles that matter here, by role template id (`wids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryRole {
    GlobalAdministrator,
    IdentityGovernanceAdministrator,
    GlobalReader,
    UserAdministrator,
    GroupsAdministrator,
}

impl DirectoryRole {
    pub const ALL: [DirectoryRole; 5] = [
        DirectoryRole::GlobalAdministrator,
        DirectoryRole::IdentityGovernanceAdministrator,
        DirectoryRole::GlobalReader,
        DirectoryRole::UserAdministrator,
        DirectoryRole::GroupsAdministrator,
    ];
    pub fn template_id(self) -> Uuid {
        match self {
            DirectoryRole::GlobalAdministrator => uuid!("62e90394-69f5-4237-9190-012177145e10"),
            DirectoryRole::IdentityGovernanceAdministrator => uuid!("45d8d3c5-c802-45c6-b32a-1d70b22e4bd2"),
            DirectoryRole::GlobalReader => uuid!("f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
            DirectoryRole::UserAdministrator => uuid!("fe930be7-5e62-47db-91af-98c3a49a38b1"),
            DirectoryRole::GroupsAdministrator => uuid!("fdd7a751-b60b-444a-984c-02652fe8fa1c"),
        }
    }
    /// The short name used on grantd's command line (`grantd token --role ...`).
    pub fn name(self) -> &'static str {
        match self {
            DirectoryRole::GlobalAdministrator => "GlobalAdministrator",
            DirectoryRole::IdentityGovernanceAdministrator => "IdentityGovernanceAdministrator",
            DirectoryRole::GlobalReader => "GlobalReader",
            DirectoryRole::UserAdministrator => "UserAdministrator",
            DirectoryRole::GroupsAdministrator => "GroupsAdministrator",
        }
    }
    pub fn from_template_id(id: Uuid) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.template_id() == id)
    }
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name().eq_ignore_ascii_case(name))
    }
}

/// The entitlement-management roles (role definitions of the `entitlementManagement` RBAC
/// provider). All but CatalogCreator are scoped to one catalog (`appScopeId`
/// `/AccessPackageCatalog/{id}`); CatalogCreator is tenant-wide (`appScopeId` `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EmRole {
    CatalogReader,
    AccessPackageAssignmentManager,
    AccessPackageManager,
    CatalogOwner,
    CatalogCreator,
}

impl EmRole {
    pub const ALL: [EmRole; 5] = [
        EmRole::CatalogReader,
        EmRole::AccessPackageAssignmentManager,
        EmRole::AccessPackageManager,
        EmRole::CatalogOwner,
        EmRole::CatalogCreator,
    ];
    pub fn definition_id(self) -> Uuid {
        match self {
            EmRole::CatalogCreator => uuid!("ba92d953-d8e0-4e39-a797-0cbedb0a89e8"),
            EmRole::CatalogOwner => uuid!("ae79f266-94d4-4dab-b730-feca7e132178"),
            EmRole::CatalogReader => uuid!("44272f93-9762-48e8-af59-1b5351b1d6b3"),
            EmRole::AccessPackageManager => uuid!("7f480852-ebdc-47d4-87de-0d8498384a83"),
            EmRole::AccessPackageAssignmentManager => uuid!("e2182095-804a-4656-ae11-64734e9b7ae5"),
        }
    }
    pub fn display_name(self) -> &'static str {
        match self {
            EmRole::CatalogCreator => "Catalog creator",
            EmRole::CatalogOwner => "Catalog owner",
            EmRole::CatalogReader => "Catalog reader",
            EmRole::AccessPackageManager => "Access package manager",
            EmRole::AccessPackageAssignmentManager => "Access package assignment manager",
        }
    }
    pub fn from_definition_id(id: Uuid) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.definition_id() == id)
    }
}

/// What a caller wants to do with a catalog's contents, from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogAction {
    /// Read the catalog, its packages, policies, resources, assignments and requests.
    Read,
    /// Create and manage assignments (admin request types) in the catalog's packages.
    ManageAssignments,
    /// Create and edit access packages and their policies and role scopes.
    ManagePackages,
    /// Edit the catalog itself, add and remove resources, manage catalog roles.
    ManageCatalog,
}

impl CatalogAction {
    fn allowed_by(self, role: EmRole) -> bool {
        match self {
            CatalogAction::Read => role != EmRole::CatalogCreator,
            CatalogAction::ManageAssignments => matches!(
                role,
                EmRole::AccessPackageAssignmentManager | EmRole::AccessPackageManager | EmRole::CatalogOwner
            ),
            CatalogAction::ManagePackages => matches!(role, EmRole::AccessPackageManager | EmRole::CatalogOwner),
            CatalogAction::ManageCatalog => role == EmRole::CatalogOwner,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in user (delegated token). `oid` is the user's object id.
    User { id: ObjectId },
    /// An application acting as itself (app-only token).
    App { app_id: String },
}

/// The verified caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub principal: Principal,
    /// Delegated scopes (`scp`), for user tokens.
    pub scopes: Vec<String>,
    /// Application permissions (`roles`), for app tokens.
    pub app_roles: Vec<String>,
    /// Directory roles (`wids`), for user tokens.
    pub directory_roles: Vec<DirectoryRole>,
    /// Entitlement-management role assignments held by the caller (loaded from the store).
    pub em_roles: Vec<(EmRole, Option<CatalogId>)>,
}

impl Caller {
    pub fn user_id(&self) -> Option<ObjectId> {
        match &self.principal {
            Principal::User { id } => Some(*id),
            Principal::App { .. } => None,
        }
    }
    pub fn is_app(&self) -> bool {
        matches!(self.principal, Principal::App { .. })
    }
    fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|x| x.eq_ignore_ascii_case(s))
    }
    fn has_app_role(&self, s: &str) -> bool {
        self.app_roles.iter().any(|x| x.eq_ignore_ascii_case(s))
    }
    fn has_dir_role(&self, r: DirectoryRole) -> bool {
        self.directory_roles.contains(&r)
    }

    /// The token grants entitlement-management read (delegated scope or app permission).
    pub fn may_read_em(&self) -> bool {
        if self.is_app() {
            self.has_app_role(SCOPE_READ_ALL) || self.has_app_role(SCOPE_READ_WRITE_ALL) || !self.em_roles.is_empty()
        } else {
            self.has_scope(SCOPE_READ_ALL) || self.has_scope(SCOPE_READ_WRITE_ALL)
        }
    }
    /// The token grants entitlement-management write.
    pub fn may_write_em(&self) -> bool {
        if self.is_app() {
            self.has_app_role(SCOPE_READ_WRITE_ALL) || !self.em_roles.is_empty()
        } else {
            self.has_scope(SCOPE_READ_WRITE_ALL)
        }
    }

    /// Tenant-wide entitlement-management administration: an app with the ReadWrite.All
    /// permission, or a user with ReadWrite.All consent and the Global or Identity Governance
    /// Administrator role.
    pub fn is_em_admin(&self) -> bool {
        if self.is_app() {
            self.has_app_role(SCOPE_READ_WRITE_ALL)
        } else {
            self.has_scope(SCOPE_READ_WRITE_ALL)
                && (self.has_dir_role(DirectoryRole::GlobalAdministrator)
                    || self.has_dir_role(DirectoryRole::IdentityGovernanceAdministrator))
        }
    }
    /// Tenant-wide entitlement-management read: any EM admin, an app with Read.All, or a user
    /// consented for Read.All holding an admin or Global Reader role.
    pub fn is_em_reader(&self) -> bool {
        if self.is_em_admin() {
            return true;
        }
        if self.is_app() {
            self.has_app_role(SCOPE_READ_ALL)
        } else {
            self.may_read_em()
                && (self.has_dir_role(DirectoryRole::GlobalAdministrator)
                    || self.has_dir_role(DirectoryRole::IdentityGovernanceAdministrator)
                    || self.has_dir_role(DirectoryRole::GlobalReader))
        }
    }

    /// May the caller do `action` inside `catalog`?
    pub fn may_on_catalog(&self, catalog: CatalogId, action: CatalogAction) -> bool {
        let token_ok = match action {
            CatalogAction::Read => self.may_read_em(),
            _ => self.may_write_em(),
        };
        if !token_ok {
            return false;
        }
        let tenant_wide = match action {
            CatalogAction::Read => self.is_em_reader(),
            _ => self.is_em_admin(),
        };
        tenant_wide || self.em_roles.iter().any(|(role, scope)| *scope == Some(catalog) && action.allowed_by(*role))
    }

    /// Catalogs the caller can see through catalog-scoped roles (None = all of them).
    pub fn readable_catalogs(&self) -> Option<Vec<CatalogId>> {
        if self.is_em_reader() {
            return None;
        }
        if !self.may_read_em() {
            return Some(Vec::new());
        }
        let mut v: Vec<CatalogId> =
            self.em_roles.iter().filter(|(r, _)| CatalogAction::Read.allowed_by(*r)).filter_map(|(_, c)| *c).collect();
        v.sort();
        v.dedup();
        Some(v)
    }

    /// May create catalogs: EM admins and catalog creators.
    pub fn may_create_catalog(&self) -> bool {
        self.may_write_em() && (self.is_em_admin() || self.em_roles.iter().any(|(r, _)| *r == EmRole::CatalogCreator))
    }

    /// May manage entitlement-management role assignments tenant-wide.
    pub fn may_manage_em_roles(&self) -> bool {
        self.is_em_admin()
    }

    /// Directory read (users, groups): any caller of the tenant with a token; Graph's
    /// `User.ReadBasic.All` is granted to every signed-in user by default.
    pub fn may_read_directory(&self) -> bool {
        true
    }
    /// Directory write: apps with `User.ReadWrite.All`/`Directory.ReadWrite.All`
    /// (or `Group.ReadWrite.All` for groups), users with an administrator role.
    pub fn may_write_users(&self) -> bool {
        if self.is_app() {
            self.has_app_role("User.ReadWrite.All") || self.has_app_role("Directory.ReadWrite.All")
        } else {
            self.has_dir_role(DirectoryRole::GlobalAdministrator) || self.has_dir_role(DirectoryRole::UserAdministrator)
        }
    }
    pub fn may_write_groups(&self) -> bool {
        if self.is_app() {
            self.has_app_role("Group.ReadWrite.All") || self.has_app_role("Directory.ReadWrite.All")
        } else {
            self.has_dir_role(DirectoryRole::GlobalAdministrator)
                || self.has_dir_role(DirectoryRole::GroupsAdministrator)
                || self.has_dir_role(DirectoryRole::UserAdministrator)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(scopes: &[&str], dir: &[DirectoryRole], em: &[(EmRole, Option<CatalogId>)]) -> Caller {
        Caller {
            tenant: TenantId::new(),
            principal: Principal::User { id: ObjectId::new() },
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            app_roles: vec![],
            directory_roles: dir.to_vec(),
            em_roles: em.to_vec(),
        }
    }

    #[test]
    fn catalog_reader_reads_only_its_catalog_and_cannot_write() {
        let x = CatalogId::new();
        let y = CatalogId::new();
        let c = user(&[SCOPE_READ_WRITE_ALL], &[], &[(EmRole::CatalogReader, Some(x))]);
        assert!(c.may_on_catalog(x, CatalogAction::Read));
        assert!(!c.may_on_catalog(y, CatalogAction::Read));
        assert!(!c.may_on_catalog(x, CatalogAction::ManagePackages));
        assert!(!c.may_create_catalog());
        assert_eq!(c.readable_catalogs(), Some(vec![x]));
    }

    #[test]
    fn role_ladder_matches_graph_docs() {
        let x = CatalogId::new();
        let table = [
            (EmRole::AccessPackageAssignmentManager, [true, true, false, false]),
            (EmRole::AccessPackageManager, [true, true, true, false]),
            (EmRole::CatalogOwner, [true, true, true, true]),
            (EmRole::CatalogReader, [true, false, false, false]),
        ];
        let actions = [
            CatalogAction::Read,
            CatalogAction::ManageAssignments,
            CatalogAction::ManagePackages,
            CatalogAction::ManageCatalog,
        ];
        for (role, expect) in table {
            let c = user(&[SCOPE_READ_WRITE_ALL], &[], &[(role, Some(x))]);
            for (a, e) in actions.iter().zip(expect) {
                assert_eq!(c.may_on_catalog(x, *a), e, "{role:?} {a:?}");
            }
        }
    }

    #[test]
    fn admin_role_needs_the_scope_too() {
        let x = CatalogId::new();
        let no_scope = user(&[], &[DirectoryRole::IdentityGovernanceAdministrator], &[]);
        assert!(!no_scope.may_on_catalog(x, CatalogAction::Read));
        let read_only = user(&[SCOPE_READ_ALL], &[DirectoryRole::IdentityGovernanceAdministrator], &[]);
        assert!(read_only.may_on_catalog(x, CatalogAction::Read));
        assert!(!read_only.may_on_catalog(x, CatalogAction::ManageCatalog));
        let admin = user(&[SCOPE_READ_WRITE_ALL], &[DirectoryRole::GlobalAdministrator], &[]);
        assert!(admin.may_on_catalog(x, CatalogAction::ManageCatalog));
        assert_eq!(admin.readable_catalogs(), None);
    }

    #[test]
    fn plain_user_sees_no_catalogs() {
        let c = user(&[SCOPE_SUBJECT_ACCESS], &[], &[]);
        assert_eq!(c.readable_catalogs(), Some(vec![]));
        assert!(!c.may_create_catalog());
    }
}

/// An entitlement-management role assignment (`unifiedRoleAssignment` under
/// `/roleManagement/entitlementManagement/roleAssignments`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub id: crate::ids::RoleAssignmentId,
    /// A user or a group (members of the group hold the role).
    pub principal_id: ObjectId,
    pub role_definition_id: Uuid,
    /// `/` for tenant-wide roles, `/AccessPackageCatalog/{catalogId}` for catalog roles.
    pub app_scope_id: String,
    pub catalog_id: Option<CatalogId>,
    pub created_date_time: chrono::DateTime<chrono::Utc>,
}

impl RoleAssignment {
    pub fn role(&self) -> Option<EmRole> {
        EmRole::from_definition_id(self.role_definition_id)
    }
}

/// Parses an `appScopeId` for a role: `/` for the tenant-wide catalog creator role,
/// `/AccessPackageCatalog/{guid}` for the catalog roles.
pub fn parse_app_scope(role: EmRole, scope: &str) -> Result<Option<CatalogId>, crate::DomainError> {
    let bad = || {
        crate::DomainError::invalid(
            "InvalidModel",
            format!("The appScopeId '{scope}' is not valid for the role '{}'.", role.display_name()),
        )
    };
    if role == EmRole::CatalogCreator {
        return if scope == "/" { Ok(None) } else { Err(bad()) };
    }
    let rest = scope.strip_prefix("/AccessPackageCatalog/").ok_or_else(bad)?;
    crate::ids::parse_guid(rest).map(|u| Some(CatalogId(u))).ok_or_else(bad)
}

const ROLE_ASSIGNMENT_FIELDS: &[crate::fields::Field] = &[
    crate::fields::field(&["id"], "id", crate::fields::FieldKind::Uuid, true),
    crate::fields::field(&["principalid"], "principal_id", crate::fields::FieldKind::Uuid, true),
    crate::fields::field(&["roledefinitionid"], "role_definition_id", crate::fields::FieldKind::Uuid, true),
    crate::fields::field(&["appscopeid"], "app_scope_id", crate::fields::FieldKind::Text, true),
    crate::fields::field(&["createddatetime"], "created_date_time", crate::fields::FieldKind::DateTime, true),
    crate::fields::opaque(&["directoryscopeid", "principal", "roledefinition", "appscope", "directoryscope"]),
];

pub const ROLE_ASSIGNMENT_CATALOG: crate::fields::FieldCatalog = crate::fields::FieldCatalog {
    entity: "microsoft.graph.unifiedRoleAssignment",
    fields: ROLE_ASSIGNMENT_FIELDS,
    relations: &[],
    default_order: &[],
};
