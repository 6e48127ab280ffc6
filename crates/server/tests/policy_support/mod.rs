//! Helpers for the policy black-box tests: catalogs and packages written straight through the
//! store (their HTTP endpoints live elsewhere), golden bodies, and the shape comparison of our
//! responses with the docs' response examples.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{TestServer, V1};
use grantd::demo::DEMO_TENANT;
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::{AccessPackageId, CatalogId, ObjectId};
use serde_json::{json, Value};

pub const DIRECT: &str = include_str!("../golden/v1-post-assignmentpolicies-direct.request.json");
pub const DIRECT_RESPONSE: &str = include_str!("../golden/v1-post-assignmentpolicies-direct.response.json");
pub const AUTO: &str = include_str!("../golden/v1-post-assignmentpolicies-auto-assignment.request.json");
pub const AUTO_RESPONSE: &str = include_str!("../golden/v1-post-assignmentpolicies-auto-assignment.response.json");
pub const TWO_STAGE: &str = include_str!("../golden/v1-post-assignmentpolicies-external-two-stage.request.json");
pub const TWO_STAGE_RESPONSE: &str =
    include_str!("../golden/v1-post-assignmentpolicies-external-two-stage.response.json");
pub const QUESTIONS: &str = include_str!("../golden/v1-post-assignmentpolicies-questions.request.json");
pub const QUESTIONS_RESPONSE: &str = include_str!("../golden/v1-post-assignmentpolicies-questions.response.json");

/// The access package ids the golden request bodies name; tests create packages with them so
/// the bodies go out byte for byte.
pub const GOLDEN_PACKAGES: [&str; 3] = [
    "8a36831e-1527-4b2b-aff2-81259a8d8e76",
    "a2e1ca1e-4e56-47d2-9daa-e2ba8d12a82b",
    "977c7ff4-ef8f-4910-9d31-49048ddf3120",
];

pub async fn catalog(s: &TestServer, name: &str) -> CatalogId {
    let now = s.clock_now();
    let c = Catalog {
        id: CatalogId::new(),
        display_name: name.into(),
        description: Some(format!("{name} catalog")),
        catalog_type: "userManaged".into(),
        state: "published".into(),
        is_externally_visible: true,
        created_by: None,
        modified_by: None,
        created_date_time: now,
        modified_date_time: now,
    };
    s.store.create_catalog(DEMO_TENANT, &c, None).await.unwrap();
    c.id
}

pub async fn package_with_id(s: &TestServer, catalog: CatalogId, id: AccessPackageId, name: &str) -> AccessPackageId {
    let now = s.clock_now();
    let p = AccessPackage {
        id,
        catalog_id: catalog,
        display_name: name.into(),
        description: Some(format!("{name} package")),
        is_hidden: false,
        is_role_scopes_visible: false,
        created_by: None,
        modified_by: None,
        created_date_time: now,
        modified_date_time: now,
    };
    s.store.create_access_package(DEMO_TENANT, &p).await.unwrap();
    p.id
}

pub async fn package(s: &TestServer, catalog: CatalogId, name: &str) -> AccessPackageId {
    package_with_id(s, catalog, AccessPackageId::new(), name).await
}

pub trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}
impl ClockNow for TestServer {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use grantd_domain::Clock;
        self.clock.now()
    }
}

/// A small valid v1.0 body for `package`.
pub fn v1_body(package: AccessPackageId, name: &str) -> Value {
    json!({
        "displayName": name,
        "description": "test policy",
        "allowedTargetScope": "allMemberUsers",
        "expiration": {"type": "afterDuration", "duration": "P30D"},
        "requestorSettings": {"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfRemoveAccess": true},
        "requestApprovalSettings": {"isApprovalRequiredForAdd": false, "isApprovalRequiredForUpdate": false, "stages": []},
        "accessPackage": {"id": package.to_string()}
    })
}

/// Creates a policy through v1.0 and returns its id.
pub async fn create_v1(s: &TestServer, token: &str, body: &Value) -> String {
    let r = s.post(&format!("{V1}/assignmentPolicies"), token, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Assigns an entitlement-management role on a catalog (through the HTTP API, as an admin).
pub async fn grant(s: &TestServer, user: ObjectId, role_definition: &str, catalog: CatalogId) {
    let r = s
        .post(
            "/v1.0/roleManagement/entitlementManagement/roleAssignments",
            &s.admin(),
            &json!({"principalId": user.to_string(), "roleDefinitionId": role_definition,
                    "appScopeId": format!("/AccessPackageCatalog/{catalog}")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

pub const ACCESS_PACKAGE_MANAGER: &str = "7f480852-ebdc-47d4-87de-0d8498384a83";
pub const CATALOG_READER: &str = "44272f93-9762-48e8-af59-1b5351b1d6b3";
pub const CATALOG_OWNER: &str = "ae79f266-94d4-4dab-b730-feca7e132178";

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every property the docs' example shows is in ours with the same JSON type (recursively;
/// a null in the docs matches anything; `@odata.context` is ignored; the docs' examples are
/// shortened, so extra properties of ours are fine).
pub fn assert_same_shape(ours: &Value, docs: &Value, path: &str) {
    match (ours, docs) {
        (_, Value::Null) => {}
        (Value::Object(o), Value::Object(d)) => {
            for (k, dv) in d {
                if k == "@odata.context" {
                    continue;
                }
                let ov = o.get(k).unwrap_or_else(|| panic!("{path}.{k} is missing from {ours}"));
                assert_same_shape(ov, dv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(o), Value::Array(d)) => {
            if let (Some(first), Some(dfirst)) = (o.first(), d.first()) {
                assert_same_shape(first, dfirst, &format!("{path}[0]"));
            }
        }
        (o, d) => assert_eq!(kind(o), kind(d), "{path}: ours {o}, docs {d}"),
    }
}
