//! OIDC token verification: the issuer's discovery document gives the JWKS address; keys are
//! cached by `kid` and the set is fetched again when a token names an unknown `kid` (at most
//! once per `refetch_interval`, so a flood of bad tokens cannot hammer the issuer).
use crate::error::GraphError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The expected `iss`. May contain `{tenantid}`, replaced by the token's `tid`
    /// (Microsoft Entra multi-tenant issuers).
    pub issuer: String,
    /// Where to read the discovery document; default `{issuer}/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    pub refetch_interval: Duration,
}

struct Cache {
    keys: HashMap<String, (DecodingKey, Option<Algorithm>)>,
    fetched: Option<Instant>,
    jwks_uri: Option<String>,
}

pub struct OidcVerifier {
    cfg: OidcConfig,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

fn unavailable(what: &str) -> GraphError {
    tracing::warn!("{what}");
    GraphError::unauthenticated("Access token validation failure. The issuer's signing keys are unavailable.")
}

impl OidcVerifier {
    pub fn new(cfg: OidcConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { cfg, http, cache: Mutex::new(Cache { keys: HashMap::new(), fetched: None, jwks_uri: None }) })
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
            .unwrap_or_default();
        vec![self.cfg.issuer.replace("{tenantid}", &tid)]
    }

    async fn jwks_uri(&self, cache: &mut Cache) -> Result<String, GraphError> {
        if let Some(u) = &cache.jwks_uri {
            return Ok(u.clone());
        }
        let url =
            self.cfg.discovery_url.clone().unwrap_or_else(|| {
                format!("{}/.well-known/openid-configuration", self.cfg.issuer.trim_end_matches('/'))
            });
        let doc: serde_json::Value = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| unavailable(&format!("OIDC discovery failed: {e}")))?
            .json()
            .await
            .map_err(|e| unavailable(&format!("OIDC discovery document unreadable: {e}")))?;
        let uri = doc
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| unavailable("OIDC discovery document has no jwks_uri"))?
            .to_string();
        cache.jwks_uri = Some(uri.clone());
        Ok(uri)
    }

    async fn refresh(&self, cache: &mut Cache) -> Result<(), GraphError> {
        let uri = self.jwks_uri(cache).await?;
        let set: JwkSet = self
            .http
            .get(&uri)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| unavailable(&format!("JWKS fetch failed: {e}")))?
            .json()
            .await
            .map_err(|e| unavailable(&format!("JWKS unreadable: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            let alg = match jwk.common.key_algorithm {
                Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
                Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
                Some(_) => continue,
                None => None,
            };
            if let Ok(k) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, (k, alg));
            }
        }
        cache.keys = keys;
        cache.fetched = Some(Instant::now());
        Ok(())
    }

    /// The decoding key for `kid`, fetching the JWKS when the key is unknown.
    pub async fn key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, GraphError> {
        let mut cache = self.cache.lock().await;
        if !cache.keys.contains_key(kid) {
            let may_refetch = cache.fetched.is_none_or(|t| t.elapsed() >= self.cfg.refetch_interval);
            if may_refetch {
                self.refresh(&mut cache).await?;
            }
        }
        match cache.keys.get(kid) {
            Some((k, key_alg)) => {
                if key_alg.is_some_and(|a| a != alg) {
                    return Err(GraphError::unauthenticated(
                        "Access token validation failure. The signing algorithm does not match the key.",
                    ));
                }
                Ok(k.clone())
            }
            None => Err(GraphError::unauthenticated("Access token validation failure. Unknown signing key.")),
        }
    }
}
