//! Dev-mode authentication through the HTTP API: every Graph route needs a valid bearer token
//! signed by grantd's own key; every way a token can be wrong is a 401 with Graph's envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{Resp, TestServer};
use grantd::demo;
use grantd_domain::roles::{EmRole, SCOPE_READ_WRITE_ALL};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

/// Asserts a 401 with the full Graph envelope and a bearer challenge that asks for no claims.
fn assert_unauthenticated(r: &Resp, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text);
    assert_eq!(r.error_code(), "InvalidAuthenticationToken", "{what}");
    let challenge =
        r.headers.get("www-authenticate").unwrap_or_else(|| panic!("{what}: no WWW-Authenticate")).to_str().unwrap();
    assert!(challenge.starts_with("Bearer "), "{what}: {challenge}");
    assert!(!challenge.contains("claims="), "{what}: {challenge}");
}

async fn get_with_authorization(s: &TestServer, path: &str, authorization: &str) -> Resp {
    let r = s.http.get(format!("{}{path}", s.base)).header("authorization", authorization).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers, body, text }
}

fn unsigned(header: &Value, claims: &impl serde::Serialize) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{h}.{p}.")
}

#[tokio::test]
async fn a_valid_dev_token_reaches_the_api() {
    let s = TestServer::start().await;
    for v in ["v1.0", "beta"] {
        let r = s.get(&format!("/{v}/me"), &s.end_user(8)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["id"], demo::user_id(8).to_string());
        let r = s.get(&format!("/{v}/users?$top=1"), &s.app()).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // The audience may be an array, as some issuers send it.
    let mut c = s.claims(demo::DEMO_TENANT);
    c.oid = Some(demo::user_id(4).to_string());
    c.scp = Some("User.Read".into());
    c.aud = json!(["api://other", "https://graph.microsoft.com"]);
    assert_eq!(s.get("/v1.0/me", &s.sign(&c)).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn missing_and_malformed_credentials_are_rejected_with_the_graph_envelope() {
    let s = TestServer::start().await;
    let r = s.call(Method::GET, "/v1.0/me", None, None).await;
    assert_unauthenticated(&r, "no token");
    assert_eq!(r.body["error"]["message"], "Access token is empty.");
    for auth in [
        "Basic dXNlcjpwYXNzd29yZA==",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "bearer",
        "Token abc",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer ...",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30",
        "Bearer eyJhbGciOiJIUzI1NiJ9.@@@.###",
        "Bearer a b c",
    ] {
        let r = get_with_authorization(&s, "/v1.0/me", auth).await;
        assert_unauthenticated(&r, auth);
    }
    s.stop().await;
}

#[tokio::test]
async fn tokens_that_fail_validation_are_rejected() {
    let s = TestServer::start().await;
    let now = chrono::Utc::now().timestamp();
    let user = |s: &TestServer| {
        let mut c = s.claims(demo::DEMO_TENANT);
        c.oid = Some(demo::user_id(8).to_string());
        c.scp = Some(SCOPE_READ_WRITE_ALL.into());
        c
    };
    let mut cases: Vec<(&str, String)> = Vec::new();
    // Signed with another key.
    cases.push(("bad signature", grantd_web::auth::issue_dev_token(&[7u8; 32], &user(&s)).unwrap()));
    // Re-signed payload: a valid token with its payload swapped.
    let good = s.sign(&user(&s));
    let mut other = user(&s);
    other.oid = Some(demo::user_id(2).to_string());
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
    let parts: Vec<&str> = good.split('.').collect();
    cases.push(("payload swapped", format!("{}.{forged_payload}.{}", parts[0], parts[2])));
    let mut c = user(&s);
    c.exp = now - 3600;
    cases.push(("expired", s.sign(&c)));
    let mut c = user(&s);
    c.nbf = Some(now + 3600);
    cases.push(("not yet valid", s.sign(&c)));
    let mut c = user(&s);
    c.aud = json!("api://someone-else");
    cases.push(("wrong audience", s.sign(&c)));
    let mut c = user(&s);
    c.aud = json!([]);
    cases.push(("empty audience list", s.sign(&c)));
    let mut c = user(&s);
    c.iss = "https://login.microsoftonline.com/x/v2.0".into();
    cases.push(("wrong issuer", s.sign(&c)));
    let mut c = user(&s);
    c.tid = "not-a-guid".into();
    cases.push(("tid not a GUID", s.sign(&c)));
    let mut c = user(&s);
    c.oid = None;
    c.sub = Some("opaque-subject".into());
    cases.push(("user token without oid", s.sign(&c)));
    cases.push(("alg none", unsigned(&json!({"alg": "none", "typ": "JWT"}), &user(&s))));
    cases.push(("alg None", unsigned(&json!({"alg": "None", "typ": "JWT"}), &user(&s))));
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let t = jsonwebtoken::encode(&Header::new(alg), &user(&s), &EncodingKey::from_secret(&s.key)).unwrap();
        cases.push(("HS384/HS512 with the right key", t));
    }
    // No tid at all.
    let mut v = serde_json::to_value(user(&s)).unwrap();
    v.as_object_mut().unwrap().remove("tid");
    let t = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &v, &EncodingKey::from_secret(&s.key)).unwrap();
    cases.push(("no tid", t));
    // No exp.
    let mut v = serde_json::to_value(user(&s)).unwrap();
    v.as_object_mut().unwrap().remove("exp");
    let t = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &v, &EncodingKey::from_secret(&s.key)).unwrap();
    cases.push(("no exp", t));
    for (what, token) in &cases {
        let r = s.get("/v1.0/users", token).await;
        assert_unauthenticated(&r, what);
        assert!(!r.text.contains(token.as_str()), "{what}: the token is echoed back");
    }
    s.stop().await;
}

#[tokio::test]
async fn health_needs_no_token() {
    let s = TestServer::start().await;
    let r = s.call(Method::GET, "/health", None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "ok");
    s.stop().await;
}

/// Routes that exist in the routers today, with a method each accepts.
fn graph_routes() -> Vec<(Method, String)> {
    let u = demo::user_id(8);
    let g = demo::group_id(1);
    let role = EmRole::CatalogReader.definition_id();
    let ra = "00000000-0000-0000-0000-000000000001";
    let rm = "/roleManagement/entitlementManagement";
    vec![
        (Method::GET, "/me".into()),
        (Method::GET, "/users".into()),
        (Method::POST, "/users".into()),
        (Method::GET, format!("/users/{u}")),
        (Method::PATCH, format!("/users/{u}")),
        (Method::DELETE, format!("/users/{u}")),
        (Method::GET, "/users/lidia@contoso.example".into()),
        (Method::GET, format!("/users/{u}/manager")),
        (Method::PUT, format!("/users/{u}/manager/$ref")),
        (Method::DELETE, format!("/users/{u}/manager/$ref")),
        (Method::GET, format!("/users/{u}/sponsors")),
        (Method::POST, format!("/users/{u}/sponsors/$ref")),
        (Method::DELETE, format!("/users/{u}/sponsors/{g}/$ref")),
        (Method::GET, "/groups".into()),
        (Method::POST, "/groups".into()),
        (Method::GET, format!("/groups/{g}")),
        (Method::PATCH, format!("/groups/{g}")),
        (Method::DELETE, format!("/groups/{g}")),
        (Method::GET, format!("/groups/{g}/members")),
        (Method::POST, format!("/groups/{g}/members/$ref")),
        (Method::DELETE, format!("/groups/{g}/members/{u}/$ref")),
        (Method::GET, format!("{rm}/roleDefinitions")),
        (Method::GET, format!("{rm}/roleDefinitions/{role}")),
        (Method::GET, format!("{rm}/roleAssignments")),
        (Method::POST, format!("{rm}/roleAssignments")),
        (Method::GET, format!("{rm}/roleAssignments/{ra}")),
        (Method::DELETE, format!("{rm}/roleAssignments/{ra}")),
    ]
}

#[tokio::test]
async fn every_graph_route_needs_a_token_on_both_versions() {
    let s = TestServer::start().await;
    let body = json!({"displayName": "x"});
    let mut checked = 0;
    for v in ["v1.0", "beta"] {
        for (method, path) in graph_routes() {
            let path = format!("/{v}{path}");
            let with_body = matches!(method, Method::POST | Method::PATCH | Method::PUT).then_some(&body);
            let r = s.call(method.clone(), &path, None, with_body).await;
            assert_unauthenticated(&r, &format!("{method} {path}"));
            // A garbage token is no better than none.
            let r = s.call(method.clone(), &path, Some("garbage"), with_body).await;
            assert_unauthenticated(&r, &format!("{method} {path} with a garbage token"));
            checked += 1;
        }
    }
    assert!(checked >= 40);
    // Nothing was written by the unauthenticated writes.
    let r = s.get(&format!("/v1.0/users/{}", demo::user_id(8)), &s.admin()).await;
    assert_eq!(r.status, 200);
    let r = s.get(&format!("/v1.0/groups/{}", demo::group_id(1)), &s.admin()).await;
    assert_eq!(r.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn an_app_token_without_scp_is_an_app_and_cannot_use_me() {
    let s = TestServer::start().await;
    let r = s.get("/v1.0/me", &s.app()).await;
    assert_eq!(r.status, 400, "{}", r.text);
    r.error_code();
    // No idtyp, no scp, no roles: still an app (app-only tokens never carry scp), so it cannot
    // pass for a user even when it carries an oid.
    let mut c = s.claims(demo::DEMO_TENANT);
    c.oid = Some(demo::user_id(2).to_string());
    c.appid = Some("00000000-0000-0000-0000-00000000b0b0".into());
    let r = s.get("/v1.0/me", &s.sign(&c)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn the_challenge_says_invalid_token_only_when_a_token_was_sent() {
    let s = TestServer::start().await;
    let r = s.call(Method::GET, "/v1.0/users", None, None).await;
    let challenge = r.headers["www-authenticate"].to_str().unwrap();
    assert!(!challenge.contains("error="), "{challenge}");
    let r = s.get("/v1.0/users", "garbage").await;
    let challenge = r.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(!challenge.contains("claims="), "{challenge}");
    s.stop().await;
}

#[tokio::test]
async fn standard_oauth_claim_names_are_understood() {
    // Issuers other than Microsoft's (Keycloak) send `scope` rather than `scp`, and a GUID `sub`
    // rather than `oid`.
    let s = TestServer::start().await;
    let mut c = s.claims(demo::DEMO_TENANT);
    c.sub = Some(demo::user_id(8).to_string());
    c.scope = Some(format!("openid profile {SCOPE_READ_WRITE_ALL}"));
    let r = s.get("/v1.0/me", &s.sign(&c)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], demo::user_id(8).to_string());
    // `oid` wins over `sub` when both are there.
    c.oid = Some(demo::user_id(9).to_string());
    assert_eq!(s.get("/v1.0/me", &s.sign(&c)).await.body["id"], demo::user_id(9).to_string());
    // `idtyp: user` makes a user even without scopes (who then holds no permissions).
    let mut c = s.claims(demo::DEMO_TENANT);
    c.oid = Some(demo::user_id(8).to_string());
    c.idtyp = Some("user".into());
    let r = s.get("/v1.0/me", &s.sign(&c)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.stop().await;
}
