//! OIDC mode against a real local issuer: an axum app on 127.0.0.1:0 serving a discovery
//! document and a JWKS with an RSA (RS256) and an EC P-256 (ES256) key generated here. Valid
//! tokens pass; key rotation is followed; every forged, stale or misdirected token is a 401 with
//! Graph's envelope; an unreachable issuer is a 401, never a 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{Resp, TestServer};
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::directory::User;
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL};
use grantd_domain::{ObjectId, TenantId};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const AUD: &str = "https://graph.microsoft.com";

/// A signing key of the test issuer.
enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

struct TestKey {
    kid: String,
    signer: Signer,
}

impl TestKey {
    fn rsa(kid: &str) -> TestKey {
        TestKey { kid: kid.into(), signer: Signer::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap()) }
    }
    fn ec(kid: &str) -> TestKey {
        let k = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        TestKey { kid: kid.into(), signer: Signer::Ec(k) }
    }
    fn alg(&self) -> &'static str {
        match self.signer {
            Signer::Rsa(_) => "RS256",
            Signer::Ec(_) => "ES256",
        }
    }
    /// The public JWK, as an issuer publishes it.
    fn jwk(&self) -> Value {
        match &self.signer {
            Signer::Rsa(k) => {
                let c = PublicKeyComponents::<Vec<u8>>::from(k.public_key());
                json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                       "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e)})
            }
            Signer::Ec(k) => {
                let p = k.public_key().as_ref();
                json!({"kty": "EC", "use": "sig", "crv": "P-256", "kid": self.kid,
                       "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65])})
            }
        }
    }
    fn sign_bytes(&self, msg: &[u8]) -> Vec<u8> {
        match &self.signer {
            Signer::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig).unwrap();
                sig
            }
            Signer::Ec(k) => k.sign(&SystemRandom::new(), msg).unwrap().as_ref().to_vec(),
        }
    }
    /// A token with this key's algorithm and kid.
    fn token(&self, claims: &Value) -> String {
        self.token_with(&json!({"alg": self.alg(), "typ": "JWT", "kid": self.kid}), claims)
    }
    /// A token with any header, signed by this key.
    fn token_with(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header), b64(claims));
        let sig = self.sign_bytes(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// The local issuer: discovery document and JWKS, whose keys the test can change.
struct Issuer {
    base: String,
    keys: Mutex<Vec<Value>>,
    jwks_hits: AtomicUsize,
    /// When false, the JWKS answers 503.
    up: AtomicBool,
    /// When true, the JWKS answers with something that is not a key set.
    garbage: AtomicBool,
    /// When true, the JWKS takes its time to answer.
    slow: AtomicBool,
}

async fn discovery(State(i): State<Arc<Issuer>>) -> Json<Value> {
    Json(json!({
        "issuer": i.base,
        "jwks_uri": format!("{}/jwks", i.base),
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
}

async fn jwks(State(i): State<Arc<Issuer>>) -> Response {
    i.jwks_hits.fetch_add(1, Ordering::SeqCst);
    if i.slow.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    if !i.up.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    if i.garbage.load(Ordering::SeqCst) {
        return (StatusCode::OK, "<html>not json</html>").into_response();
    }
    Json(json!({"keys": *i.keys.lock().unwrap()})).into_response()
}

impl Issuer {
    async fn start(keys: &[&TestKey]) -> Arc<Issuer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer = Arc::new(Issuer {
            base,
            keys: Mutex::new(keys.iter().map(|k| k.jwk()).collect()),
            jwks_hits: AtomicUsize::new(0),
            up: AtomicBool::new(true),
            garbage: AtomicBool::new(false),
            slow: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .with_state(issuer.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        issuer
    }
    fn publish(&self, keys: &[&TestKey]) {
        *self.keys.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }
    fn hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }
}

async fn grantd(issuer: &str, discovery: Option<String>, refetch_secs: u64) -> TestServer {
    let issuer = issuer.to_string();
    TestServer::start_with(move |cfg| {
        cfg.auth.mode = "oidc".into();
        cfg.auth.oidc_issuer = issuer;
        cfg.auth.oidc_discovery_url = discovery.unwrap_or_default();
        cfg.auth.jwks_refetch_secs = refetch_secs;
        cfg.auth.audiences = vec!["api://grantd".into()];
    })
    .await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a delegated token for demo user `n` (Megan, 2, is the administrator).
fn user_claims(iss: &str, tenant: TenantId, user: ObjectId, roles: &[DirectoryRole]) -> Value {
    json!({
        "iss": iss, "aud": AUD, "iat": now(), "nbf": now() - 5, "exp": now() + 3600,
        "tid": tenant.to_string(), "oid": user.to_string(), "sub": "pairwise-subject",
        "scp": format!("{SCOPE_READ_WRITE_ALL} User.Read"), "idtyp": "user", "ver": "2.0",
        "wids": roles.iter().map(|r| r.template_id().to_string()).collect::<Vec<_>>(),
    })
}

fn app_claims(iss: &str) -> Value {
    json!({
        "iss": iss, "aud": "api://grantd", "iat": now(), "nbf": now() - 5, "exp": now() + 3600,
        "tid": DEMO_TENANT.to_string(), "oid": "00000000-0000-0000-0000-0000000005e1",
        "sub": "00000000-0000-0000-0000-0000000005e1", "azp": "00000000-0000-0000-0000-00000000a22d",
        "roles": [SCOPE_READ_WRITE_ALL, "User.ReadWrite.All"], "idtyp": "app",
    })
}

fn assert_unauthenticated(r: &Resp, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text);
    assert_eq!(r.error_code(), "InvalidAuthenticationToken", "{what}");
    let challenge = r.headers.get("www-authenticate").unwrap().to_str().unwrap();
    assert!(challenge.starts_with("Bearer "), "{what}: {challenge}");
    assert!(!challenge.contains("claims="), "{what}: {challenge}");
}

#[tokio::test]
async fn rs256_es256_and_app_tokens_are_accepted() {
    let rsa = TestKey::rsa("rsa-1");
    let ec = TestKey::ec("ec-1");
    let iss = Issuer::start(&[&rsa, &ec]).await;
    let s = grantd(&iss.base, None, 0).await;
    let megan = user_claims(&iss.base, DEMO_TENANT, demo::user_id(2), &[]);
    for (what, t) in [("RS256", rsa.token(&megan)), ("ES256", ec.token(&megan))] {
        for v in ["v1.0", "beta"] {
            let r = s.get(&format!("/{v}/me"), &t).await;
            assert_eq!(r.status, 200, "{what} {v}: {}", r.text);
            assert_eq!(r.body["displayName"], "Megan Bowen");
        }
    }
    let app = rsa.token(&app_claims(&iss.base));
    let r = s.get("/v1.0/users?$top=3", &app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 3);
    // The app's User.ReadWrite.All application permission lets it write.
    let r = s
        .post("/v1.0/users", &app, &json!({"displayName": "Via OIDC", "userPrincipalName": "oidc@contoso.example"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The app cannot use /me.
    assert_eq!(s.get("/v1.0/me", &app).await.status, 400);
    // Directory roles come from `wids`.
    let admin = rsa.token(&user_claims(&iss.base, DEMO_TENANT, demo::user_id(2), &[DirectoryRole::UserAdministrator]));
    let r = s.patch(&format!("/v1.0/users/{}", demo::user_id(9)), &admin, &json!({"jobTitle": "Lead"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let plain = rsa.token(&megan);
    let r = s.patch(&format!("/v1.0/users/{}", demo::user_id(9)), &plain, &json!({"jobTitle": "Lead"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Keys were fetched once and then served from the cache.
    assert_eq!(iss.hits(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_fetched_when_a_token_names_it() {
    let old = TestKey::rsa("2026-10");
    let new = TestKey::rsa("2026-11");
    let iss = Issuer::start(&[&old]).await;
    let s = grantd(&iss.base, None, 0).await;
    let claims = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    assert_eq!(s.get("/v1.0/me", &old.token(&claims)).await.status, 200);
    assert_eq!(iss.hits(), 1);
    // The issuer rotates: the new key is published, then tokens signed with it arrive.
    iss.publish(&[&old, &new]);
    let r = s.get("/v1.0/me", &new.token(&claims)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(iss.hits(), 2);
    assert_eq!(s.get("/v1.0/me", &old.token(&claims)).await.status, 200);
    assert_eq!(iss.hits(), 2, "known keys need no fetch");
    // A kid the issuer never published is a 401 after one more look.
    let ghost = TestKey::rsa("ghost");
    assert_unauthenticated(&s.get("/v1.0/me", &ghost.token(&claims)).await, "unknown kid");
    assert_eq!(iss.hits(), 3);
    // The old key is withdrawn: once the set is fetched again, its tokens stop working.
    iss.publish(&[&new]);
    assert_unauthenticated(&s.get("/v1.0/me", &ghost.token(&claims)).await, "unknown kid again");
    assert_unauthenticated(&s.get("/v1.0/me", &old.token(&claims)).await, "withdrawn key");
    assert_eq!(s.get("/v1.0/me", &new.token(&claims)).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn concurrent_tokens_with_a_new_kid_fetch_the_keys_once() {
    let first = TestKey::ec("first");
    let second = TestKey::ec("second");
    let iss = Issuer::start(&[&first]).await;
    let s = grantd(&iss.base, None, 0).await;
    let claims = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    assert_eq!(s.get("/v1.0/me", &first.token(&claims)).await.status, 200);
    iss.publish(&[&first, &second]);
    let t = second.token(&claims);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (http, url, t) = (s.http.clone(), format!("{}/v1.0/me", s.base), t.clone());
        tasks.push(tokio::spawn(async move { http.get(url).bearer_auth(t).send().await.unwrap().status() }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(iss.hits(), 2);
    s.stop().await;
}

#[tokio::test]
async fn a_slow_key_fetch_does_not_hold_up_tokens_with_known_keys() {
    let known = TestKey::rsa("known");
    let iss = Issuer::start(&[&known]).await;
    let s = grantd(&iss.base, None, 0).await;
    let claims = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    assert_eq!(s.get("/v1.0/me", &known.token(&claims)).await.status, 200);
    iss.slow.store(true, Ordering::SeqCst);
    let unknown = TestKey::rsa("unknown").token(&claims);
    let (http, url) = (s.http.clone(), format!("{}/v1.0/me", s.base));
    let pending = tokio::spawn(async move { http.get(url).bearer_auth(unknown).send().await.unwrap().status() });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    assert_eq!(s.get("/v1.0/me", &known.token(&claims)).await.status, 200);
    assert!(started.elapsed() < std::time::Duration::from_millis(1000), "{:?}", started.elapsed());
    assert_eq!(pending.await.unwrap(), 401);
    s.stop().await;
}

#[tokio::test]
async fn unknown_kids_are_throttled() {
    let first = TestKey::rsa("first");
    let second = TestKey::rsa("second");
    let iss = Issuer::start(&[&first]).await;
    let s = grantd(&iss.base, None, 3600).await;
    let claims = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    assert_eq!(s.get("/v1.0/me", &first.token(&claims)).await.status, 200);
    assert_eq!(iss.hits(), 1);
    iss.publish(&[&first, &second]);
    // Within the refetch interval, unknown kids do not reach the issuer.
    for i in 0..20 {
        let k = TestKey::ec(&format!("flood-{i}"));
        assert_unauthenticated(&s.get("/v1.0/me", &k.token(&claims)).await, "flood");
    }
    assert_unauthenticated(&s.get("/v1.0/me", &second.token(&claims)).await, "throttled");
    assert_eq!(iss.hits(), 1);
    assert_eq!(s.get("/v1.0/me", &first.token(&claims)).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn forged_stale_and_misdirected_tokens_are_401s() {
    let rsa = TestKey::rsa("rsa-1");
    let ec = TestKey::ec("ec-1");
    let iss = Issuer::start(&[&rsa, &ec]).await;
    let s = grantd(&iss.base, None, 0).await;
    let good = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    assert_eq!(s.get("/v1.0/me", &rsa.token(&good)).await.status, 200);
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let impostor_rsa = TestKey::rsa("rsa-1");
    let impostor_ec = TestKey::ec("ec-1");
    let rsa_jwk = rsa.jwk();
    let cases: Vec<(&str, String)> = vec![
        ("wrong issuer", rsa.token(&with("iss", json!("https://evil.example")))),
        ("issuer with a trailing slash", rsa.token(&with("iss", json!(format!("{}/", iss.base))))),
        ("wrong audience", rsa.token(&with("aud", json!("api://someone-else")))),
        ("expired", rsa.token(&with("exp", json!(now() - 3600)))),
        ("not yet valid", ec.token(&with("nbf", json!(now() + 3600)))),
        ("no exp", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("exp");
            rsa.token(&c)
        }),
        ("bad RSA signature (another key, same kid)", impostor_rsa.token(&good)),
        ("bad EC signature (another key, same kid)", impostor_ec.token(&good)),
        ("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "kid": "rsa-1"})), b64(&good))),
        ("alg none with a signature", {
            let t = rsa.token(&good);
            let sig = t.rsplit('.').next().unwrap().to_string();
            format!("{}.{}.{sig}", b64(&json!({"alg": "none", "kid": "rsa-1"})), b64(&good))
        }),
        ("HS256 keyed with the RSA public key (key confusion)", {
            let n = rsa_jwk["n"].as_str().unwrap();
            jsonwebtoken::encode(
                &jsonwebtoken::Header {
                    kid: Some("rsa-1".into()),
                    ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
                },
                &good,
                &jsonwebtoken::EncodingKey::from_secret(n.as_bytes()),
            )
            .unwrap()
        }),
        ("RS256 header on the EC key's kid", rsa.token_with(&json!({"alg": "RS256", "kid": "ec-1"}), &good)),
        ("ES256 header on the RSA key's kid", ec.token_with(&json!({"alg": "ES256", "kid": "rsa-1"}), &good)),
        ("RS384", rsa.token_with(&json!({"alg": "RS384", "kid": "rsa-1"}), &good)),
        ("no kid", rsa.token_with(&json!({"alg": "RS256"}), &good)),
        ("unknown kid", TestKey::rsa("nope").token(&good)),
        ("tid not a GUID", rsa.token(&with("tid", json!("contoso")))),
        ("user token without oid", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("oid");
            rsa.token(&c)
        }),
        ("payload swapped after signing", {
            let t = rsa.token(&good);
            let parts: Vec<&str> = t.split('.').collect();
            format!("{}.{}.{}", parts[0], b64(&with("oid", json!(demo::user_id(2).to_string()))), parts[2])
        }),
    ];
    for (what, token) in &cases {
        assert_unauthenticated(&s.get("/v1.0/me", token).await, what);
        assert_unauthenticated(&s.get("/beta/users", token).await, what);
    }
    s.stop().await;
}

#[tokio::test]
async fn issuer_templates_take_the_tenant_from_tid() {
    let rsa = TestKey::rsa("entra-like");
    let iss = Issuer::start(&[&rsa]).await;
    let template = "https://login.example/{tenantid}/v2.0";
    let s = grantd(template, Some(format!("{}/.well-known/openid-configuration", iss.base)), 0).await;
    let own_issuer = format!("https://login.example/{DEMO_TENANT}/v2.0");
    let claims = user_claims(&own_issuer, DEMO_TENANT, demo::user_id(8), &[]);
    let r = s.get("/v1.0/me", &rsa.token(&claims)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The issuer of another tenant, or the template itself, does not match this token's tid.
    let other = TenantId::new();
    for bad in
        [format!("https://login.example/{other}/v2.0"), template.to_string(), "https://login.example//v2.0".into()]
    {
        let mut c = claims.clone();
        c["iss"] = json!(bad);
        assert_unauthenticated(&s.get("/v1.0/me", &rsa.token(&c)).await, &bad);
    }
    let mut c = claims.clone();
    c.as_object_mut().unwrap().remove("tid");
    assert_unauthenticated(&s.get("/v1.0/me", &rsa.token(&c)).await, "no tid");
    s.stop().await;
}

#[tokio::test]
async fn an_unreachable_issuer_is_a_401_not_a_500() {
    // Nothing listens on this port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let rsa = TestKey::rsa("k");
    let s = grantd(&closed, None, 0).await;
    let claims = user_claims(&closed, DEMO_TENANT, demo::user_id(8), &[]);
    assert_unauthenticated(&s.get("/v1.0/me", &rsa.token(&claims)).await, "issuer down");
    s.stop().await;

    // An issuer whose JWKS fails, then answers garbage, then recovers.
    let iss = Issuer::start(&[&rsa]).await;
    let s = grantd(&iss.base, None, 0).await;
    let claims = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    iss.up.store(false, Ordering::SeqCst);
    assert_unauthenticated(&s.get("/v1.0/me", &rsa.token(&claims)).await, "JWKS 503");
    iss.up.store(true, Ordering::SeqCst);
    iss.garbage.store(true, Ordering::SeqCst);
    assert_unauthenticated(&s.get("/v1.0/me", &rsa.token(&claims)).await, "JWKS garbage");
    iss.garbage.store(false, Ordering::SeqCst);
    assert_eq!(s.get("/v1.0/me", &rsa.token(&claims)).await.status, 200, "recovered");
    // Once keys are cached, an outage does not affect tokens signed with them.
    iss.up.store(false, Ordering::SeqCst);
    assert_eq!(s.get("/v1.0/me", &rsa.token(&claims)).await.status, 200, "cached key during outage");
    s.stop().await;
}

#[tokio::test]
async fn keys_grantd_does_not_use_are_ignored_without_hiding_the_others() {
    let rsa = TestKey::rsa("sig");
    let iss = Issuer::start(&[&rsa]).await;
    {
        let mut keys = iss.keys.lock().unwrap();
        let mut enc = rsa.jwk();
        enc["kid"] = json!("enc");
        enc["use"] = json!("enc");
        enc["alg"] = json!("RSA-OAEP");
        keys.push(enc);
        keys.push(
            json!({"kty": "oct", "kid": "hmac", "k": URL_SAFE_NO_PAD.encode(b"0123456789abcdef0123456789abcdef")}),
        );
        keys.push(json!({"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AAAA", "y": "AAAA"}));
        keys.push(json!({"kty": "ML-DSA", "kid": "future", "pub": "AAAA"}));
        keys.push(json!("not even an object"));
    }
    let s = grantd(&iss.base, None, 0).await;
    let claims = user_claims(&iss.base, DEMO_TENANT, demo::user_id(8), &[]);
    let r = s.get("/v1.0/me", &rsa.token(&claims)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The RSA key published for encryption does not verify signatures.
    assert_unauthenticated(
        &s.get("/v1.0/me", &rsa.token_with(&json!({"alg": "RS256", "kid": "enc"}), &claims)).await,
        "enc key",
    );
    // A symmetric key in the JWKS is never a verification key.
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some("hmac".into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .unwrap();
    assert_unauthenticated(&s.get("/v1.0/me", &hs).await, "oct key");
    s.stop().await;
}

#[tokio::test]
async fn a_token_for_one_tenant_sees_nothing_of_another() {
    let rsa = TestKey::rsa("k");
    let iss = Issuer::start(&[&rsa]).await;
    let s = grantd(&iss.base, None, 0).await;
    let fabrikam = TenantId::new();
    s.store.ensure_tenant(fabrikam, "Fabrikam").await.unwrap();
    let admin_b = ObjectId::new();
    let u = User {
        id: admin_b,
        display_name: "Fabrikam Admin".into(),
        user_principal_name: "admin@fabrikam.example".into(),
        mail: None,
        given_name: None,
        surname: None,
        job_title: None,
        department: None,
        account_enabled: true,
        user_type: "Member".into(),
        manager_id: None,
        sponsor_ids: Vec::new(),
        created_date_time: chrono::Utc::now(),
    };
    s.store.create_user(fabrikam, &u).await.unwrap();
    let roles = [DirectoryRole::GlobalAdministrator];
    let t = rsa.token(&user_claims(&iss.base, fabrikam, admin_b, &roles));
    let r = s.get("/v1.0/users", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["value"][0]["id"], admin_b.to_string());
    let r = s.get(&format!("/v1.0/users/{}", demo::user_id(8)), &t).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.get("/v1.0/users/lidia@contoso.example", &t).await.status, 404);
    assert_eq!(s.get(&format!("/v1.0/groups/{}", demo::group_id(1)), &t).await.status, 404);
    // And the other way round: Contoso's administrator does not see Fabrikam's user.
    let a = rsa.token(&user_claims(&iss.base, DEMO_TENANT, demo::user_id(2), &roles));
    assert_eq!(s.get(&format!("/v1.0/users/{admin_b}"), &a).await.status, 404);
    s.stop().await;
}
