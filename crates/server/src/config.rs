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
    /// Base URL clients use, when behind a proxy (nextLinks and contexts are built from it).
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
    pub auth: AuthConfig,
    pub extensions: ExtensionsConfig,
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
            auth: AuthConfig {
                mode: "dev".into(),
                audiences: Vec::new(),
                oidc_issuer: String::new(),
                oidc_discovery_url: String::new(),
                jwks_refetch_secs: 10,
            },
            extensions: ExtensionsConfig {
                allow_http: false,
                signing_key_file: String::new(),
                hmac_key_file: String::new(),
            },
        }
    }
}

/// `GRANTD_*` variables that are not configuration keys: the config file path, the log filter,
/// and the test and CI switches.
const NOT_CONFIG: &[&str] = &["CONFIG", "LOG", "TEST_DATABASE_URL", "SKIP_SDK_TESTS", "CI_PG_URL", "SDK_VENV"];

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
        if !(1..=999).contains(&self.max_page_size) {
            anyhow::bail!("max_page_size must be between 1 and 999");
        }
        if self.job_lease_secs == 0 {
            anyhow::bail!("job_lease_secs must be at least 1");
        }
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
    fn oidc_needs_an_issuer() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GRANTD_AUTH__MODE", "oidc");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }
}
