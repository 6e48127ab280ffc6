//! The external workflow of the custom-extension tests: a real HTTP server (axum, port 0 or a
//! given port) that records every callout it receives and answers 202 with a run id, plus
//! helpers to create extensions and policies through the API, verify a callout's token
//! against grantd's published JWKS, and read a request's callout instances.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::TestServer;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use grantd_domain::{AccessPackageId, CatalogId, PolicyId};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The app id the external workflow calls `resume` with (and the audience of its tokens).
pub const WORKFLOW_APP: &str = "6b2e1f0c-5f9a-4e0e-9d51-0b7a3c2d1e10";

#[derive(Debug, Clone)]
pub struct Call {
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone, Default)]
struct Shared {
    calls: Arc<Mutex<Vec<Call>>>,
}

pub struct Receiver {
    pub url: String,
    pub port: u16,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(State(s): State<Shared>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let n = {
        let mut calls = s.calls.lock().unwrap();
        calls.push(Call { headers, body });
        calls.len()
    };
    (StatusCode::ACCEPTED, [("x-ms-workflow-run-id", format!("run-{n}"))], "")
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::start_on(0).await
    }

    /// Listens on `port` (0 picks one).
    pub async fn start_on(port: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Shared::default();
        let app = Router::new().route("/hook", post(hook)).with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), port, shared, task }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// Waits (at most ~15 s) until `n` calls arrived and returns them.
    pub async fn wait_calls(&self, n: usize) -> Vec<Call> {
        for _ in 0..300 {
            let c = self.calls();
            if c.len() >= n {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} callouts, got {}: {:?}", self.calls().len(), self.calls());
    }

    /// The first call made at `stage`, waiting for it.
    pub async fn wait_stage(&self, stage: &str) -> Call {
        for _ in 0..300 {
            if let Some(c) = self.calls().into_iter().find(|c| c.body["data"]["stage"] == stage) {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no callout at stage {stage}: {:?}", self.calls());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A port nothing listens on (bound and released).
pub async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

pub fn catalog_path(v1: bool, catalog: CatalogId) -> String {
    if v1 {
        format!("/v1.0/identityGovernance/entitlementManagement/catalogs/{catalog}/customWorkflowExtensions")
    } else {
        format!("/beta/identityGovernance/entitlementManagement/accessPackageCatalogs/{catalog}/accessPackageCustomWorkflowExtensions")
    }
}

/// An extension body: request workflow, waiting `timeout` when given.
pub fn extension_body(url: &str, timeout: Option<&str>, retries: Option<i32>) -> Value {
    let mut b = json!({
        "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension",
        "displayName": "Separation of duties check",
        "description": "Asks the SoD service about every new request",
        "endpointConfiguration": {
            "@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration",
            "subscriptionId": "38ab2ccc-3747-4567-b36b-9478f5602f0d",
            "resourceGroupName": "test",
            "logicAppWorkflowName": "sod-check",
            "url": url
        },
        "authenticationConfiguration": {
            "@odata.type": "#microsoft.graph.azureAdTokenAuthentication",
            "resourceId": WORKFLOW_APP
        }
    });
    if let Some(t) = timeout {
        b["callbackConfiguration"] =
            json!({"@odata.type": "#microsoft.graph.customExtensionCallbackConfiguration", "timeoutDuration": t});
    }
    if let Some(r) = retries {
        b["clientConfiguration"] =
            json!({"@odata.type": "#microsoft.graph.customExtensionClientConfiguration", "maximumRetries": r});
    }
    b
}

/// Creates an extension in `catalog` on v1.0 and returns its id.
pub async fn make_extension(s: &TestServer, catalog: CatalogId, body: &Value) -> String {
    let r = s.post(&catalog_path(true, catalog), &s.admin(), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// A direct-assignment v1.0 policy on `package` with the given stage settings and expiration.
pub async fn policy_with(
    s: &TestServer,
    package: AccessPackageId,
    stages: &[(&str, &str)],
    expiration: Value,
) -> PolicyId {
    let mut b = crate::request_support::policy_body(package, "With custom extensions", false);
    b["expiration"] = expiration;
    b["customExtensionStageSettings"] = Value::Array(
        stages.iter().map(|(stage, ext)| json!({"stage": stage, "customExtension": {"id": ext}})).collect(),
    );
    crate::request_support::make_policy(s, &b).await
}

/// Verifies the callout's bearer token against grantd's JWKS; returns its claims.
pub async fn verify_token(s: &TestServer, call: &Call, audience: &str) -> Value {
    let auth = call.headers.get("authorization").expect("callout carries a token").to_str().unwrap();
    let token = auth.strip_prefix("Bearer ").expect("bearer token");
    let jwks = s.call(reqwest::Method::GET, "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let key = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the token's key is published");
    let dk =
        jsonwebtoken::DecodingKey::from_ec_components(key["x"].as_str().unwrap(), key["y"].as_str().unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[audience]);
    v.set_issuer(&[s.base.as_str()]);
    jsonwebtoken::decode::<Value>(token, &dk, &v).expect("the callout token verifies").claims
}

/// An app-only token for `app_id` with no permissions.
pub fn app_token(s: &TestServer, app_id: &str) -> String {
    let mut c = s.claims(grantd::demo::DEMO_TENANT);
    c.idtyp = Some("app".into());
    c.appid = Some(app_id.into());
    c.sub = c.appid.clone();
    s.sign(&c)
}

/// The request as the admin sees it on v1.0 or beta.
pub async fn get_request(s: &TestServer, v1: bool, id: &str) -> Value {
    let r = s.get(&format!("{}/{id}", crate::request_support::requests(v1)), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// Waits until the request's callout instance for stage-instance `instance` has `status`.
pub async fn wait_instance(s: &TestServer, id: &str, instance: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = get_request(s, true, id).await;
        let found = last["customExtensionCalloutInstances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == instance && i["status"] == status)
            .cloned();
        if let Some(i) = found {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("instance {instance} of {id} never reached {status}: {last}");
}

/// A resume body answering `instance` at `stage` (the docs' shape).
pub fn resume_body(instance: &str, stage: &str, state: Option<&str>) -> Value {
    let mut b = json!({
        "source": "Contoso.SodCheckProcess",
        "type": format!("microsoft.graph.accessPackageCustomExtensionStage.{stage}"),
        "data": {
            "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestCallbackData",
            "stage": stage,
            "customExtensionStageInstanceId": instance,
            "customExtensionStageInstanceDetail": "Checked by the SoD service"
        }
    });
    if let Some(s) = state {
        b["data"]["state"] = json!(s);
    }
    b
}
