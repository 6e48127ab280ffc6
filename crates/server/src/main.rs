//! The `grantd` command: `serve` runs the server, `token` prints a dev-mode access token.
use anyhow::Context;
use clap::{Parser, Subcommand};
use grantd::config::Config;
use grantd::demo;
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_domain::{SystemClock, TenantId};
use grantd_web::auth::{issue_dev_token, Claims, DEV_ISSUER, GRAPH_AUDIENCES};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "grantd", version, about = "Self-hosted entitlement management speaking Microsoft Graph")]
struct Cli {
    /// TOML configuration file (also GRANTD_CONFIG).
    #[arg(long, global = true, env = "GRANTD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[arg(long)]
        listen: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
        /// Seed the demo tenant (idempotent) and print how to get a token.
        #[arg(long)]
        demo: bool,
    },
    /// Run the database migrations and exit (start-up also runs them).
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Write one tenant as JSON lines (to move it to another database, or as a backup).
    Export {
        /// Tenant id (default: the demo tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Read a tenant written by `grantd export` into this database (refused if it exists).
    Import {
        /// Input file (default: standard input).
        #[arg(long = "in")]
        input: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print a dev-mode bearer token (auth.mode = "dev").
    Token {
        /// The user's principal name (a delegated token for that user).
        #[arg(long, conflicts_with = "app")]
        user: Option<String>,
        /// An app-only token instead.
        #[arg(long)]
        app: bool,
        /// The app id of an app-only token (default 00000000-0000-0000-0000-00000000a11d), e.g.
        /// a custom extension's `resourceId`, which may answer its callouts through `resume`.
        #[arg(long, requires = "app")]
        app_id: Option<String>,
        /// Directory roles for a user (GlobalAdministrator, IdentityGovernanceAdministrator,
        /// GlobalReader, UserAdministrator, GroupsAdministrator) or application permissions for
        /// an app (default: EntitlementManagement.ReadWrite.All User.ReadWrite.All
        /// Group.ReadWrite.All). Repeatable.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Delegated scopes (default: EntitlementManagement.ReadWrite.All and
        /// EntitlementMgmt-SubjectAccess.ReadWrite). Repeatable.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Tenant id (default: the demo tenant, or the user's tenant).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
        /// Lifetime in minutes.
        #[arg(long, default_value_t = 480)]
        minutes: i64,
    },
}

fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRANTD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        b.json().init();
    } else {
        b.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { listen, data_dir, database_url, demo: seed_demo } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            init_tracing(&cfg);
            if seed_demo {
                let store = grantd::open_store(&cfg).await?;
                let seeded = demo::seed(&store, &SystemClock).await.context("seeding the demo tenant")?;
                store.close().await;
                println!("Demo tenant {} {}.", demo::DEMO_TENANT, if seeded { "created" } else { "already present" });
                println!("Get a token for the administrator (Megan Bowen, Identity Governance Administrator):");
                println!(
                    "  grantd token --data-dir {} --user megan@{} --role IdentityGovernanceAdministrator",
                    cfg.data_dir.display(),
                    demo::DEMO_DOMAIN
                );
                println!(
                    "or for an end user:  grantd token --data-dir {} --user lidia@{}",
                    cfg.data_dir.display(),
                    demo::DEMO_DOMAIN
                );
                println!("then: curl -H \"Authorization: Bearer $TOKEN\" http://{}/v1.0/identityGovernance/entitlementManagement/accessPackages", cfg.listen);
            }
            grantd::serve_until_signal(&cfg).await
        }
        Command::Migrate { data_dir, database_url } => {
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            init_tracing(&cfg);
            let store = grantd::open_store(&cfg).await?;
            store.close().await;
            println!("migrations applied to {}", cfg.database_url_redacted());
            Ok(())
        }
        Command::Export { tenant, out, data_dir, database_url } => {
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            let tenant = match tenant {
                Some(t) => t.parse::<TenantId>().context("--tenant must be a GUID")?,
                None => demo::DEMO_TENANT,
            };
            let store = grantd::open_store(&cfg).await?;
            let mut w: Box<dyn std::io::Write> = match out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(&p).with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let n = store.export_tenant(tenant, &mut w).await.context("exporting")?;
            w.flush()?;
            store.close().await;
            eprintln!("exported tenant {tenant}: {n} lines");
            Ok(())
        }
        Command::Import { input, data_dir, database_url } => {
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            let store = grantd::open_store(&cfg).await?;
            let mut r: Box<dyn std::io::BufRead> = match input {
                Some(p) => Box::new(std::io::BufReader::new(
                    std::fs::File::open(&p).with_context(|| format!("opening {}", p.display()))?,
                )),
                None => Box::new(std::io::BufReader::new(std::io::stdin().lock())),
            };
            let (tenant, n) = store.import_tenant(&mut r).await.context("importing")?;
            store.close().await;
            eprintln!("imported tenant {tenant}: {n} lines into {}", cfg.database_url_redacted());
            Ok(())
        }
        Command::Token { user, app, app_id, roles, scopes, tenant, data_dir, database_url, minutes } => {
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            if cfg.auth.mode != "dev" {
                anyhow::bail!("grantd token only works with auth.mode = \"dev\"");
            }
            let key = grantd::keys::dev_key(&cfg.data_dir)?;
            let now = chrono::Utc::now().timestamp();
            let mut claims = Claims {
                iss: DEV_ISSUER.into(),
                aud: serde_json::Value::String(GRAPH_AUDIENCES[0].into()),
                exp: now + minutes * 60,
                nbf: Some(now - 5),
                iat: Some(now),
                ..Claims::default()
            };
            let tenant_arg = tenant.map(|t| t.parse::<TenantId>().context("--tenant must be a GUID")).transpose()?;
            if app {
                claims.tid = tenant_arg.unwrap_or(demo::DEMO_TENANT).to_string();
                claims.idtyp = Some("app".into());
                claims.appid = Some(app_id.unwrap_or_else(|| "00000000-0000-0000-0000-00000000a11d".into()));
                claims.sub = claims.appid.clone();
                claims.roles = if roles.is_empty() {
                    vec![SCOPE_READ_WRITE_ALL.into(), "User.ReadWrite.All".into(), "Group.ReadWrite.All".into()]
                } else {
                    roles
                };
            } else {
                let upn = user.context("give --user <upn> or --app")?;
                let store = grantd::open_store(&cfg).await?;
                let tenants = match tenant_arg {
                    Some(t) => vec![t],
                    None => store.tenants().await?,
                };
                let mut found = None;
                for t in tenants {
                    if let Some(u) = store.find_user_by_upn(t, &upn).await? {
                        found = Some((t, u));
                        break;
                    }
                }
                store.close().await;
                let (t, u) = found.with_context(|| format!("no user {upn} in the database"))?;
                claims.tid = t.to_string();
                claims.oid = Some(u.id.to_string());
                claims.sub = Some(u.id.to_string());
                claims.upn = Some(u.user_principal_name.clone());
                claims.idtyp = Some("user".into());
                claims.scp = Some(if scopes.is_empty() {
                    format!("{SCOPE_READ_WRITE_ALL} {SCOPE_SUBJECT_ACCESS} User.Read")
                } else {
                    scopes.join(" ")
                });
                let mut wids = Vec::new();
                for r in roles {
                    let role = DirectoryRole::from_name(&r).with_context(|| format!("unknown directory role {r}"))?;
                    wids.push(role.template_id().to_string());
                }
                claims.wids = wids;
            }
            println!("{}", issue_dev_token(&key, &claims)?);
            Ok(())
        }
    }
}
