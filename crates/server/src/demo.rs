//! The demo tenant (`grantd serve --demo`): a dozen users with managers, a few groups, an
//! Identity Governance Administrator, and entitlement objects to request (two catalogs, the
//! demo groups as their resources, three access packages granting group membership). Seeding
//! is idempotent: what already exists is left as it is.
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::directory::{Group, User};
use grantd_domain::resource::{onboard_group, GroupFacts, ResourceRequest, ResourceRoleScope};
use grantd_domain::{AccessPackageId, CatalogId, Clock, ObjectId, ResourceRequestId, RoleScopeId, TenantId};
use grantd_store::{Store, StoreError};
use uuid::{uuid, Uuid};

pub const DEMO_TENANT: TenantId = TenantId(uuid!("5e3ba5e5-0000-4000-8000-00000000d3e0"));
pub const DEMO_DOMAIN: &str = "contoso.example";

/// (object id suffix, given name, surname, job title, department, manager index)
type Person = (u16, &'static str, &'static str, &'static str, &'static str, Option<usize>);
const PEOPLE: &[Person] = &[
    (1, "Alex", "Wilber", "Chief Executive Officer", "Executive", None),
    (2, "Megan", "Bowen", "Identity Governance Administrator", "IT", Some(0)),
    (3, "Lee", "Gu", "IT Manager", "IT", Some(0)),
    (4, "Adele", "Vance", "Sales Director", "Sales", Some(0)),
    (5, "Diego", "Siciliani", "Account Manager", "Sales", Some(3)),
    (6, "Isaiah", "Langer", "Sales Representative", "Sales", Some(3)),
    (7, "Johanna", "Lorenz", "Engineering Manager", "Engineering", Some(0)),
    (8, "Lidia", "Holloway", "Software Engineer", "Engineering", Some(6)),
    (9, "Lynne", "Robbins", "Software Engineer", "Engineering", Some(6)),
    (10, "Nestor", "Wilke", "Finance Manager", "Finance", Some(0)),
    (11, "Patti", "Fernandez", "Accountant", "Finance", Some(9)),
    (12, "Pradeep", "Gupta", "Auditor", "Finance", Some(9)),
];

fn demo_id(kind: u16, n: u16) -> ObjectId {
    ObjectId(Uuid::from_u128(0x5e3b_a5e5_0000_4000_8000_0000_0000_0000 | ((kind as u128) << 16) | n as u128))
}

pub fn user_id(n: u16) -> ObjectId {
    demo_id(1, n)
}

pub fn group_id(n: u16) -> ObjectId {
    demo_id(2, n)
}

/// Demo catalogs: 1 = "General" (the built-in catalog), 2 = "Sales Resources".
pub fn catalog_id(n: u16) -> CatalogId {
    CatalogId(demo_id(3, n).0)
}

/// Demo access packages: 1 = "Sales Tools", 2 = "Engineering Onboarding", 3 = "Finance Reports".
pub fn access_package_id(n: u16) -> AccessPackageId {
    AccessPackageId(demo_id(4, n).0)
}

pub fn upn(given: &str) -> String {
    format!("{}@{DEMO_DOMAIN}", given.to_lowercase())
}

/// Seeds the demo tenant unless its first user already exists (then only what is missing of
/// the entitlement objects). Returns true when it seeded the directory.
pub async fn seed(store: &Store, clock: &dyn Clock) -> Result<bool, StoreError> {
    store.ensure_tenant(DEMO_TENANT, "Contoso (demo)").await?;
    if store.get_user(DEMO_TENANT, user_id(1)).await?.is_some() {
        seed_entitlements(store, clock).await?;
        return Ok(false);
    }
    let now = clock.now();
    for (n, given, surname, title, dept, manager) in PEOPLE {
        let u = User {
            id: user_id(*n),
            display_name: format!("{given} {surname}"),
            user_principal_name: upn(given),
            mail: Some(upn(given)),
            given_name: Some((*given).into()),
            surname: Some((*surname).into()),
            job_title: Some((*title).into()),
            department: Some((*dept).into()),
            account_enabled: true,
            user_type: "Member".into(),
            manager_id: manager.map(|m| user_id(PEOPLE[m].0)),
            sponsor_ids: Vec::new(),
            created_date_time: now,
        };
        store.create_user(DEMO_TENANT, &u).await?;
    }
    let groups: &[(u16, &str, &str, &[u16])] = &[
        (1, "Sales Team", "sales", &[4, 5, 6]),
        (2, "Engineering", "engineering", &[7, 8, 9]),
        (3, "Finance Reports Readers", "finance-readers", &[10]),
        (4, "Marketing Campaign Site", "marketing-site", &[]),
    ];
    for (n, name, nick, members) in groups {
        let g = Group {
            id: group_id(*n),
            display_name: (*name).into(),
            description: Some(format!("Demo group: {name}")),
            mail_nickname: (*nick).into(),
            mail: None,
            mail_enabled: false,
            security_enabled: true,
            group_types: Vec::new(),
            created_date_time: now,
        };
        store.create_group(DEMO_TENANT, &g).await?;
        for m in *members {
            store.add_member(DEMO_TENANT, g.id, user_id(*m)).await?;
        }
    }
    seed_entitlements(store, clock).await?;
    Ok(true)
}

/// (n, name, description, catalogType, externally visible, groups onboarded)
type DemoCatalog = (u16, &'static str, &'static str, &'static str, bool, &'static [u16]);

/// Seeds the demo catalogs, their group resources and the access packages with their group
/// member role scopes, unless the first demo catalog exists.
pub async fn seed_entitlements(store: &Store, clock: &dyn Clock) -> Result<(), StoreError> {
    if store.get_catalog(DEMO_TENANT, catalog_id(1)).await?.is_some() {
        return Ok(());
    }
    let now = clock.now();
    let admin = Some(upn("Megan"));
    let catalogs: &[DemoCatalog] = &[
        (1, "General", "Built-in catalog.", "serviceDefault", true, &[2, 3, 4]),
        (2, "Sales Resources", "Resources for the sales team and its partners.", "userManaged", false, &[1]),
    ];
    let mut member_roles = Vec::new();
    for (n, name, description, catalog_type, external, groups) in catalogs {
        let c = Catalog {
            id: catalog_id(*n),
            display_name: (*name).into(),
            description: Some((*description).into()),
            catalog_type: (*catalog_type).into(),
            state: "published".into(),
            is_externally_visible: *external,
            created_by: admin.clone(),
            modified_by: admin.clone(),
            created_date_time: now,
            modified_date_time: now,
        };
        store.create_catalog(DEMO_TENANT, &c, None).await?;
        for g in *groups {
            let Some(group) = store.get_group(DEMO_TENANT, group_id(*g)).await? else { continue };
            let facts = GroupFacts {
                id: group.id,
                display_name: &group.display_name,
                description: group.description.as_deref(),
                unified: false,
            };
            let o = onboard_group(c.id, facts, admin.clone(), now);
            let req = ResourceRequest {
                id: ResourceRequestId::new(),
                catalog_id: c.id,
                request_type: "adminAdd".into(),
                state: "delivered".into(),
                justification: None,
                resource: o.resource.clone(),
                requestor_id: Some(user_id(2)),
                created_date_time: now,
            };
            store.add_resource(DEMO_TENANT, &req, &o).await?;
            let (Some(member), Some(root)) = (o.roles.first(), o.scopes.first()) else { continue };
            member_roles.push((*g, member.clone(), root.clone()));
        }
    }
    // (n, catalog, name, description, group whose membership it grants)
    let packages: &[(u16, u16, &str, &str, u16)] = &[
        (1, 2, "Sales Tools", "CRM and sales collateral for the sales team.", 1),
        (2, 1, "Engineering Onboarding", "Everything a new engineer needs on day one.", 2),
        (3, 1, "Finance Reports", "Read access to the monthly finance reports.", 3),
    ];
    for (n, catalog, name, description, group) in packages {
        let p = AccessPackage {
            id: access_package_id(*n),
            catalog_id: catalog_id(*catalog),
            display_name: (*name).into(),
            description: Some((*description).into()),
            is_hidden: false,
            is_role_scopes_visible: true,
            created_by: admin.clone(),
            modified_by: admin.clone(),
            created_date_time: now,
            modified_date_time: now,
        };
        store.create_access_package(DEMO_TENANT, &p).await?;
        if let Some((_, role, scope)) = member_roles.iter().find(|(g, _, _)| g == group) {
            let rs = ResourceRoleScope {
                id: RoleScopeId::new(),
                access_package_id: p.id,
                catalog_id: p.catalog_id,
                resource_id: role.resource_id,
                role_id: role.id,
                scope_id: scope.id,
                created_by: admin.clone(),
                created_date_time: now,
                modified_date_time: now,
            };
            store.create_role_scope(DEMO_TENANT, &rs).await?;
        }
        seed_policies(store, *n, &p, admin.clone(), now).await?;
    }
    Ok(())
}

/// Each package gets an administrator-only direct assignment policy; Sales Tools and Engineering
/// Onboarding also get a self-service policy (Sales Tools with the requestor's manager as
/// approver and an optional question), Finance Reports one for Finance members approved by
/// Nestor Wilke.
async fn seed_policies(
    store: &Store,
    n: u16,
    p: &AccessPackage,
    by: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    use grantd_domain::policy::{
        AnswerChoice, ApprovalStage, ExpirationType, Policy, Question, QuestionKind, Subject, SubjectSet, TargetScope,
    };
    let mut direct = Policy::new(policy_id(n * 10 + 1), p.id, p.catalog_id, now, by.clone());
    direct.display_name = "Direct assignment".into();
    direct.description = Some("Administrators assign this package directly.".into());
    direct.allowed_target_scope = TargetScope::NotSpecified;
    direct.expiration.kind = ExpirationType::NoExpiration;
    store.create_policy(DEMO_TENANT, &direct).await?;

    let mut selfservice = Policy::new(policy_id(n * 10 + 2), p.id, p.catalog_id, now, by);
    selfservice.requestor_settings.enable_targets_to_self_add_access = true;
    selfservice.requestor_settings.enable_targets_to_self_update_access = true;
    selfservice.requestor_settings.enable_targets_to_self_remove_access = true;
    selfservice.expiration.kind = ExpirationType::AfterDuration;
    selfservice.expiration.duration = Some(chrono::Duration::days(90));
    match n {
        1 => {
            selfservice.display_name = "Employees, manager approval".into();
            selfservice.allowed_target_scope = TargetScope::AllMemberUsers;
            selfservice.approval.is_approval_required_for_add = true;
            selfservice.approval.is_requestor_justification_required = true;
            selfservice.approval.stages = vec![ApprovalStage {
                duration_before_automatic_denial: Some(chrono::Duration::days(14)),
                primary_approvers: vec![SubjectSet::new(Subject::RequestorManager { manager_level: Some(1) })],
                fallback_primary_approvers: vec![SubjectSet::new(Subject::SingleUser {
                    user_id: user_id(4).to_string(),
                    description: Some("Adele Vance".into()),
                })],
                ..ApprovalStage::default()
            }];
            // An optional question, so that requests through the API need no answers.
            selfservice.questions = vec![Question {
                id: "sales-region".into(),
                kind: QuestionKind::MultipleChoice {
                    choices: ["EMEA", "Americas", "APAC"]
                        .iter()
                        .map(|c| AnswerChoice { actual_value: (*c).into(), text: None, localizations: Vec::new() })
                        .collect(),
                    is_multiple_selection_allowed: false,
                },
                text: Some("Which sales region will you work with?".into()),
                localizations: Vec::new(),
                is_required: false,
                is_answer_editable: true,
                sequence: 1,
            }];
        }
        2 => {
            selfservice.display_name = "Employees, no approval".into();
            selfservice.allowed_target_scope = TargetScope::AllMemberUsers;
        }
        _ => {
            selfservice.display_name = "Finance team, finance manager approval".into();
            selfservice.allowed_target_scope = TargetScope::SpecificDirectoryUsers;
            selfservice.specific_allowed_targets = vec![SubjectSet::new(Subject::GroupMembers {
                group_id: group_id(3).to_string(),
                description: Some("Finance Reports Readers".into()),
            })];
            selfservice.approval.is_approval_required_for_add = true;
            selfservice.approval.stages = vec![ApprovalStage {
                duration_before_automatic_denial: Some(chrono::Duration::days(7)),
                primary_approvers: vec![SubjectSet::new(Subject::SingleUser {
                    user_id: user_id(10).to_string(),
                    description: Some("Nestor Wilke".into()),
                })],
                ..ApprovalStage::default()
            }];
        }
    }
    store.create_policy(DEMO_TENANT, &selfservice).await?;
    Ok(())
}

pub fn policy_id(n: u16) -> grantd_domain::PolicyId {
    grantd_domain::PolicyId(demo_id(5, n).0)
}
