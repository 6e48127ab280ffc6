//! Golden vectors: request and response bodies copied verbatim from the Graph docs examples
//! (shared/reference/graph/examples), and a check that our responses carry every property of
//! the docs' response with the same JSON type.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

pub const V1_POST_CATALOGS_REQUEST: &str = include_str!("v1-post-catalogs.request.json");
pub const V1_POST_CATALOGS_RESPONSE: &str = include_str!("v1-post-catalogs.response.json");
pub const V1_LIST_CATALOGS_RESPONSE: &str = include_str!("v1-list-catalogs.response.json");
pub const V1_POST_ACCESSPACKAGES_REQUEST: &str = include_str!("v1-post-accesspackages.request.json");
pub const V1_POST_ACCESSPACKAGES_RESPONSE: &str = include_str!("v1-post-accesspackages.response.json");
pub const V1_GET_ACCESSPACKAGE_RESPONSE: &str = include_str!("v1-get-accesspackage.response.json");
pub const V1_LIST_ACCESSPACKAGES_RESPONSE: &str = include_str!("v1-list-accesspackages.response.json");
pub const V1_POST_RESOURCEREQUESTS_ADD_GROUP_REQUEST: &str =
    include_str!("v1-post-resourcerequests-add-group.request.json");
pub const V1_POST_RESOURCEREQUESTS_ADD_GROUP_RESPONSE: &str =
    include_str!("v1-post-resourcerequests-add-group.response.json");
pub const V1_LIST_RESOURCEREQUESTS_RESPONSE: &str = include_str!("v1-list-resourcerequests.response.json");

pub fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("golden vector is JSON")
}

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

/// Every property of `doc` exists in `ours` with the same JSON type, recursively (arrays are
/// compared by their first element). Values are not compared; OData annotations (`@odata.*`)
/// are skipped; a `null` in the docs matches any type.
pub fn assert_same_shape(doc: &Value, ours: &Value) {
    check(doc, ours, "$");
}

fn check(doc: &Value, ours: &Value, at: &str) {
    match (doc, ours) {
        (Value::Null, _) => {}
        (Value::Object(d), Value::Object(o)) => {
            for (k, dv) in d {
                if k.starts_with("@odata.") {
                    continue;
                }
                let ov = o.get(k).unwrap_or_else(|| panic!("{at}.{k} is missing from our response: {ours}"));
                check(dv, ov, &format!("{at}.{k}"));
            }
        }
        (Value::Array(d), Value::Array(o)) => {
            if let Some(first) = d.first() {
                let ours_first = o.first().unwrap_or_else(|| panic!("{at} is empty in our response"));
                check(first, ours_first, &format!("{at}[0]"));
            }
        }
        _ => assert_eq!(kind(doc), kind(ours), "{at}: the docs have a {} and we have {ours}", kind(doc)),
    }
}
