//! The demo tenant (`grantd serve --demo`): a dozen users with managers, a few groups, an
//! Identity Governance Administrator, and entitlement objects to request. Seeding is idempotent:
//! an existing demo tenant is left as it is.
use grantd_domain::directory::{Group, User};
use grantd_domain::{Clock, ObjectId, TenantId};
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

pub fn upn(given: &str) -> String {
    format!("{}@{DEMO_DOMAIN}", given.to_lowercase())
}

/// Seeds the demo tenant unless its first user already exists. Returns true when it seeded.
pub async fn seed(store: &Store, clock: &dyn Clock) -> Result<bool, StoreError> {
    store.ensure_tenant(DEMO_TENANT, "Contoso (demo)").await?;
    if store.get_user(DEMO_TENANT, user_id(1)).await?.is_some() {
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
    Ok(true)
}
