//! The portal's OIDC client: the authorization code flow with PKCE (S256) against the issuer
//! the API already trusts. Endpoints come from the issuer's discovery document (read once, then
//! kept). The access token the issuer returns is verified by the same `Authenticator` the API
//! uses, so a portal user is exactly who the API would accept; the ID token, received straight
//! from the token endpoint over the back channel, is read only for its `nonce` and name.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::sync::Mutex;

/// No `Debug`: it holds the client secret.
#[derive(Clone)]
pub struct OidcClientConfig {
    pub issuer: String,
    /// Default `{issuer}/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    pub client_id: String,
    /// For confidential clients; public clients rely on PKCE alone.
    pub client_secret: Option<String>,
    /// Space-separated scopes to ask for (`openid` is always added).
    pub scopes: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Endpoints {
    authorization_endpoint: String,
    token_endpoint: String,
}

#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub id_token: Option<String>,
}

/// What the ID token says about the user (read, not verified: see the module note).
#[derive(Debug, Default, Deserialize)]
pub struct IdClaims {
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

pub struct OidcClient {
    cfg: OidcClientConfig,
    http: reqwest::Client,
    endpoints: Mutex<Option<Endpoints>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OidcError(String);

fn err(what: impl std::fmt::Display) -> OidcError {
    OidcError(what.to_string())
}

/// The S256 PKCE challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl OidcClient {
    pub fn new(cfg: OidcClientConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { cfg, http, endpoints: Mutex::new(None) })
    }

    async fn endpoints(&self) -> Result<Endpoints, OidcError> {
        let mut cached = self.endpoints.lock().await;
        if let Some(e) = cached.as_ref() {
            return Ok(e.clone());
        }
        let url =
            self.cfg.discovery_url.clone().unwrap_or_else(|| {
                format!("{}/.well-known/openid-configuration", self.cfg.issuer.trim_end_matches('/'))
            });
        let resp = self.http.get(&url).send().await.map_err(|e| err(format!("discovery: {e}")))?;
        if !resp.status().is_success() {
            return Err(err(format!("discovery answered {}", resp.status())));
        }
        let e: Endpoints = resp.json().await.map_err(|e| err(format!("discovery document: {e}")))?;
        *cached = Some(e.clone());
        Ok(e)
    }

    /// Where to send the browser to sign in.
    pub async fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, OidcError> {
        let e = self.endpoints().await?;
        let mut scopes: Vec<&str> = vec!["openid"];
        scopes.extend(self.cfg.scopes.split_whitespace().filter(|s| *s != "openid"));
        let sep = if e.authorization_endpoint.contains('?') { '&' } else { '?' };
        Ok(format!(
            "{}{sep}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
            e.authorization_endpoint,
            enc(&self.cfg.client_id),
            enc(redirect_uri),
            enc(&scopes.join(" ")),
            enc(state),
            enc(nonce),
            challenge(verifier),
        ))
    }

    /// Trades the authorization code for tokens.
    pub async fn exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> Result<Tokens, OidcError> {
        let e = self.endpoints().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.cfg.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        if let Some(s) = &self.cfg.client_secret {
            form.push(("client_secret", s.as_str()));
        }
        let body: String = form.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
        let resp = self
            .http
            .post(&e.token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| err(format!("token endpoint: {e}")))?;
        if !resp.status().is_success() {
            return Err(err(format!("token endpoint answered {}", resp.status())));
        }
        resp.json().await.map_err(|e| err(format!("token response: {e}")))
    }
}

/// The claims of a JWT's payload, unverified.
pub fn id_claims(id_token: &str) -> IdClaims {
    id_token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
