//! Verified credentials (beta `verifiableCredentialSettings`): a user request through such a
//! policy must present a JWT-VC from an issuer the policy names and grantd can resolve — a
//! `did:web` issuer whose document a real local HTTP server (started here) serves, or an issuer
//! whose JWKS is in the configuration. Keys are generated here (EdDSA and ES256). The verified
//! credential is recorded and returned on beta GET; each refusal names what is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{TestServer, BETA, V1};
use grantd::demo;
use grantd_domain::{AccessPackageId, Clock, ObjectId, PolicyId};
use request_support::*;
use serde_json::{json, Value};

const CONFIGURED_DID: &str = "did:example:contoso-hr";

enum Key {
    Ed(Ed25519KeyPair),
    Ec(EcdsaKeyPair),
}

/// An issuer's signing key.
struct TestKey {
    kid: String,
    key: Key,
}

impl TestKey {
    fn ed(kid: &str) -> TestKey {
        TestKey { kid: kid.into(), key: Key::Ed(Ed25519KeyPair::generate().unwrap()) }
    }
    fn ec(kid: &str) -> TestKey {
        TestKey { kid: kid.into(), key: Key::Ec(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap()) }
    }
    fn jwk(&self) -> Value {
        match &self.key {
            Key::Ed(k) => json!({"kty": "OKP", "crv": "Ed25519", "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(k.public_key().as_ref())}),
            Key::Ec(k) => {
                let p = k.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": self.kid,
                    "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65])})
            }
        }
    }
    /// A compact JWS of `claims`.
    fn sign(&self, claims: &Value) -> String {
        let alg = match self.key {
            Key::Ed(_) => "EdDSA",
            Key::Ec(_) => "ES256",
        };
        let header = json!({"alg": alg, "typ": "JWT", "kid": self.kid});
        let input = format!("{}.{}", b64(&header), b64(claims));
        let sig = match &self.key {
            Key::Ed(k) => k.sign(input.as_bytes()).as_ref().to_vec(),
            Key::Ec(k) => k.sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes()).unwrap().as_ref().to_vec(),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// A local did:web issuer: serves `/.well-known/did.json` for `did:web:127.0.0.1%3A<port>`.
async fn did_web_issuer(key: &TestKey) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let did = format!("did:web:127.0.0.1%3A{port}");
    let vm = format!("{did}#{}", key.kid);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [{"id": vm, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": key.jwk()}],
        "assertionMethod": [vm],
    });
    let app = Router::new().route("/.well-known/did.json", get(move || async move { Json(doc) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    did
}

/// The claims of a JWT-VC of `kind` about `subject`, valid for an hour from `now` (seconds).
fn vc_claims(iss: &str, kind: &str, subject: Value, now: i64) -> Value {
    json!({
        "iss": iss, "iat": now, "nbf": now - 60, "exp": now + 3600, "jti": "urn:uuid:5b0b6a8e-8c5e-4bcd-9f1a-7d1c8c2d7f10",
        "vc": {"@context": ["https://www.w3.org/2018/credentials/v1"],
               "type": ["VerifiableCredential", kind], "credentialSubject": subject}
    })
}

async fn upn_of(s: &TestServer, id: ObjectId) -> String {
    let r = s.get(&format!("/v1.0/users/{id}"), &s.admin()).await;
    r.body["userPrincipalName"].as_str().unwrap().to_string()
}

/// A beta policy for every member, no approval, requiring a VerifiedEmployee credential.
async fn credential_policy(s: &TestServer, package: AccessPackageId, issuers: &[&str]) -> PolicyId {
    let body = json!({
        "accessPackageId": package.to_string(), "displayName": "Employees with a credential",
        "description": "Present a VerifiedEmployee credential", "canExtend": false, "durationInDays": 30,
        "requestorSettings": {"scopeType": "AllExistingDirectoryMemberUsers", "acceptRequests": true, "allowedRequestors": []},
        "requestApprovalSettings": {"isApprovalRequired": false, "isApprovalRequiredForExtension": false,
            "isRequestorJustificationRequired": false, "approvalMode": "NoApproval", "approvalStages": []},
        "verifiableCredentialSettings": {"credentialTypes": [{"credentialType": "VerifiedEmployee", "issuers": issuers}]}
    });
    let r = s.post(&format!("{BETA}/accessPackageAssignmentPolicies"), &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

fn user_add(package: AccessPackageId, policy: PolicyId, credentials: Value) -> Value {
    json!({"requestType": "userAdd", "assignment": {"accessPackageId": package.to_string(),
        "assignmentPolicyId": policy.to_string()}, "verifiedCredentialsData": credentials})
}

#[tokio::test]
async fn a_request_through_a_credential_policy_must_present_a_valid_credential() {
    let web_key = TestKey::ed("signing-1");
    let hr_key = TestKey::ec("hr-1");
    let did = did_web_issuer(&web_key).await;
    let hr_jwks = json!({"keys": [hr_key.jwk()]});
    let s = TestServer::start_with(|c| {
        c.verified_id.allow_http = true;
        c.verified_id.issuers =
            vec![grantd_service::verified_id::IssuerConfig { did: CONFIGURED_DID.into(), jwks: hr_jwks }];
    })
    .await;
    let package = demo::access_package_id(2);
    let policy = credential_policy(&s, package, &[&did, CONFIGURED_DID, "did:example:never-configured"]).await;
    let (user7, user8) = (demo::user_id(7), demo::user_id(8));
    let upn7 = upn_of(&s, user7).await;
    let now = s.clock.now().timestamp();
    let good = web_key.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": upn7, "jobTitle": "Engineer"}), now));

    // The requirements name the credential.
    let req = s
        .post(&format!("{BETA}/accessPackages/{package}/getApplicablePolicyRequirements"), &s.end_user(7), &json!({}))
        .await;
    assert_eq!(req.status, 200, "{}", req.text);
    let mine = req.body["value"].as_array().unwrap().iter().find(|p| p["policyId"] == policy.to_string()).unwrap();
    assert_eq!(
        mine["verifiableCredentialRequirementStatus"]["@odata.type"],
        "#microsoft.graph.verifiableCredentialRequired"
    );

    // Each refusal, on both versions, names what is wrong; nothing is created.
    let stranger = TestKey::ed("signing-1");
    let mut tampered_claims = vc_claims(&did, "VerifiedEmployee", json!({"email": upn7}), now);
    let signed = web_key.sign(&tampered_claims);
    tampered_claims["vc"]["credentialSubject"]["jobTitle"] = json!("Director");
    let parts: Vec<&str> = signed.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("no credential", json!([]), "VerifiableCredentialRequired", "VerifiedEmployee"),
        (
            "unknown issuer",
            json!([stranger.sign(&vc_claims(
                "did:web:issuer.example",
                "VerifiedEmployee",
                json!({"email": upn7}),
                now
            ))]),
            "UnknownCredentialIssuer",
            "did:web:issuer.example",
        ),
        (
            "issuer named by the policy but not resolvable",
            json!([stranger.sign(&vc_claims(
                "did:example:never-configured",
                "VerifiedEmployee",
                json!({"email": upn7}),
                now
            ))]),
            "UnknownCredentialIssuer",
            "did:example:never-configured",
        ),
        (
            "expired",
            json!([web_key.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": upn7}), now - 7200))]),
            "CredentialExpired",
            "expired",
        ),
        ("tampered", json!([tampered]), "InvalidCredentialSignature", "signature"),
        (
            "signed by another key under the issuer's kid",
            json!([stranger.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": upn7}), now))]),
            "InvalidCredentialSignature",
            "signature",
        ),
        (
            "wrong type",
            json!([web_key.sign(&vc_claims(&did, "VerifiedStudent", json!({"email": upn7}), now))]),
            "CredentialTypeMismatch",
            "VerifiedStudent",
        ),
        (
            "about someone else",
            json!([web_key.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": "someone@else.example"}), now))]),
            "CredentialSubjectMismatch",
            "target",
        ),
        ("not a JWT", json!(["not-a-credential"]), "InvalidCredential", "JWT-VC"),
    ];
    for (what, creds, code, named) in &cases {
        for v1 in [true, false] {
            let r = s.post(&requests(v1), &s.end_user(7), &user_add(package, policy, creds.clone())).await;
            assert_eq!(r.status, 400, "{what}: {}", r.text);
            assert_eq!(r.error_code(), *code, "{what}: {}", r.text);
            let message = r.body["error"]["message"].as_str().unwrap();
            assert!(message.contains(named), "{what}: {message}");
        }
    }
    assert!(assignments_of(&s, package, user7).await.is_empty());

    // The good credential (EdDSA, did:web) passes; beta GET shows what was verified.
    let r = create(&s, false, &s.end_user(7), &user_add(package, policy, json!([{"credential": good}]))).await;
    let id = r["id"].as_str().unwrap().to_string();
    let vc = &r["verifiedCredentialsData"][0];
    assert_eq!(vc["authority"], did);
    assert_eq!(vc["type"], json!(["VerifiableCredential", "VerifiedEmployee"]));
    assert_eq!(vc["claims"]["jobTitle"], "Engineer");
    assert_eq!(wait_terminal(&s, false, &id).await["requestState"], "Delivered");
    let got = s.get(&format!("{}/{id}", requests(false)), &s.admin()).await;
    assert_eq!(got.body["verifiedCredentialsData"][0]["authority"], did, "{}", got.text);
    let v1 = s.get(&format!("{}/{id}", requests(true)), &s.admin()).await;
    assert!(v1.body.get("verifiedCredentialsData").is_none(), "beta only: {}", v1.text);

    // The configured issuer (ES256), bound by object id, through v1.0.
    let by_id = hr_key.sign(&vc_claims(CONFIGURED_DID, "VerifiedEmployee", json!({"id": user8.to_string()}), now));
    let r = create(&s, true, &s.end_user(8), &user_add(package, policy, json!([by_id]))).await;
    assert_eq!(wait_terminal(&s, true, r["id"].as_str().unwrap()).await["state"], "delivered");

    // The expiry is judged on grantd's clock: two hours later the same credential is expired.
    let user9 = demo::user_id(9);
    let upn9 = upn_of(&s, user9).await;
    let later = web_key.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": upn9}), now));
    s.clock.advance(chrono::Duration::hours(2));
    let r = s.post(&requests(false), &s.end_user(9), &user_add(package, policy, json!([later]))).await;
    assert_eq!(r.error_code(), "CredentialExpired", "{}", r.text);

    // An administrator's direct assignment presents no credential.
    let admin_add = json!({"requestType": "adminAdd", "assignment": {"accessPackageId": package.to_string(),
        "assignmentPolicyId": policy.to_string(), "targetId": user9.to_string()}});
    let r = create(&s, true, &s.admin(), &admin_add).await;
    assert_eq!(r["state"], "submitted");
    s.stop().await;
}

#[tokio::test]
async fn an_unreachable_did_web_issuer_is_an_unknown_issuer_not_a_server_error() {
    let key = TestKey::ed("k");
    // A port nothing listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let did = format!("did:web:127.0.0.1%3A{port}");
    let s = TestServer::start_with(|c| c.verified_id.allow_http = true).await;
    let package = demo::access_package_id(2);
    let policy = credential_policy(&s, package, &[&did]).await;
    let upn = upn_of(&s, demo::user_id(7)).await;
    let now = s.clock.now().timestamp();
    let token = key.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": upn}), now));
    let r = s.post(&requests(false), &s.end_user(7), &user_add(package, policy, json!([token]))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_code(), "UnknownCredentialIssuer");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("DID document"), "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn did_web_is_https_only_unless_the_switch_allows_http() {
    let key = TestKey::ed("signing-1");
    let did = did_web_issuer(&key).await;
    let s = TestServer::start().await;
    let package = demo::access_package_id(2);
    let policy = credential_policy(&s, package, &[&did]).await;
    let upn = upn_of(&s, demo::user_id(7)).await;
    let now = s.clock.now().timestamp();
    let token = key.sign(&vc_claims(&did, "VerifiedEmployee", json!({"email": upn}), now));
    let r = s.post(&requests(true), &s.end_user(7), &user_add(package, policy, json!([token]))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_code(), "UnknownCredentialIssuer", "the plain-http document is not fetched: {}", r.text);
    let _ = V1;
    s.stop().await;
}
