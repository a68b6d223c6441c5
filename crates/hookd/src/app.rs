//! Wiring and lifecycle: `Application::build` opens the store, loads or creates the server's secrets,
//! starts nothing yet and binds the listener (port 0 in tests); `run_until_stopped` serves the API and runs
//! the dispatcher until the shutdown future completes, then stops accepting, lets in-flight attempts finish
//! (bounded) and returns.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use tokio::{net::TcpListener, sync::watch};

use crate::{
    api,
    config::Config,
    crypto::{load_or_create_secret, parse_master_key, random_hex32, Sealer},
    delivery::{sender::Sender, ssrf::Guard, Dispatcher},
    service::Service,
    store::{self, Store},
    telemetry,
};

pub struct Application {
    listener: TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    router: axum::Router,
    dispatcher: Dispatcher,
    store: Arc<dyn Store>,
    admin_token: String,
    retention_ms: u64,
    shutdown_grace_ms: u64,
}

/// The admin token and master key, from configuration or the data directory.
pub struct ServerSecrets {
    pub admin_token: String,
    pub master_key: [u8; 32],
}

impl ServerSecrets {
    /// The admin token for the command line's calls to a running server: the configured one, or the one
    /// the server stored in its data directory. Never generates anything (a client command must not
    /// leave a data directory, let alone a master key, wherever it runs).
    pub fn admin_token(config: &Config) -> anyhow::Result<String> {
        if let Some(token) = &config.admin_token {
            return Ok(token.0.clone());
        }
        crate::crypto::read_secret(&config.data_dir.join("admin-token")).context(
            "no admin token: set HOOKD_ADMIN_TOKEN, or run where the server's data directory is",
        )
    }

    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let admin_token = match &config.admin_token {
            Some(t) if t.0.len() < 16 => bail!("admin_token must be at least 16 characters"),
            Some(t) => t.0.clone(),
            None => {
                let (token, created) =
                    load_or_create_secret(&config.data_dir, "admin-token", random_hex32)?;
                if created {
                    println!(
                        "hookd: generated an admin token (shown once; stored in {}):\n\n    {token}\n",
                        config.data_dir.join("admin-token").display()
                    );
                }
                token
            }
        };
        let master_key = match &config.master_key {
            Some(k) => parse_master_key(&k.0).context("invalid master_key")?,
            None => {
                let (key, created) =
                    load_or_create_secret(&config.data_dir, "master-key", random_hex32)?;
                if created {
                    tracing::info!(path = %config.data_dir.join("master-key").display(), "generated a master key");
                }
                parse_master_key(&key).context("invalid master key file")?
            }
        };
        Ok(Self {
            admin_token,
            master_key,
        })
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let secrets = ServerSecrets::load(&config)?;
        let store = store::connect(&config).await?;
        let sealer = Sealer::new(&secrets.master_key);
        check_master_key(store.as_ref(), &sealer).await?;
        if store.backend() == "sqlite" {
            // The SQLite store admits one process, so every lease left behind is from a dead predecessor.
            let released = store.release_all_leases().await?;
            if released > 0 {
                tracing::info!(
                    count = released,
                    "resuming deliveries that were in flight at the last stop"
                );
            }
        }
        let guard = Guard::new(config.allowed_targets.clone());
        let cams_queue = match &config.cams_queue {
            Some(raw) => Some(
                crate::domain::CallbackUrl::parse(raw)
                    .map_err(|e| anyhow::anyhow!("cams_queue: {}", e.message))?,
            ),
            None => None,
        };
        let sender = Arc::new(Sender::new(&config.delivery, guard.clone(), cams_queue)?);
        let dispatcher = Dispatcher::new(
            store.clone(),
            sender.clone(),
            sealer.clone(),
            config.delivery.clone(),
        );
        let service = Arc::new(Service::new(
            store.clone(),
            sealer,
            guard,
            dispatcher.clone(),
            sender,
            secrets.admin_token.clone(),
            i64::try_from(config.delivery.rotation_grace_ms).unwrap_or(i64::MAX / 4),
        ));
        // Before the dispatcher's first attempt: rows an earlier version wrote keep no secret in clear.
        let sealed = service
            .seal_stored_secrets()
            .await
            .context("sealing the secrets stored in clear by an earlier version")?;
        if sealed > 0 {
            tracing::info!(
                count = sealed,
                "sealed the header values and queue passwords of subscriptions stored in clear"
            );
        }
        let dialects = crate::dialects::router(crate::dialects::DialectState {
            service: service.clone(),
            dialect_limits: Arc::new(crate::dialects::limits::ActionLimits::new(
                &config.dialect_rate_limits,
            )),
        });
        let router = api::router(
            service,
            telemetry::metrics_handle(),
            &config,
            dialects.merge(crate::console::router()),
        );
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                // One process-wide crypto provider; the HTTP client's rustls uses the same one.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .with_context(|| {
                        format!(
                            "loading TLS certificate {} and key {}",
                            cert.display(),
                            key.display()
                        )
                    })?;
                Some(tls)
            }
            _ => None,
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        Ok(Self {
            listener,
            tls,
            router,
            dispatcher,
            store,
            admin_token: secrets.admin_token,
            retention_ms: config.retention_ms,
            shutdown_grace_ms: config.shutdown_grace_ms,
        })
    }

    /// The API as a service, for driving it in-process (the fuzz targets do) without serving it.
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    /// The dispatcher this application runs (tests step it with [`Dispatcher::tick`]).
    pub fn dispatcher(&self) -> Dispatcher {
        self.dispatcher.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let drain = Duration::from_millis(self.shutdown_grace_ms);
        let dispatcher = tokio::spawn(self.dispatcher.clone().run(stop_rx.clone(), drain));
        // 0 keeps everything, except what apps with a retention of their own let go.
        let keep = (self.retention_ms > 0).then(|| Duration::from_millis(self.retention_ms));
        tokio::spawn(crate::delivery::retention::run(
            self.store.clone(),
            keep,
            stop_rx,
        ));
        tracing::info!(
            listen = %self.local_addr(), tls = self.tls.is_some(), backend = self.store.backend(), "hookd serving"
        );
        let stopping = async move {
            shutdown.await;
            tracing::info!("shutting down: no new requests, finishing attempts in flight");
            let _ = stop_tx.send(true);
        };
        let served = match self.tls {
            None => {
                axum::serve(self.listener, self.router)
                    .with_graceful_shutdown(stopping)
                    .await
            }
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stopping.await;
                    stopper.graceful_shutdown(Some(drain));
                });
                axum_server::from_tcp_rustls(self.listener.into_std()?, tls)?
                    .handle(handle)
                    .serve(self.router.into_make_service())
                    .await
            }
        };
        dispatcher.await.context("dispatcher task failed")?;
        served.context("serving the API")
    }
}

/// Refuses to start with a master key other than the one the database's secrets were sealed with.
async fn check_master_key(store: &dyn Store, sealer: &Sealer) -> anyhow::Result<()> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let probe = STANDARD.encode(sealer.seal(b"hookd master key check"));
    let stored = store.meta_get_or_put("master_key_check", &probe).await?;
    let sealed = STANDARD
        .decode(stored)
        .context("corrupt master key check value")?;
    if sealer.unseal(&sealed).is_err() {
        bail!("the master key does not match the one this database was created with (check HOOKD_MASTER_KEY or the data directory's master-key file)");
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
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
        _ = ctrl_c => {}
        _ = term => {}
    }
}
