//! The navigation properties of every entity grantd serves, per API version, and the entity
//! each one leads to: what `$expand` (with nested options) and `$select` of navigation
//! properties are checked against.
use crate::json::ApiVersion;

/// An entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Catalog,
    Package,
    Policy,
    Resource,
    Role,
    Scope,
    RoleScope,
    ResourceRequest,
    RoleAssignment,
    Request,
    Assignment,
}

/// One navigation property: its wire name and the entity it leads to (`None` for navigations
/// rendered inline whose items cannot be expanded further, such as a policy's `questions`).
pub type NavDef = (&'static str, Option<Kind>);

impl Kind {
    /// The qualified Graph type name.
    pub fn entity(self) -> &'static str {
        match self {
            Kind::User => "microsoft.graph.user",
            Kind::Group => "microsoft.graph.group",
            Kind::Catalog => "microsoft.graph.accessPackageCatalog",
            Kind::Package => "microsoft.graph.accessPackage",
            Kind::Policy => "microsoft.graph.accessPackageAssignmentPolicy",
            Kind::Resource => "microsoft.graph.accessPackageResource",
            Kind::Role => "microsoft.graph.accessPackageResourceRole",
            Kind::Scope => "microsoft.graph.accessPackageResourceScope",
            Kind::RoleScope => "microsoft.graph.accessPackageResourceRoleScope",
            Kind::ResourceRequest => "microsoft.graph.accessPackageResourceRequest",
            Kind::RoleAssignment => "microsoft.graph.unifiedRoleAssignment",
            Kind::Request => "microsoft.graph.accessPackageAssignmentRequest",
            Kind::Assignment => "microsoft.graph.accessPackageAssignment",
        }
    }

    /// The kind whose qualified name is `entity`.
    pub fn from_entity(entity: &str) -> Option<Kind> {
        use Kind::*;
        [
            User,
            Group,
            Catalog,
            Package,
            Policy,
            Resource,
            Role,
            Scope,
            RoleScope,
            ResourceRequest,
            RoleAssignment,
            Request,
            Assignment,
        ]
        .into_iter()
        .find(|k| k.entity() == entity)
    }

    /// The navigation properties `$expand` accepts on this entity in `v`.
    pub fn navs(self, v: ApiVersion) -> &'static [NavDef] {
        use Kind::*;
        let v1 = v == ApiVersion::V1;
        match self {
            User => &[("manager", Some(User)), ("sponsors", Some(User))],
            Group | RoleAssignment => &[],
            Catalog => &[("accessPackages", Some(Package))],
            Package if v1 => &[
                ("catalog", Some(Catalog)),
                ("assignmentPolicies", Some(Policy)),
                ("resourceRoleScopes", Some(RoleScope)),
            ],
            Package => &[
                ("accessPackageCatalog", Some(Catalog)),
                ("accessPackageAssignmentPolicies", Some(Policy)),
                ("accessPackageResourceRoleScopes", Some(RoleScope)),
            ],
            Policy if v1 => &[
                ("accessPackage", Some(Package)),
                ("catalog", Some(Catalog)),
                ("questions", None),
                ("customExtensionStageSettings", None),
            ],
            Policy => &[
                ("accessPackage", Some(Package)),
                ("accessPackageCatalog", Some(Catalog)),
                ("questions", None),
                ("customExtensionStageSettings", None),
                ("customExtensionHandlers", None),
            ],
            Resource if v1 => &[("roles", Some(Role)), ("scopes", Some(Scope))],
            Resource => &[("accessPackageResourceRoles", Some(Role)), ("accessPackageResourceScopes", Some(Scope))],
            Role | Scope if v1 => &[("resource", Some(Resource))],
            Role | Scope => &[("accessPackageResource", Some(Resource))],
            RoleScope if v1 => &[("role", Some(Role)), ("scope", Some(Scope))],
            RoleScope => &[("accessPackageResourceRole", Some(Role)), ("accessPackageResourceScope", Some(Scope))],
            ResourceRequest if v1 => &[("catalog", Some(Catalog)), ("resource", Some(Resource))],
            ResourceRequest => &[("accessPackageResource", Some(Resource))],
            // The requestor and target are subjects rendered inline (no further expansion).
            Request if v1 => &[("accessPackage", Some(Package)), ("assignment", Some(Assignment)), ("requestor", None)],
            Request => {
                &[("accessPackage", Some(Package)), ("accessPackageAssignment", Some(Assignment)), ("requestor", None)]
            }
            Assignment if v1 => {
                &[("accessPackage", Some(Package)), ("assignmentPolicy", Some(Policy)), ("target", None)]
            }
            Assignment => {
                &[("accessPackage", Some(Package)), ("accessPackageAssignmentPolicy", Some(Policy)), ("target", None)]
            }
        }
    }

    /// The navigation named `name` (any case).
    pub fn nav(self, v: ApiVersion, name: &str) -> Option<&'static NavDef> {
        self.navs(v).iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}
