//! Real target systems for the delivery tests, run in the test process on loopback ports: a
//! SCIM 2.0 service provider (users and groups in memory) that checks every request it gets
//! (paths, bearer token, content type, schemas, filter syntax, PATCH operations) and records
//! violations, and a webhook receiver that checks the HMAC signature. Both can be told to fail
//! (5xx for a while, or 400 for bad data) or to be slow. Also: onboarding an external resource
//! into a package (through the store: the resource API onboards directory groups only).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::resource::{onboard_group, GroupFacts, ResourceRequest, ResourceRoleScope};
use grantd_domain::{AccessPackageId, ObjectId, ResourceRequestId, RoleScopeId};
use grantd_store::Store;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SCIM_TOKEN: &str = "scim-test-token";
pub const HOOK_SECRET: &str = "hook-test-secret";

/// How a target answers for now.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    Healthy,
    /// Every request answers this status (503, 429, ...).
    Down(u16),
}

#[derive(Default)]
pub struct ScimState {
    /// id -> userName
    pub users: BTreeMap<String, String>,
    /// group id -> member ids, in the order added (a duplicate would show twice)
    pub groups: HashMap<String, Vec<String>>,
    /// Groups whose PATCH answers 400 (bad data).
    pub rejecting: BTreeSet<String>,
    pub mode: Mode,
    pub delay: Duration,
    pub violations: Vec<String>,
    pub log: Vec<String>,
    pub user_creates: usize,
}

#[derive(Clone)]
pub struct Scim {
    pub base: String,
    pub state: Arc<Mutex<ScimState>>,
}

fn scim_error(status: u16, detail: &str) -> Response {
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": status.to_string(), "detail": detail});
    (StatusCode::from_u16(status).unwrap(), [("content-type", "application/scim+json")], body.to_string())
        .into_response()
}

/// Common checks; `Err` is the response to give (test code: the size of a Response is fine).
#[allow(clippy::result_large_err)]
fn gate(st: &Arc<Mutex<ScimState>>, h: &HeaderMap, what: &str, has_body: bool) -> Result<(), Response> {
    let mut s = st.lock().unwrap();
    s.log.push(what.to_string());
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {SCIM_TOKEN}")) {
        s.violations.push(format!("{what}: bad or missing bearer token"));
        return Err(scim_error(401, "unauthorized"));
    }
    if has_body && h.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/scim+json") {
        s.violations.push(format!("{what}: content-type is not application/scim+json"));
    }
    if let Mode::Down(code) = s.mode {
        return Err(scim_error(code, "temporarily unavailable"));
    }
    Ok(())
}

async fn pause(st: &Arc<Mutex<ScimState>>) {
    let d = st.lock().unwrap().delay;
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

async fn list_users(
    State(st): State<Arc<Mutex<ScimState>>>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&st, &h, "GET /Users", false) {
        return r;
    }
    pause(&st).await;
    let mut s = st.lock().unwrap();
    let Some(filter) = q.get("filter") else {
        s.violations.push("GET /Users without a filter".into());
        return scim_error(400, "filter required");
    };
    // userName eq "value" (a JSON string literal)
    let Some(lit) = filter.strip_prefix("userName eq ") else {
        s.violations.push(format!("unexpected filter {filter}"));
        return scim_error(400, "invalidFilter");
    };
    let Ok(name) = serde_json::from_str::<String>(lit) else {
        s.violations.push(format!("filter literal is not a JSON string: {lit}"));
        return scim_error(400, "invalidFilter");
    };
    let found: Vec<Value> = s
        .users
        .iter()
        .filter(|(_, n)| n.eq_ignore_ascii_case(&name))
        .map(|(id, n)| json!({"id": id, "userName": n}))
        .collect();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": found.len(), "Resources": found
    });
    (StatusCode::OK, [("content-type", "application/scim+json")], body.to_string()).into_response()
}

async fn create_user(State(st): State<Arc<Mutex<ScimState>>>, h: HeaderMap, body: String) -> Response {
    if let Err(r) = gate(&st, &h, "POST /Users", true) {
        return r;
    }
    pause(&st).await;
    let mut s = st.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if v["schemas"] != json!(["urn:ietf:params:scim:schemas:core:2.0:User"]) {
        s.violations.push(format!("POST /Users schemas: {}", v["schemas"]));
    }
    let Some(name) = v["userName"].as_str() else {
        s.violations.push("POST /Users without userName".into());
        return scim_error(400, "userName required");
    };
    if s.users.values().any(|n| n.eq_ignore_ascii_case(name)) {
        return scim_error(409, "uniqueness: userName exists");
    }
    let id = uuid::Uuid::new_v4().to_string();
    s.users.insert(id.clone(), name.to_string());
    s.user_creates += 1;
    let out = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id, "userName": name});
    (StatusCode::CREATED, [("content-type", "application/scim+json")], out.to_string()).into_response()
}

async fn patch_group(
    State(st): State<Arc<Mutex<ScimState>>>,
    h: HeaderMap,
    Path(group): Path<String>,
    body: String,
) -> Response {
    if let Err(r) = gate(&st, &h, &format!("PATCH /Groups/{group}"), true) {
        return r;
    }
    pause(&st).await;
    let mut s = st.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if v["schemas"] != json!(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]) {
        s.violations.push(format!("PATCH schemas: {}", v["schemas"]));
    }
    if !s.groups.contains_key(&group) {
        return scim_error(404, "no such group");
    }
    if s.rejecting.contains(&group) {
        return scim_error(400, "the member is not allowed in this group (invalidValue)");
    }
    let ops = v["Operations"].as_array().cloned().unwrap_or_default();
    if ops.is_empty() {
        s.violations.push("PATCH without Operations".into());
    }
    for op in ops {
        match (op["op"].as_str(), op["path"].as_str()) {
            (Some("add"), Some("members")) => {
                for m in op["value"].as_array().cloned().unwrap_or_default() {
                    let id = m["value"].as_str().unwrap_or_default().to_string();
                    if !s.users.contains_key(&id) {
                        s.violations.push(format!("add of unknown user {id}"));
                        return scim_error(400, "unknown member");
                    }
                    let members = s.groups.get_mut(&group).unwrap();
                    // RFC 7644 §3.5.2.1: adding an existing member changes nothing.
                    if !members.contains(&id) {
                        members.push(id);
                    }
                }
            }
            (Some("remove"), Some(path)) => {
                let Some(lit) = path.strip_prefix("members[value eq ").and_then(|p| p.strip_suffix(']')) else {
                    s.violations.push(format!("remove path {path}"));
                    return scim_error(400, "invalidPath");
                };
                let id: String = serde_json::from_str(lit).unwrap_or_default();
                s.groups.get_mut(&group).unwrap().retain(|m| *m != id);
            }
            other => {
                s.violations.push(format!("unexpected op {other:?}"));
                return scim_error(400, "invalidSyntax");
            }
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

impl Scim {
    pub async fn start(groups: &[&str]) -> Scim {
        let mut s = ScimState::default();
        for g in groups {
            s.groups.insert(g.to_string(), Vec::new());
        }
        let state = Arc::new(Mutex::new(s));
        let app = Router::new()
            .route("/scim/v2/Users", get(list_users).post(create_user))
            .route("/scim/v2/Groups/{id}", patch(patch_group))
            .with_state(state.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/scim/v2", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Scim { base, state }
    }

    /// The userNames of a group's members (in the order added; duplicates would repeat).
    pub fn members(&self, group: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.groups[group].iter().map(|id| s.users.get(id).cloned().unwrap_or_default()).collect()
    }
    pub fn set_mode(&self, m: Mode) {
        self.state.lock().unwrap().mode = m;
    }
    pub fn reject(&self, group: &str, on: bool) {
        let mut s = self.state.lock().unwrap();
        if on {
            s.rejecting.insert(group.into());
        } else {
            s.rejecting.remove(group);
        }
    }
    pub fn assert_clean(&self) {
        let s = self.state.lock().unwrap();
        assert!(s.violations.is_empty(), "SCIM protocol violations: {:?}", s.violations);
    }
}

/// One verified webhook call.
#[derive(Debug, Clone)]
pub struct Hook {
    pub action: String,
    pub user: String,
    pub resource: String,
    pub delivery_id: String,
}

#[derive(Default)]
pub struct HookState {
    pub calls: Vec<Hook>,
    /// (user, resource) currently granted
    pub grants: BTreeSet<(String, String)>,
    pub mode: Mode,
    /// Answer 422 (bad data) for these resources.
    pub rejecting: BTreeSet<String>,
    pub bad_signatures: usize,
}

#[derive(Clone)]
pub struct Webhook {
    pub url: String,
    pub state: Arc<Mutex<HookState>>,
}

fn verify(h: &HeaderMap, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let (Some(ts), Some(sig)) = (
        h.get("x-grantd-timestamp").and_then(|v| v.to_str().ok()),
        h.get("x-grantd-signature").and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let Some(hexsig) = sig.strip_prefix("sha256=") else { return false };
    let Ok(raw) = hex::decode(hexsig) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    let fresh = ts.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    fresh && mac.verify_slice(&raw).is_ok()
}

async fn receive(State(st): State<Arc<Mutex<HookState>>>, h: HeaderMap, body: String) -> Response {
    let mut s = st.lock().unwrap();
    if !verify(&h, &body) {
        s.bad_signatures += 1;
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    if let Mode::Down(code) = s.mode {
        return (StatusCode::from_u16(code).unwrap(), "down").into_response();
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    let resource = v["resource"]["originId"].as_str().unwrap().to_string();
    if s.rejecting.contains(&resource) {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": "unknown cost center for this user"})))
            .into_response();
    }
    let user = v["subject"]["userPrincipalName"].as_str().unwrap().to_string();
    let action = v["action"].as_str().unwrap().to_string();
    match action.as_str() {
        "grant" => {
            s.grants.insert((user.clone(), resource.clone()));
        }
        "revoke" => {
            s.grants.remove(&(user.clone(), resource.clone()));
        }
        other => panic!("unexpected action {other}"),
    }
    let delivery_id = v["deliveryId"].as_str().unwrap().to_string();
    s.calls.push(Hook { action, user, resource, delivery_id });
    StatusCode::NO_CONTENT.into_response()
}

impl Webhook {
    pub async fn start() -> Webhook {
        let state = Arc::new(Mutex::new(HookState::default()));
        let app = Router::new().route("/hooks/grantd", post(receive)).with_state(state.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/grantd", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Webhook { url, state }
    }
    pub fn granted(&self, user: &str, resource: &str) -> bool {
        self.state.lock().unwrap().grants.contains(&(user.to_string(), resource.to_string()))
    }
    pub fn set_mode(&self, m: Mode) {
        self.state.lock().unwrap().mode = m;
    }
}

/// Connector settings for the two targets (origin systems `TestScim` and `TestHook`).
pub fn connectors(scim: &Scim, hook: &Webhook) -> Vec<grantd_service::connectors::ConnectorConfig> {
    use grantd_service::connectors::{ConnectorConfig, ConnectorKind, Secret};
    vec![
        ConnectorConfig {
            origin_system: "TestScim".into(),
            kind: ConnectorKind::Scim,
            base_url: scim.base.clone(),
            bearer_token: Some(Secret::new(SCIM_TOKEN)),
            oauth2: None,
            signing_secret: None,
            timeout_secs: 5,
        },
        ConnectorConfig {
            origin_system: "TestHook".into(),
            kind: ConnectorKind::Webhook,
            base_url: hook.url.clone(),
            bearer_token: None,
            oauth2: None,
            signing_secret: Some(Secret::new(HOOK_SECRET)),
            timeout_secs: 5,
        },
    ]
}

/// Onboards a resource of `origin_system` (its id there: `origin_id`) to the package's catalog
/// with a `Member` role, and binds that role to the package.
pub async fn add_external_resource(
    store: &Store,
    package: AccessPackageId,
    origin_system: &str,
    origin_id: &str,
    name: &str,
) {
    let p = store.get_access_package(DEMO_TENANT, package).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let facts = GroupFacts { id: ObjectId::new(), display_name: name, description: None, unified: false };
    let mut o = onboard_group(p.catalog_id, facts, None, now);
    o.resource.origin_system = origin_system.into();
    o.resource.origin_id = origin_id.into();
    o.resource.resource_type = Some("Application".into());
    o.roles.retain(|r| r.display_name == "Member");
    for r in &mut o.roles {
        r.origin_system = origin_system.into();
        r.origin_id = "Member".into();
    }
    for sc in &mut o.scopes {
        sc.origin_system = origin_system.into();
        sc.origin_id = origin_id.into();
    }
    let req = ResourceRequest {
        id: ResourceRequestId::new(),
        catalog_id: p.catalog_id,
        request_type: "adminAdd".into(),
        state: "delivered".into(),
        justification: None,
        resource: o.resource.clone(),
        requestor_id: Some(demo::user_id(2)),
        created_date_time: now,
    };
    store.add_resource(DEMO_TENANT, &req, &o).await.unwrap();
    let rs = ResourceRoleScope {
        id: RoleScopeId::new(),
        access_package_id: package,
        catalog_id: p.catalog_id,
        resource_id: o.resource.id,
        role_id: o.roles[0].id,
        scope_id: o.scopes[0].id,
        created_by: None,
        created_date_time: now,
        modified_date_time: now,
    };
    store.create_role_scope(DEMO_TENANT, &rs).await.unwrap();
}

/// Polls `f` until it holds (at most ~10 s).
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}
