//! Helpers shared by the OData suites (odata_*.rs): query building with encoded values, and
//! small readers of collection bodies.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{Resp, TestServer, BETA, V1};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

/// `path?name=value&...` with every value percent-encoded.
pub fn url(path: &str, options: &[(&str, &str)]) -> String {
    let q: Vec<String> =
        options.iter().map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC))).collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// `property` of every item of a collection body, as strings.
pub fn column(r: &Resp, property: &str) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array: {}", r.text))
        .iter()
        .map(|x| match &x[property] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

pub fn names(r: &Resp) -> Vec<String> {
    column(r, "displayName")
}

/// Follows nextLinks from `first`, returning every page's items in order.
pub async fn all_pages(s: &TestServer, t: &str, first: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut r = s.get(first, t).await;
    loop {
        assert_eq!(r.status, 200, "{}", r.text);
        pages += 1;
        items.extend(r.body["value"].as_array().unwrap().iter().cloned());
        match r.body["@odata.nextLink"].as_str() {
            Some(next) => r = s.get(next, t).await,
            None => return (items, pages),
        }
    }
}

/// Creates a catalog (v1.0) and returns its id.
pub async fn catalog(s: &TestServer, t: &str, name: &str, description: Option<&str>) -> String {
    let r = s.post(&format!("{V1}/catalogs"), t, &json!({"displayName": name, "description": description})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Creates an access package in `catalog` and returns its id.
pub async fn package(
    s: &TestServer,
    t: &str,
    catalog: &str,
    name: &str,
    description: Option<&str>,
    hidden: bool,
) -> String {
    let body = json!({"displayName": name, "description": description, "isHidden": hidden, "catalog": {"id": catalog}});
    let r = s.post(&format!("{V1}/accessPackages"), t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Creates a v1.0 policy on `package` with the given expiration duration (None = no expiration).
pub async fn policy(s: &TestServer, t: &str, package: &str, name: &str, duration: Option<&str>) -> String {
    let expiration = match duration {
        Some(d) => json!({"type": "afterDuration", "duration": d}),
        None => json!({"type": "noExpiration"}),
    };
    let body = json!({
        "displayName": name,
        "description": "made by the OData suite",
        "allowedTargetScope": "allMemberUsers",
        "accessPackage": {"id": package},
        "expiration": expiration,
        "requestorSettings": {"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfRemoveAccess": false},
        "requestApprovalSettings": {"isApprovalRequiredForAdd": false, "isApprovalRequiredForUpdate": false}
    });
    let r = s.post(&format!("{V1}/assignmentPolicies"), t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

pub const CATALOGS_V1: &str = "/v1.0/identityGovernance/entitlementManagement/catalogs";
pub fn beta(path: &str) -> String {
    format!("{BETA}{path}")
}
