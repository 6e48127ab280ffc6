//! The grantd server as a library: configuration, start-up (database, migrations, keys,
//! authentication mode), the HTTP listener with graceful shutdown, and the demo tenant. The
//! binary (`main.rs`) is a thin CLI over this; the black-box tests start it the same way.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod config;
pub mod demo;
pub mod keys;

use anyhow::Context;
use config::Config;
use grantd_domain::{Clock, SystemClock};
use grantd_store::Store;
use grantd_web::auth::{OidcConfig, OidcVerifier};
use grantd_web::portal::{OidcClient, OidcClientConfig, PortalOptions, SignInMode};
use grantd_web::{AppState, Authenticator, WebOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Store,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    stop_runners: tokio::sync::watch::Sender<bool>,
    runners: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, closes the database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await??;
        self.stop_runners_and_close().await;
        Ok(())
    }

    async fn stop_runners_and_close(&mut self) {
        let _ = self.stop_runners.send(true);
        for r in self.runners.drain(..) {
            let _ = r.await;
        }
        self.store.close().await;
    }

    /// Waits until the server ends (after a signal, via `serve_until_signal`).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        self.stop_runners_and_close().await;
        Ok(())
    }
}

pub async fn build_auth(cfg: &Config) -> anyhow::Result<Authenticator> {
    Ok(match cfg.auth.mode.as_str() {
        "oidc" => {
            let verifier = OidcVerifier::new(OidcConfig {
                issuer: cfg.auth.oidc_issuer.clone(),
                discovery_url: (!cfg.auth.oidc_discovery_url.is_empty()).then(|| cfg.auth.oidc_discovery_url.clone()),
                refetch_interval: Duration::from_secs(cfg.auth.jwks_refetch_secs),
            })?;
            Authenticator::oidc(verifier, cfg.auth.audiences.clone())
        }
        _ => Authenticator::dev(keys::dev_key(&cfg.data_dir)?, cfg.auth.audiences.clone()),
    })
}

/// The portal's options, or None when it is off (or OIDC mode names no portal client).
pub fn portal_options(cfg: &Config) -> anyhow::Result<Option<PortalOptions>> {
    if !cfg.portal.enabled {
        return Ok(None);
    }
    let sign_in = match cfg.auth.mode.as_str() {
        "oidc" if cfg.portal.oidc_client_id.is_empty() => {
            tracing::warn!("the portal is off: auth.mode is oidc and portal.oidc_client_id is empty");
            return Ok(None);
        }
        "oidc" => SignInMode::Oidc(Arc::new(OidcClient::new(OidcClientConfig {
            issuer: cfg.auth.oidc_issuer.clone(),
            discovery_url: (!cfg.auth.oidc_discovery_url.is_empty()).then(|| cfg.auth.oidc_discovery_url.clone()),
            client_id: cfg.portal.oidc_client_id.clone(),
            client_secret: (!cfg.portal.oidc_client_secret.is_empty()).then(|| cfg.portal.oidc_client_secret.clone()),
            scopes: cfg.portal.oidc_scopes.clone(),
        })?)),
        _ => SignInMode::Dev,
    };
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating data directory {}", cfg.data_dir.display()))?;
    Ok(Some(PortalOptions {
        session_key: keys::portal_key(&cfg.data_dir)?,
        session_ttl: chrono::Duration::hours(i64::try_from(cfg.portal.session_hours).unwrap_or(8)),
        sign_in,
    }))
}

pub async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    if cfg.database_url.is_empty() {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data directory {}", cfg.data_dir.display()))?;
    }
    let opts = grantd_store::StoreOptions {
        max_connections: cfg.db_max_connections.max(1),
        connect_timeout: Duration::from_secs(cfg.db_connect_timeout_secs),
        statement_timeout: (cfg.db_statement_timeout_secs > 0)
            .then(|| Duration::from_secs(cfg.db_statement_timeout_secs)),
        access_cache_ttl: Duration::from_secs(cfg.auth.access_cache_secs),
    };
    Store::connect_with(&cfg.database_url(), &opts)
        .await
        .with_context(|| format!("cannot open the database at {}", cfg.database_url_redacted()))
}

/// Starts the server on `cfg.listen` (port 0 picks a free port) with the given clock.
pub async fn start_with_clock(cfg: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let store = open_store(cfg).await?;
    let auth = Arc::new(build_auth(cfg).await?);
    let wake = Arc::new(tokio::sync::Notify::new());
    let signer = Arc::new(
        grantd_service::extensions::Signer::from_pkcs8(&keys::callout_key(
            &cfg.data_dir,
            &cfg.extensions.signing_key_file,
        )?)
        .context("loading the callout signing key")?,
    );
    let extension_settings =
        grantd_web::extensions::Settings { jwks: Arc::new(signer.jwks()), allow_http: cfg.extensions.allow_http };
    let verified_id =
        Arc::new(grantd_service::verified_id::Verifier::new(&cfg.verified_id).map_err(anyhow::Error::msg)?);
    let state = AppState {
        verified_id: verified_id.clone(),
        store: store.clone(),
        auth,
        clock: clock.clone(),
        wake: wake.clone(),
        extensions: extension_settings,
    };
    let opts = WebOptions {
        public_url: (!cfg.public_url.is_empty()).then(|| cfg.public_url.clone()),
        body_limit: cfg.body_limit_bytes,
        request_timeout: Duration::from_secs(cfg.request_timeout_secs),
        max_page_size: cfg.max_page_size,
        portal: portal_options(cfg)?,
    };
    let app = grantd_web::app(state, opts);
    let listener =
        tokio::net::TcpListener::bind(&cfg.listen).await.with_context(|| format!("binding {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let mailer = Arc::new(
        grantd_service::notify::Mailer::new(&grantd_service::notify::MailSettings {
            smtp_url: cfg.smtp_url.get().map(str::to_string),
            from: cfg.mail_from.clone(),
            public_url: if cfg.public_url.is_empty() { format!("http://{addr}") } else { cfg.public_url.clone() },
            timeout: None,
        })
        .map_err(anyhow::Error::msg)?,
    );
    if !mailer.enabled() {
        tracing::info!("smtp_url is not set: notification mails are recorded as skipped");
    }
    let (stop_runners, stop_rx) = tokio::sync::watch::channel(false);
    let mut runners = Vec::new();
    let service = state_service(&store, &clock, &wake, &verified_id);
    let connectors = grantd_service::connectors::Connectors::from_config(store.clone(), &cfg.connectors)
        .map_err(anyhow::Error::msg)?;
    let delivery = grantd_service::delivery::Delivery {
        ctx: service.clone(),
        connectors,
        settings: grantd_service::delivery::DeliverySettings {
            max_attempts: i64::from(cfg.delivery.max_attempts),
            watchdog_after: chrono::Duration::seconds(
                i64::try_from(cfg.delivery.watchdog_secs).unwrap_or(i64::MAX).clamp(1, 366 * 86_400),
            ),
        },
    };
    // The runner parks a job only after the delivery attempts are spent (items give up first).
    let max_attempts = i64::from(cfg.delivery.max_attempts).max(9) + 1;
    let callouts = grantd_service::extensions::Callouts {
        ctx: service.clone(),
        signer,
        http: reqwest::Client::builder().build().context("building the callout HTTP client")?,
        hmac_key: keys::hmac_key(&cfg.extensions.hmac_key_file)?.map(Arc::new),
        allow_http: cfg.extensions.allow_http,
        public_url: if cfg.public_url.is_empty() {
            format!("http://{addr}")
        } else {
            cfg.public_url.trim_end_matches('/').to_string()
        },
        documents: Arc::new(grantd_web::extensions::GraphDocuments),
    };
    // At most a year, so the lease end stays representable.
    let lease = chrono::Duration::seconds(i64::try_from(cfg.job_lease_secs).unwrap_or(i64::MAX).clamp(1, 366 * 86_400));
    for _ in 0..cfg.job_workers {
        let runner = grantd_service::Runner::new(
            store.clone(),
            clock.clone(),
            grantd_service::RunnerConfig { lease, max_attempts, ..grantd_service::RunnerConfig::default() },
            wake.clone(),
        );
        let runner = register_handlers(runner, &service, &delivery)
            .register(Arc::new(grantd_service::notify::NotifyHandler { ctx: service.clone(), mailer: mailer.clone() }))
            .register(Arc::new(grantd_service::extensions::CalloutHandler(callouts.clone())))
            .register(Arc::new(grantd_service::extensions::TimeoutHandler(service.clone())));
        runners.push(tokio::spawn(runner.run(stop_rx.clone())));
    }
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(Running { addr, store, shutdown: Some(tx), task, stop_runners, runners })
}

/// Every job kind grantd runs, with its handler.
pub fn register_handlers(
    runner: grantd_service::Runner,
    ctx: &grantd_service::requests::Ctx,
    delivery: &grantd_service::delivery::Delivery,
) -> grantd_service::Runner {
    use grantd_service::delivery as d;
    use grantd_service::requests as r;
    runner
        .register(Arc::new(r::ProcessHandler(ctx.clone())))
        .register(Arc::new(r::WakeHandler(ctx.clone())))
        .register(Arc::new(d::DeliverHandler(delivery.clone())))
        .register(Arc::new(d::ItemHandler(delivery.clone())))
        .register(Arc::new(d::WatchdogHandler(delivery.clone())))
        .register(Arc::new(d::ExpireHandler(delivery.clone())))
        .register(Arc::new(d::AssignmentReprocessHandler(delivery.clone())))
        .register(Arc::new(grantd_service::approvals::TimeoutHandler(ctx.clone())))
        .register(Arc::new(grantd_service::approvals::EscalateHandler(ctx.clone())))
        .register(Arc::new(grantd_service::external_users::LifecycleHandler(ctx.clone())))
}

fn state_service(
    store: &Store,
    clock: &Arc<dyn Clock>,
    wake: &Arc<tokio::sync::Notify>,
    verified_id: &Arc<grantd_service::verified_id::Verifier>,
) -> grantd_service::requests::Ctx {
    grantd_service::requests::Ctx {
        store: store.clone(),
        clock: clock.clone(),
        wake: wake.clone(),
        verified_id: verified_id.clone(),
    }
}

pub async fn start(cfg: &Config) -> anyhow::Result<Running> {
    start_with_clock(cfg, Arc::new(SystemClock)).await
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves until SIGINT/SIGTERM, then shuts down gracefully.
pub async fn serve_until_signal(cfg: &Config) -> anyhow::Result<()> {
    let running = start(cfg).await?;
    tracing::info!(addr = %running.addr, "grantd listening");
    println!("grantd listening on http://{}", running.addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await
}
