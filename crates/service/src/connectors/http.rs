//! The HTTP side shared by the outbound connectors: one reqwest client per connector with its
//! timeout, the credentials (a static bearer token, or OAuth 2.0 client credentials fetched and
//! cached until shortly before they expire), and the one rule that classifies an answer:
//! unreachable, timeouts, 5xx and 429 are transient; any other non-2xx is permanent, with the
//! target's own message kept (cut short). Secrets are never logged.
use super::config::{ConnectorConfig, OAuth2Config, Secret};
use super::ConnectorError;
use reqwest::{RequestBuilder, Response, StatusCode};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub struct Client {
    pub http: reqwest::Client,
    pub base_url: String,
    pub origin_system: String,
    bearer: Option<Secret>,
    oauth2: Option<OAuth2Config>,
    token: Mutex<Option<(Secret, Instant)>>,
}

/// How much of a target's error body is kept.
const MESSAGE_LIMIT: usize = 500;

impl Client {
    pub fn new(cfg: &ConnectorConfig) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.timeout_secs))
            .connect_timeout(Duration::from_secs(cfg.timeout_secs))
            .build()
            .map_err(|e| format!("connector {}: {e}", cfg.origin_system))?;
        Ok(Client {
            http,
            base_url: cfg.base_url.trim_end_matches('/').to_string(),
            origin_system: cfg.origin_system.clone(),
            bearer: cfg.bearer_token.clone(),
            oauth2: cfg.oauth2.clone(),
            token: Mutex::new(None),
        })
    }

    async fn oauth2_token(&self, o: &OAuth2Config) -> Result<Secret, ConnectorError> {
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let mut form = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", o.client_id.clone()),
            ("client_secret", o.client_secret.expose().to_string()),
        ];
        if let Some(s) = &o.scope {
            form.push(("scope", s.clone()));
        }
        let body = form.iter().map(|(k, v)| format!("{k}={}", percent(v))).collect::<Vec<_>>().join("&");
        let rb = self.http.post(&o.token_url).header("content-type", "application/x-www-form-urlencoded").body(body);
        let resp = check(rb.send().await, "token endpoint").await?;
        #[derive(serde::Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let t: Token = resp
            .json()
            .await
            .map_err(|e| ConnectorError::Transient(format!("token endpoint answered an unreadable token: {e}")))?;
        // Renew a minute early (at least half the lifetime early for short-lived tokens).
        let life = t.expires_in.unwrap_or(300);
        let until = Instant::now() + Duration::from_secs(life.saturating_sub(60.min(life / 2)));
        let secret = Secret::new(t.access_token);
        *cached = Some((secret.clone(), until));
        Ok(secret)
    }

    /// Adds the connector's credentials to a request.
    pub async fn authorize(&self, rb: RequestBuilder) -> Result<RequestBuilder, ConnectorError> {
        Ok(match (&self.bearer, &self.oauth2) {
            (Some(t), _) => rb.bearer_auth(t.expose()),
            (None, Some(o)) => rb.bearer_auth(self.oauth2_token(o).await?.expose()),
            (None, None) => rb,
        })
    }

    /// Sends with credentials and classifies the answer (`what` names the call in messages).
    pub async fn send(&self, rb: RequestBuilder, what: &str) -> Result<Response, ConnectorError> {
        let rb = self.authorize(rb).await?;
        check(rb.send().await, what).await
    }
}

/// Form-encodes one value (RFC 3986 unreserved characters pass).
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Transient: no answer, 5xx, 429 (and 408). Permanent: any other non-2xx.
pub fn is_transient(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT
}

async fn check(sent: Result<Response, reqwest::Error>, what: &str) -> Result<Response, ConnectorError> {
    let resp = match sent {
        Ok(r) => r,
        // reqwest errors carry the URL, never credentials.
        Err(e) => return Err(ConnectorError::Transient(format!("{what}: {e}"))),
    };
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    let detail = target_message(&text);
    let msg = if detail.is_empty() { format!("{what}: {status}") } else { format!("{what}: {status}: {detail}") };
    if is_transient(status) {
        Err(ConnectorError::Transient(msg))
    } else {
        Err(ConnectorError::Permanent(msg))
    }
}

/// The target's message: SCIM's `detail` (RFC 7644 §3.12), a Graph-style `error.message`, a
/// `message`, or the body itself, cut to `MESSAGE_LIMIT` characters.
fn target_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        v.get("detail")
            .or_else(|| v.pointer("/error/message"))
            .or_else(|| v.get("message"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    });
    from_json.unwrap_or_else(|| body.trim().to_string()).chars().take(MESSAGE_LIMIT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        for (code, transient) in
            [(500, true), (503, true), (429, true), (408, true), (400, false), (404, false), (409, false)]
        {
            assert_eq!(is_transient(StatusCode::from_u16(code).unwrap()), transient, "{code}");
        }
    }

    #[test]
    fn target_messages_are_read_from_scim_and_graph_errors() {
        assert_eq!(target_message(r#"{"schemas":[],"detail":"userName is bad","status":"400"}"#), "userName is bad");
        assert_eq!(target_message(r#"{"error":{"code":"x","message":"nope"}}"#), "nope");
        assert_eq!(target_message("plain"), "plain");
        assert_eq!(target_message(&"x".repeat(2000)).len(), MESSAGE_LIMIT);
        assert_eq!(percent("a b&c"), "a%20b%26c");
    }
}
