//! Verified ID: checks the verifiable credentials a request presents (beta
//! `verifiedCredentialsData`) against its policy's `verifiableCredentialSettings`. Owns the
//! resolution of issuer keys (JWKS given in configuration, or a `did:web` document fetched over
//! HTTPS) and the verification of a JWT-VC (issuer, signature, expiry, type, subject binding).
//! It does not choose the policy (validation does) and stores nothing; the verified credentials
//! are recorded on the request by `requests::submit`. See docs/policies.md.
use chrono::{DateTime, TimeZone, Utc};
use grantd_domain::directory::User;
use grantd_domain::policy::VerifiableCredentialSettings;
use grantd_domain::request::VerifiedCredential;
use grantd_domain::DomainError;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// `[verified_id]` configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VerifiedIdConfig {
    /// Resolve `did:web` issuers over plain http instead of https (local testing only).
    pub allow_http: bool,
    /// Seconds a `did:web` document fetch may take.
    pub timeout_secs: u64,
    /// Issuers whose keys are given here (`[[verified_id.issuers]]`); a configured issuer is
    /// never resolved over the network.
    pub issuers: Vec<IssuerConfig>,
}

impl Default for VerifiedIdConfig {
    fn default() -> Self {
        VerifiedIdConfig { allow_http: false, timeout_secs: 10, issuers: Vec::new() }
    }
}

/// One configured issuer: its DID and its public keys as a JWKS (`{"keys": [...]}`), given as
/// a table or as JSON text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    pub did: String,
    pub jwks: Value,
}

/// A public key of an issuer, with the names it may be referred to by in a JWS `kid`.
#[derive(Clone)]
struct IssuerKey {
    ids: Vec<String>,
    jwk: Jwk,
}

/// The credential checker (one per process).
pub struct Verifier {
    configured: HashMap<String, Vec<IssuerKey>>,
    allow_http: bool,
    http: reqwest::Client,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("issuers", &self.configured.keys().collect::<Vec<_>>()).finish()
    }
}

const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

fn err(code: &'static str, message: String) -> DomainError {
    DomainError::invalid(code, message)
}

/// The keys of a JWKS (`{"keys": [...]}`), each named by its `kid`.
fn jwks_keys(jwks: &Value) -> Result<Vec<IssuerKey>, String> {
    let parsed;
    let jwks = match jwks {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| format!("jwks is not JSON: {e}"))?;
            &parsed
        }
        other => other,
    };
    let list = jwks.get("keys").and_then(Value::as_array).ok_or("jwks needs a 'keys' array")?;
    list.iter()
        .map(|k| {
            let jwk: Jwk = serde_json::from_value(k.clone()).map_err(|e| format!("a key of the jwks: {e}"))?;
            let ids = jwk.common.key_id.clone().into_iter().collect();
            Ok(IssuerKey { ids, jwk })
        })
        .collect()
}

/// The https (or, when allowed, http) URL of a `did:web` document: `did:web:host%3Aport` ->
/// `https://host:port/.well-known/did.json`; `did:web:host:a:b` -> `https://host/a/b/did.json`.
pub fn did_web_url(did: &str, allow_http: bool) -> Option<String> {
    let rest = did.strip_prefix("did:web:")?;
    let mut parts = rest.split(':');
    let host = parts.next()?.replace("%3A", ":").replace("%3a", ":");
    let host_ok =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    let path: Vec<&str> = parts.collect();
    let path_ok = path.iter().all(|p| {
        !p.is_empty() && *p != ".." && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    });
    if !host_ok || !path_ok {
        return None;
    }
    let scheme = if allow_http { "http" } else { "https" };
    Some(if path.is_empty() {
        format!("{scheme}://{host}/.well-known/did.json")
    } else {
        format!("{scheme}://{host}/{}/did.json", path.join("/"))
    })
}

/// The keys of a DID document: its `verificationMethod`s with a `publicKeyJwk`, limited to
/// those its `assertionMethod` names when it has one.
fn document_keys(did: &str, doc: &Value) -> Result<Vec<IssuerKey>, String> {
    if doc.get("id").and_then(Value::as_str) != Some(did) {
        return Err(format!("the DID document does not have the id '{did}'"));
    }
    let full = |id: &str| if id.starts_with('#') { format!("{did}{id}") } else { id.to_string() };
    let mut methods: Vec<&Value> =
        doc.get("verificationMethod").and_then(Value::as_array).into_iter().flatten().collect();
    if let Some(assertion) = doc.get("assertionMethod").and_then(Value::as_array) {
        let named: Vec<String> = assertion.iter().filter_map(Value::as_str).map(full).collect();
        methods.retain(|m| m.get("id").and_then(Value::as_str).is_some_and(|id| named.contains(&full(id))));
        methods.extend(assertion.iter().filter(|m| m.is_object()));
    }
    let mut keys = Vec::new();
    for m in methods {
        let (Some(id), Some(jwk)) = (m.get("id").and_then(Value::as_str), m.get("publicKeyJwk")) else { continue };
        let Ok(jwk) = serde_json::from_value::<Jwk>(jwk.clone()) else { continue };
        let id = full(id);
        let mut ids = vec![id.clone()];
        ids.extend(id.split_once('#').map(|(_, frag)| frag.to_string()));
        ids.extend(jwk.common.key_id.clone());
        keys.push(IssuerKey { ids, jwk });
    }
    if keys.is_empty() {
        return Err("the DID document publishes no usable key".into());
    }
    Ok(keys)
}

/// The algorithms a credential may be signed with (never a shared secret).
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

fn time_claim(claims: &Value, name: &str) -> Option<DateTime<Utc>> {
    claims.get(name).and_then(Value::as_i64).and_then(|s| Utc.timestamp_opt(s, 0).single())
}

/// The credential names the target: an e-mail-like claim of its subject (`email`, `mail`,
/// `upn`, `userPrincipalName`) equal to the target's mail or principal name, or the subject's
/// `id` (or the JWT `sub`) equal to the target's object id (docs/decisions.md).
fn names_target(claims: &Value, subject: &Value, target: &User) -> bool {
    let target_id = target.id.to_string();
    let ids = [subject.get("id"), claims.get("sub")];
    let by_id = ids.iter().flatten().filter_map(|v| v.as_str()).any(|s| {
        let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
        s.eq_ignore_ascii_case(&target_id)
    });
    let addresses: Vec<&str> =
        target.mail.iter().map(String::as_str).chain(std::iter::once(target.user_principal_name.as_str())).collect();
    let by_mail = ["email", "mail", "upn", "userPrincipalName"]
        .iter()
        .filter_map(|k| subject.get(*k).and_then(Value::as_str))
        .any(|m| addresses.iter().any(|a| a.eq_ignore_ascii_case(m.trim())));
    by_id || by_mail
}

fn describe(settings: &VerifiableCredentialSettings) -> String {
    settings
        .credential_types
        .iter()
        .map(|t| format!("'{}' from {}", t.credential_type.as_deref().unwrap_or(""), t.issuers.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Verifier {
    pub fn new(cfg: &VerifiedIdConfig) -> Result<Verifier, String> {
        let mut configured = HashMap::new();
        for i in &cfg.issuers {
            if !i.did.starts_with("did:") {
                return Err(format!("verified_id.issuers: '{}' is not a DID", i.did));
            }
            let keys = jwks_keys(&i.jwks).map_err(|e| format!("verified_id.issuers '{}': {e}", i.did))?;
            configured.insert(i.did.clone(), keys);
        }
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("verified_id: {e}"))?;
        Ok(Verifier { configured, allow_http: cfg.allow_http, http })
    }

    /// A verifier with no configured issuer that resolves `did:web` over https only.
    pub fn disabled() -> Verifier {
        Verifier { configured: HashMap::new(), allow_http: false, http: reqwest::Client::new() }
    }

    async fn keys_of(&self, did: &str) -> Result<Vec<IssuerKey>, String> {
        if let Some(k) = self.configured.get(did) {
            return Ok(k.clone());
        }
        let url = did_web_url(did, self.allow_http)
            .ok_or_else(|| "it is neither configured nor a resolvable did:web".to_string())?;
        let fetched = async {
            let resp = self.http.get(&url).send().await.map_err(|_| "its DID document could not be fetched")?;
            if !resp.status().is_success() {
                return Err("its DID document could not be fetched");
            }
            let body = resp.bytes().await.map_err(|_| "its DID document could not be fetched")?;
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err("its DID document is too large");
            }
            serde_json::from_slice::<Value>(&body).map_err(|_| "its DID document is not JSON")
        }
        .await;
        let doc = fetched.map_err(|e| {
            tracing::info!(did, url, "did:web resolution failed: {e}");
            e.to_string()
        })?;
        document_keys(did, &doc)
    }

    /// Checks the presented credentials (compact JWS each) against the policy's settings for
    /// `target`: every credential type of the policy must be covered by a valid credential
    /// from one of its issuers. Returns what is recorded on the request.
    pub async fn check(
        &self,
        settings: &VerifiableCredentialSettings,
        presented: &[String],
        target: &User,
        now: DateTime<Utc>,
    ) -> Result<Vec<VerifiedCredential>, DomainError> {
        if presented.is_empty() {
            return Err(err(
                "VerifiableCredentialRequired",
                format!(
                    "The policy requires a verifiable credential ({}); present it in 'verifiedCredentialsData'.",
                    describe(settings)
                ),
            ));
        }
        let mut verified = Vec::new();
        for (i, token) in presented.iter().enumerate() {
            let at = format!("verifiedCredentialsData[{i}]");
            verified.push(self.verify_one(&at, token, settings, target, now).await?);
        }
        for t in &settings.credential_types {
            let kind = t.credential_type.as_deref().unwrap_or("");
            let covered =
                verified.iter().any(|v| v.types.iter().any(|x| x == kind) && t.issuers.contains(&v.authority));
            if !covered {
                return Err(err(
                    "VerifiableCredentialRequired",
                    format!(
                        "No presented credential is of type '{kind}' from one of {}; the policy requires it.",
                        t.issuers.join(", ")
                    ),
                ));
            }
        }
        Ok(verified)
    }

    async fn verify_one(
        &self,
        at: &str,
        token: &str,
        settings: &VerifiableCredentialSettings,
        target: &User,
        now: DateTime<Utc>,
    ) -> Result<VerifiedCredential, DomainError> {
        let malformed = |why: &str| err("InvalidCredential", format!("The credential in '{at}' {why}."));
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| malformed("is not a JWT-VC (a compact JWS with a supported 'alg')"))?;
        let claims: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
            .map_err(|_| malformed("is not a JWT-VC (its payload is not a JSON object)"))?
            .claims;
        let iss = claims.get("iss").and_then(Value::as_str).ok_or_else(|| malformed("has no 'iss' claim"))?;
        let accepted = settings.credential_types.iter().any(|t| t.issuers.iter().any(|i| i == iss));
        if !accepted {
            return Err(err(
                "UnknownCredentialIssuer",
                format!(
                    "The credential in '{at}' is issued by '{iss}', which the policy does not accept (it accepts {}).",
                    describe(settings)
                ),
            ));
        }
        let keys = self.keys_of(iss).await.map_err(|why| {
            err("UnknownCredentialIssuer", format!("The issuer '{iss}' of the credential in '{at}' is unknown: {why}."))
        })?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(err(
                "InvalidCredentialSignature",
                format!("The credential in '{at}' is signed with '{:?}', which is not accepted.", header.alg),
            ));
        }
        let named = |k: &&IssuerKey| match &header.kid {
            Some(kid) => k.ids.iter().any(|id| id == kid || kid.rsplit_once('#').is_some_and(|(_, f)| f == id)),
            None => true,
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let signed = keys.iter().filter(named).any(|k| {
            DecodingKey::from_jwk(&k.jwk)
                .ok()
                .is_some_and(|key| jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok())
        });
        if !signed {
            return Err(err(
                "InvalidCredentialSignature",
                format!("The signature of the credential in '{at}' does not verify with the keys of '{iss}'."),
            ));
        }
        if let Some(exp) = time_claim(&claims, "exp") {
            if now >= exp {
                return Err(err(
                    "CredentialExpired",
                    format!("The credential in '{at}' expired at {}.", exp.format("%Y-%m-%dT%H:%M:%SZ")),
                ));
            }
        }
        if let Some(nbf) = time_claim(&claims, "nbf") {
            if now < nbf {
                return Err(err(
                    "CredentialNotYetValid",
                    format!("The credential in '{at}' is not valid before {}.", nbf.format("%Y-%m-%dT%H:%M:%SZ")),
                ));
            }
        }
        let vc = claims.get("vc").filter(|v| v.is_object()).ok_or_else(|| malformed("has no 'vc' claim"))?;
        let types = strings(vc.get("type"));
        let wanted: Vec<&str> = settings
            .credential_types
            .iter()
            .filter(|t| t.issuers.iter().any(|i| i == iss))
            .filter_map(|t| t.credential_type.as_deref())
            .collect();
        if !types.iter().any(|t| wanted.contains(&t.as_str())) {
            return Err(err(
                "CredentialTypeMismatch",
                format!(
                    "The credential in '{at}' is of type {:?}; the policy accepts {:?} from '{iss}'.",
                    types, wanted
                ),
            ));
        }
        let subject = vc
            .get("credentialSubject")
            .filter(|v| v.is_object())
            .ok_or_else(|| malformed("has no 'vc.credentialSubject'"))?;
        if !names_target(&claims, subject, target) {
            return Err(err(
                "CredentialSubjectMismatch",
                format!(
                    "The credential in '{at}' is not about the request's target: its subject names neither the \
                     target's mail or principal name nor its object id."
                ),
            ));
        }
        Ok(VerifiedCredential { authority: iss.to_string(), types, claims: subject.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn did_web_names_its_document() {
        assert_eq!(did_web_url("did:web:example.com", false).unwrap(), "https://example.com/.well-known/did.json");
        assert_eq!(
            did_web_url("did:web:127.0.0.1%3A8443:issuers:hr", true).unwrap(),
            "http://127.0.0.1:8443/issuers/hr/did.json"
        );
        assert!(did_web_url("did:web:evil.com%2F..", false).is_none());
        assert!(did_web_url("did:web:a.com:..", false).is_none());
        assert!(did_web_url("did:key:z6Mk", false).is_none());
    }

    #[test]
    fn document_keys_follow_assertion_method() {
        let did = "did:web:example.com";
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let doc = json!({"id": did, "verificationMethod": [
            {"id": "#a", "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk},
            {"id": "did:web:example.com#b", "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}],
            "assertionMethod": ["did:web:example.com#a"]});
        let keys = document_keys(did, &doc).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].ids, vec!["did:web:example.com#a".to_string(), "a".to_string()]);
        assert!(document_keys("did:web:other.com", &doc).is_err());
    }

    #[test]
    fn configured_jwks_may_be_json_text() {
        let cfg = VerifiedIdConfig {
            issuers: vec![IssuerConfig {
                did: "did:web:x".into(),
                jwks: json!(
                    r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#
                ),
            }],
            ..VerifiedIdConfig::default()
        };
        assert!(Verifier::new(&cfg).is_ok());
        let bad = VerifiedIdConfig {
            issuers: vec![IssuerConfig { did: "did:web:x".into(), jwks: json!({"nokeys": []}) }],
            ..VerifiedIdConfig::default()
        };
        assert!(Verifier::new(&bad).is_err());
    }
}
