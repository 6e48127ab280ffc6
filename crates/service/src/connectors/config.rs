//! Connector settings as the server's configuration file gives them (`[[connectors]]` tables,
//! one per resource origin system), and `Secret`, the wrapper that keeps tokens and keys out of
//! `Debug` output, logs and serialized configuration. Validation happens once, at start-up.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A secret value: readable only through `expose`; `Debug`, `Display` and `Serialize` print a
/// placeholder.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// What kind of target system a connector speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorKind {
    /// SCIM 2.0 (RFC 7643/7644): users by `userName`, group membership by PATCH.
    Scim,
    /// A signed HTTP POST per grant and revoke.
    Webhook,
}

/// OAuth 2.0 client credentials (RFC 6749 §4.4) for a connector's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Config {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    #[serde(default)]
    pub scope: Option<String>,
}

/// One `[[connectors]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorConfig {
    /// The `originSystem` of the catalog resources this connector delivers.
    pub origin_system: String,
    pub kind: ConnectorKind,
    /// SCIM: the service provider's base URL (`.../scim/v2`); webhook: the URL to POST to.
    pub base_url: String,
    /// A static bearer token for the target.
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    #[serde(default)]
    pub oauth2: Option<OAuth2Config>,
    /// Webhook: the HMAC-SHA256 key of the `X-Grantd-Signature` header.
    #[serde(default)]
    pub signing_secret: Option<Secret>,
    /// Seconds one call to the target may take.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    10
}

impl ConnectorConfig {
    /// Checks the settings (start-up refuses bad ones with this message).
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.origin_system;
        if name.trim().is_empty() {
            return Err("a connector needs origin_system".into());
        }
        if name.eq_ignore_ascii_case(grantd_domain::resource::AAD_GROUP) {
            return Err("origin_system AadGroup is grantd's own directory; it needs no connector".into());
        }
        let url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| format!("connector {name}: base_url {:?} is not a URL: {e}", self.base_url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("connector {name}: base_url must be http or https"));
        }
        if self.bearer_token.is_some() && self.oauth2.is_some() {
            return Err(format!("connector {name}: give bearer_token or oauth2, not both"));
        }
        if let Some(o) = &self.oauth2 {
            reqwest::Url::parse(&o.token_url).map_err(|e| format!("connector {name}: oauth2.token_url: {e}"))?;
        }
        if self.kind == ConnectorKind::Webhook && self.signing_secret.as_ref().is_none_or(Secret::is_empty) {
            return Err(format!("connector {name}: a webhook connector needs signing_secret"));
        }
        if self.timeout_secs == 0 {
            return Err(format!("connector {name}: timeout_secs must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_leak_through_debug_or_serialization() {
        let c = ConnectorConfig {
            origin_system: "Hr".into(),
            kind: ConnectorKind::Webhook,
            base_url: "http://127.0.0.1:1/hook".into(),
            bearer_token: Some(Secret::new("tok-123")),
            oauth2: None,
            signing_secret: Some(Secret::new("key-456")),
            timeout_secs: 5,
        };
        let shown = format!("{c:?} {}", serde_json::to_string(&c).unwrap());
        assert!(!shown.contains("tok-123") && !shown.contains("key-456"), "{shown}");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_settings_are_refused() {
        let ok = ConnectorConfig {
            origin_system: "Scim".into(),
            kind: ConnectorKind::Scim,
            base_url: "https://scim.example/v2".into(),
            bearer_token: None,
            oauth2: None,
            signing_secret: None,
            timeout_secs: 5,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            ConnectorConfig { base_url: "not a url".into(), ..ok.clone() },
            ConnectorConfig { origin_system: "AadGroup".into(), ..ok.clone() },
            ConnectorConfig { kind: ConnectorKind::Webhook, ..ok.clone() },
            ConnectorConfig { timeout_secs: 0, ..ok.clone() },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
