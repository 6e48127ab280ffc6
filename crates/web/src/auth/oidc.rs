//! OIDC token verification keys: the issuer's discovery document gives the JWKS address; signing
//! keys (RSA for RS256, EC P-256 for ES256, nothing else) are cached by `kid`, and the set is
//! fetched again when a token names an unknown `kid` — at most once per `refetch_interval`
//! (failed attempts count), so a flood of bad tokens cannot hammer the issuer. Tokens with known
//! keys never wait on a fetch. An unreachable issuer is a 401, never a 500.
use crate::error::GraphError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The expected `iss`. May contain `{tenantid}`, replaced by the token's `tid`
    /// (Microsoft Entra multi-tenant issuers).
    pub issuer: String,
    /// Where to read the discovery document; default `{issuer}/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    pub refetch_interval: Duration,
}

/// A verification key and the one algorithm it may verify.
#[derive(Clone)]
struct Key {
    key: DecodingKey,
    alg: Algorithm,
}

#[derive(Default)]
struct Fetch {
    /// The last fetch attempt, successful or not (the throttle).
    attempted: Option<Instant>,
    jwks_uri: Option<String>,
}

pub struct OidcVerifier {
    cfg: OidcConfig,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, Key>>,
    /// Held while fetching, so concurrent unknown-kid tokens cause one fetch.
    fetch: Mutex<Fetch>,
}

fn unavailable(what: &str) -> GraphError {
    tracing::warn!("{what}");
    GraphError::unauthenticated("Access token validation failure. The issuer's signing keys are unavailable.")
}

/// The key a JWK describes, if it is a signing key grantd accepts.
fn accepted_key(jwk: &Jwk) -> Option<(String, Key)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))) {
        return None;
    }
    let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256)) if p.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, Key { key, alg }))
}

impl OidcVerifier {
    pub fn new(cfg: OidcConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()?;
        Ok(Self { cfg, http, keys: RwLock::new(HashMap::new()), fetch: Mutex::new(Fetch::default()) })
    }

    /// The issuers a token may carry (the template filled with its `tid`).
    pub fn issuers_for(&self, token: &str) -> Vec<String> {
        if !self.cfg.issuer.contains("{tenantid}") {
            return vec![self.cfg.issuer.clone()];
        }
        let tid = token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("tid").and_then(|t| t.as_str()).map(str::to_string))
            .filter(|t| grantd_domain::parse_guid(t).is_some());
        match tid {
            Some(tid) => vec![self.cfg.issuer.replace("{tenantid}", &tid)],
            // No usable tid: nothing can match (the literal template is never a real issuer).
            None => Vec::new(),
        }
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<serde_json::Value, GraphError> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| unavailable(&format!("OIDC {what} fetch from {url} failed: {e}")))?
            .json()
            .await
            .map_err(|e| unavailable(&format!("OIDC {what} from {url} is not JSON: {e}")))
    }

    async fn jwks_uri(&self, fetch: &mut Fetch) -> Result<String, GraphError> {
        if let Some(u) = &fetch.jwks_uri {
            return Ok(u.clone());
        }
        let url =
            self.cfg.discovery_url.clone().unwrap_or_else(|| {
                format!("{}/.well-known/openid-configuration", self.cfg.issuer.trim_end_matches('/'))
            });
        let doc = self.get_json(&url, "discovery document").await?;
        if let Some(iss) = doc.get("issuer").and_then(|v| v.as_str()) {
            if iss.trim_end_matches('/') != self.cfg.issuer.trim_end_matches('/') {
                tracing::warn!(discovered = iss, configured = %self.cfg.issuer, "OIDC discovery names another issuer");
            }
        }
        let uri = doc
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| unavailable("OIDC discovery document has no jwks_uri"))?
            .to_string();
        fetch.jwks_uri = Some(uri.clone());
        Ok(uri)
    }

    /// Fetches the key set and replaces the cache with it.
    async fn refresh(&self, fetch: &mut Fetch) -> Result<(), GraphError> {
        fetch.attempted = Some(Instant::now());
        let uri = self.jwks_uri(fetch).await?;
        let set = match self.get_json(&uri, "JWKS").await {
            Ok(s) => s,
            Err(e) => {
                // The address may have moved: discover it again next time.
                fetch.jwks_uri = None;
                return Err(e);
            }
        };
        let Some(items) = set.get("keys").and_then(|k| k.as_array()) else {
            return Err(unavailable("OIDC JWKS has no keys array"));
        };
        // Key by key, so one key of a kind grantd does not know cannot hide the others.
        let keys: HashMap<String, Key> = items
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter_map(|jwk| accepted_key(&jwk))
            .collect();
        tracing::debug!(keys = keys.len(), "OIDC signing keys fetched");
        *self.keys.write().await = keys;
        Ok(())
    }

    async fn cached(&self, kid: &str) -> Option<Key> {
        self.keys.read().await.get(kid).cloned()
    }

    /// The decoding key for `kid`, fetching the JWKS when the key is unknown.
    pub async fn key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, GraphError> {
        let found = match self.cached(kid).await {
            Some(k) => Some(k),
            None => {
                let mut fetch = self.fetch.lock().await;
                // Another request may have fetched while this one waited.
                match self.cached(kid).await {
                    Some(k) => Some(k),
                    None => {
                        let may_refetch = fetch.attempted.is_none_or(|t| t.elapsed() >= self.cfg.refetch_interval);
                        if may_refetch {
                            self.refresh(&mut fetch).await?;
                        }
                        self.cached(kid).await
                    }
                }
            }
        };
        match found {
            Some(k) if k.alg == alg => Ok(k.key),
            Some(_) => Err(GraphError::unauthenticated(
                "Access token validation failure. The signing algorithm does not match the key.",
            )),
            None => Err(GraphError::unauthenticated("Access token validation failure. Unknown signing key.")),
        }
    }
}
