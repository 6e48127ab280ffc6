//! Typed configuration: defaults in code, then a TOML file, then `GRANTD_*` environment
//! variables (nested keys with `__`, e.g. `GRANTD_AUTH__MODE=oidc`), then command-line flags.
//! Unknown keys are an error, so a typo never silently falls back to a default.
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the SQLite database and the dev signing key.
    pub data_dir: PathBuf,
    /// `sqlite:PATH` or `postgres://...`; empty means `sqlite:{data_dir}/grantd.db`.
    pub database_url: String,
    /// Base URL clients use, when behind a proxy (nextLinks and contexts are built from it);
    /// also the portal base of the links in notification mails.
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// Largest page a list returns; a larger `$top` is lowered to it (1 to 999).
    pub max_page_size: usize,
    /// `text` or `json`.
    pub log_format: String,
    /// Background job runners in this process.
    pub job_workers: usize,
    /// Seconds a runner holds a claimed job before another runner (in any instance) may take it
    /// over; longer than the slowest job, short enough to recover quickly from a dead instance.
    pub job_lease_secs: u64,
    /// PostgreSQL pool size (SQLite: read connections).
    pub db_max_connections: u32,
    /// How long start-up waits for the database to accept connections.
    pub db_connect_timeout_secs: u64,
    /// PostgreSQL statement timeout; 0 leaves the server's default.
    pub db_statement_timeout_secs: u64,
    /// SMTP server for notification mails: `smtp://host:port` (plain, for local relays),
    /// `smtp://host:port?tls=required` (STARTTLS), `smtps://host:port` (TLS), with
    /// `user:password@` for authentication. Empty disables mail (notices are recorded as skipped).
    pub smtp_url: SmtpUrl,
    /// The sender of notification mails (`address` or `Name <address>`).
    pub mail_from: String,
    pub auth: AuthConfig,
    pub delivery: DeliveryConfig,
    /// Connectors to external target systems (`[[connectors]]`), one per resource origin
    /// system; see docs/connectors.md.
    #[serde(default)]
    pub connectors: Vec<grantd_service::connectors::ConnectorConfig>,
    pub portal: PortalConfig,
    pub extensions: ExtensionsConfig,
    /// Verified ID: the issuers of verifiable credentials and how `did:web` is resolved
    /// (docs/policies.md).
    #[serde(default)]
    pub verified_id: grantd_service::verified_id::VerifiedIdConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Attempts of one resource's delivery before a transient failure (unreachable, 5xx, 429)
    /// counts as final; retries back off exponentially (2^n s, plus jitter).
    pub max_attempts: u32,
    /// Seconds a request may stay in Delivering before the watchdog re-queues its missing work
    /// (and again every such period while it stays there).
    pub watchdog_secs: u64,
}

/// The SMTP URL: its password never appears in `Debug` output or messages.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct SmtpUrl(pub String);

impl SmtpUrl {
    pub fn get(&self) -> Option<&str> {
        Some(self.0.trim()).filter(|u| !u.is_empty())
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", grantd_service::notify::redact_url(&self.0))
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortalConfig {
    /// Serve the My Access portal at `/`.
    pub enabled: bool,
    /// Hours a portal sign-in lasts.
    pub session_hours: u64,
    /// OIDC mode: the portal's client id at the issuer (the portal is off in OIDC mode without it).
    pub oidc_client_id: String,
    /// OIDC mode: the client secret, for a confidential client (empty: a public client, PKCE only).
    pub oidc_client_secret: String,
    /// OIDC mode: scopes to ask for besides `openid` (they must yield an access token for grantd).
    pub oidc_scopes: String,
}

/// Custom extension callouts (docs/custom-extensions.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExtensionsConfig {
    /// Accept plain-http endpoints to hosts other than localhost (local development only;
    /// localhost is always allowed).
    pub allow_http: bool,
    /// PKCS#8 file of the ES256 key callouts are signed with (base64); empty means
    /// `{data_dir}/callout-signing.key`, created on first start. Instances sharing one database
    /// must share this file.
    pub signing_key_file: String,
    /// A file whose contents are the HMAC key of the `X-Grantd-Signature` header; empty sends
    /// no HMAC. A file, so that the secret never appears in configuration dumps.
    pub hmac_key_file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// `dev` (grantd signs its own tokens) or `oidc` (an external issuer).
    pub mode: String,
    /// Audiences accepted besides Graph's own (`https://graph.microsoft.com`, its app id).
    pub audiences: Vec<String>,
    /// OIDC issuer; may contain `{tenantid}`.
    pub oidc_issuer: String,
    /// OIDC discovery document URL; default `{issuer}/.well-known/openid-configuration`.
    pub oidc_discovery_url: String,
    /// Minimum seconds between JWKS refetches triggered by unknown key ids.
    pub jwks_refetch_secs: u64,
    /// Seconds a caller's groups and entitlement-management roles are reused between requests
    /// (changes made through this instance apply at once; 0 reads them on every request).
    pub access_cache_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:5050".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            public_url: String::new(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            max_page_size: 999,
            log_format: "text".into(),
            job_workers: 2,
            job_lease_secs: 60,
            db_max_connections: 16,
            db_connect_timeout_secs: 30,
            db_statement_timeout_secs: 30,
            smtp_url: SmtpUrl::default(),
            mail_from: "grantd <grantd@localhost>".into(),
            auth: AuthConfig {
                mode: "dev".into(),
                audiences: Vec::new(),
                oidc_issuer: String::new(),
                oidc_discovery_url: String::new(),
                jwks_refetch_secs: 10,
                access_cache_secs: 5,
            },
            delivery: DeliveryConfig { max_attempts: 8, watchdog_secs: 600 },
            connectors: Vec::new(),
            portal: PortalConfig {
                enabled: true,
                session_hours: 8,
                oidc_client_id: String::new(),
                oidc_client_secret: String::new(),
                oidc_scopes: "profile".into(),
            },
            extensions: ExtensionsConfig {
                allow_http: false,
                signing_key_file: String::new(),
                hmac_key_file: String::new(),
            },
            verified_id: grantd_service::verified_id::VerifiedIdConfig::default(),
        }
    }
}

/// The client secret never reaches `Debug` output.
impl std::fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalConfig")
            .field("enabled", &self.enabled)
            .field("session_hours", &self.session_hours)
            .field("oidc_client_id", &self.oidc_client_id)
            .field("oidc_client_secret", &if self.oidc_client_secret.is_empty() { "" } else { "<redacted>" })
            .field("oidc_scopes", &self.oidc_scopes)
            .finish()
    }
}

/// `GRANTD_*` variables that are not configuration keys: the config file path, the log filter,
/// and the test and CI switches.
const NOT_CONFIG: &[&str] =
    &["CONFIG", "LOG", "TEST_DATABASE_URL", "SKIP_SDK_TESTS", "SKIP_PORTAL_TESTS", "CI_PG_URL", "SDK_VENV"];

impl Config {
    /// Loads defaults <- `file` (if given, must exist) <- environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        Self::load_from(file, Env::prefixed("GRANTD_").ignore(NOT_CONFIG).split("__"))
    }

    pub fn load_from(file: Option<&Path>, env: Env) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                anyhow::bail!("config file {} does not exist", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        let cfg: Config = fig.merge(env).extract()?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        match self.auth.mode.as_str() {
            "dev" => {}
            "oidc" => {
                if self.auth.oidc_issuer.is_empty() {
                    anyhow::bail!("auth.mode = \"oidc\" needs auth.oidc_issuer");
                }
            }
            other => anyhow::bail!("auth.mode must be \"dev\" or \"oidc\", not {other:?}"),
        }
        if self.portal.session_hours == 0 || self.portal.session_hours > 24 * 30 {
            anyhow::bail!("portal.session_hours must be between 1 and 720");
        }
        if !(1..=999).contains(&self.max_page_size) {
            anyhow::bail!("max_page_size must be between 1 and 999");
        }
        if self.job_lease_secs == 0 {
            anyhow::bail!("job_lease_secs must be at least 1");
        }
        if let Some(url) = self.smtp_url.get() {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                anyhow::bail!("smtp_url must start with smtp:// or smtps://");
            }
        }
        if !(1..=30).contains(&self.delivery.max_attempts) {
            anyhow::bail!("delivery.max_attempts must be between 1 and 30");
        }
        if self.delivery.watchdog_secs == 0 {
            anyhow::bail!("delivery.watchdog_secs must be at least 1");
        }
        for c in &self.connectors {
            c.validate().map_err(anyhow::Error::msg)?;
        }
        grantd_service::verified_id::Verifier::new(&self.verified_id).map_err(anyhow::Error::msg)?;
        if !matches!(self.log_format.as_str(), "text" | "json") {
            anyhow::bail!("log_format must be \"text\" or \"json\"");
        }
        Ok(())
    }

    /// The database URL without its password, for messages.
    pub fn database_url_redacted(&self) -> String {
        let url = self.database_url();
        match (url.find("://"), url.find('@')) {
            (Some(s), Some(at)) if at > s => {
                let userinfo = &url[s + 3..at];
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
            }
            _ => url,
        }
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite:{}", self.data_dir.join("grantd.db").display())
        } else {
            self.database_url.clone()
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("g.toml", "listen = \"0.0.0.0:9\"\n[auth]\nmode = \"dev\"\n")?;
            jail.set_env("GRANTD_DATA_DIR", "/tmp/x");
            jail.set_env("GRANTD_AUTH__AUDIENCES", "[\"api://grantd\"]");
            let c = Config::load(Some(Path::new("g.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "0.0.0.0:9");
            assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
            assert_eq!(c.auth.audiences, vec!["api://grantd".to_string()]);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("g.toml", "lisen = \"0.0.0.0:9\"\n")?;
            assert!(Config::load(Some(Path::new("g.toml"))).is_err());
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("GRANTD_LOG", "debug");
            assert!(Config::load(None).is_ok(), "GRANTD_LOG is the log filter, not a key");
            jail.set_env("GRANTD_AUTH__MOOD", "dev");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn passwords_are_kept_out_of_messages() {
        let c = Config { database_url: "postgres://grantd:s3cret@db:5432/grantd".into(), ..Config::default() };
        assert_eq!(c.database_url_redacted(), "postgres://grantd@db:5432/grantd");
    }

    #[test]
    fn the_job_lease_comes_from_the_environment_and_must_be_positive() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(Config::load(None).map_err(|e| e.to_string())?.job_lease_secs, 60);
            jail.set_env("GRANTD_JOB_LEASE_SECS", "3");
            assert_eq!(Config::load(None).map_err(|e| e.to_string())?.job_lease_secs, 3);
            jail.set_env("GRANTD_JOB_LEASE_SECS", "0");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn the_smtp_password_stays_out_of_debug_output() {
        let c = Config { smtp_url: SmtpUrl("smtp://mailer:s3cret@relay:587".into()), ..Config::default() };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("smtp://mailer@relay:587"), "{shown}");
    }

    #[test]
    fn mail_keys_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(Config::load(None).map_err(|e| e.to_string())?.smtp_url.get(), None);
            jail.set_env("GRANTD_SMTP_URL", "smtp://127.0.0.1:2525");
            jail.set_env("GRANTD_MAIL_FROM", "Access <access@contoso.example>");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.smtp_url.get(), Some("smtp://127.0.0.1:2525"));
            assert_eq!(c.mail_from, "Access <access@contoso.example>");
            jail.set_env("GRANTD_SMTP_URL", "http://127.0.0.1:2525");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn connectors_come_from_the_file_and_bad_ones_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "g.toml",
                r#"
[delivery]
max_attempts = 3
watchdog_secs = 30

[[connectors]]
origin_system = "Hr"
kind = "webhook"
base_url = "https://hr.example/hooks/grantd"
signing_secret = "k3y"

[[connectors]]
origin_system = "Wiki"
kind = "scim"
base_url = "https://wiki.example/scim/v2"
timeout_secs = 5
[connectors.oauth2]
token_url = "https://login.example/token"
client_id = "grantd"
client_secret = "s3cret"
"#,
            )?;
            let c = Config::load(Some(Path::new("g.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.delivery.max_attempts, 3);
            assert_eq!(c.connectors.len(), 2);
            assert_eq!(c.connectors[1].oauth2.as_ref().map(|o| o.client_secret.expose()), Some("s3cret"));
            let shown = format!("{c:?}");
            assert!(!shown.contains("s3cret") && !shown.contains("k3y"), "secrets leak through Debug: {shown}");
            jail.create_file(
                "bad.toml",
                "[[connectors]]\norigin_system = \"Hr\"\nkind = \"webhook\"\nbase_url = \"https://x\"\n",
            )?;
            let e = Config::load(Some(Path::new("bad.toml"))).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains("signing_secret"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn verified_id_issuers_come_from_the_file_with_jwks_as_text_or_table() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "g.toml",
                r#"
[verified_id]
allow_http = true

[[verified_id.issuers]]
did = "did:example:hr"
jwks = '{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}'

[[verified_id.issuers]]
did = "did:example:payroll"
[verified_id.issuers.jwks]
keys = [{kty = "OKP", crv = "Ed25519", kid = "b", x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]
"#,
            )?;
            let c = Config::load(Some(Path::new("g.toml"))).map_err(|e| e.to_string())?;
            assert!(c.verified_id.allow_http);
            assert_eq!(c.verified_id.issuers.len(), 2);
            assert_eq!(c.verified_id.timeout_secs, 10);
            jail.create_file("bad.toml", "[[verified_id.issuers]]\ndid = \"did:example:x\"\njwks = '{}'\n")?;
            let e = Config::load(Some(Path::new("bad.toml"))).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains("keys"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn oidc_needs_an_issuer() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GRANTD_AUTH__MODE", "oidc");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }
}
