// SPDX-License-Identifier: AGPL-3.0-only
//! Boot, top to bottom: configuration → panel database (migrated) → engine → reconcile →
//! first operator and demo data → router → serve until SIGINT/SIGTERM → engine shutdown.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use engine_glue::Engine;

use axum::serve::ListenerExt;

use crate::content_store::ContentStore;
use crate::services::dns::DnsChecker;
use crate::services::time_machine::TimeMachineSettings;
use crate::{
    config::Config,
    db, demo, http, reconcile,
    services::{MailEndpoints, Services},
    sessions::DbSessionStore,
};

/// Why Casella could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("panel database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Engine(#[from] engine_glue::GlueError),
    #[error("{0}")]
    Service(#[from] crate::services::ServiceError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Reconcile(#[from] reconcile::ReconcileError),
    #[error("listener on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Runs Casella until a shutdown signal.
pub async fn serve(config: Config, demo_data: bool) -> Result<(), StartError> {
    let started = Instant::now();
    private_data_dir(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;

    // Every listener is bound first (the engine binds its own as it starts), so no port is
    // taken by someone else while the rest boots; they answer once Casella is ready.
    let addr = config.web_address();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    let xmpp = if config.xmpp.enabled {
        let settings = crate::xmpp::XmppSettings {
            plain: SocketAddr::new(config.mail_bind(), config.xmpp.port),
            direct_tls: SocketAddr::new(config.mail_bind(), config.xmpp.tls_port),
            max_stanza_bytes: config.xmpp.max_stanza_bytes,
            max_sessions: config.xmpp.max_sessions,
            max_upload_bytes: config.xmpp.max_upload_bytes,
            resume_window: Duration::from_secs(config.xmpp.resume_seconds),
        };
        Some(
            crate::xmpp::bind(settings)
                .await
                .map_err(|(addr, source)| StartError::Listen { addr, source })?,
        )
    } else {
        None
    };
    // The archive's journal: the engine's hook and its queue reach Casella on loopback ports
    // chosen now, so its configuration names them.
    let journal = crate::journal::JournalListeners::bind()
        .await
        .map_err(|(addr, source)| StartError::Listen { addr, source })?;
    let db = db::connect(&config.database_url()).await?;
    let mut engine_config = config.engine_config();
    engine_config.journal = Some(journal.engine_config());
    let engine = Arc::new(Engine::start(engine_config).await?);
    tracing::info!(store = engine.config().store.name(), "mail engine started");

    let reconciled = match reconcile::run(&db, &engine).await {
        Ok(reconciled) => reconciled,
        Err(err) => {
            engine.shutdown().await;
            return Err(err.into());
        }
    };
    if reconciled.changed() {
        tracing::warn!(
            ?reconciled,
            "finished interrupted work between the engine and the panel database"
        );
    }
    if !reconciled.unexplained.is_empty() {
        tracing::warn!(
            count = reconciled.unexplained.len(),
            "engine objects the panel does not know were left as they are"
        );
    }

    let services = Services::new(
        db.clone(),
        engine.clone(),
        MailEndpoints {
            hostname: config.hostname.clone(),
            ports: config.ports,
            public_url: config.public_url(),
        },
        config.mailer()?,
        config.quota_tiers,
        config.session_lifetime(),
        DnsChecker::new(config.dns_resolver).map_err(|reason| {
            StartError::Config(crate::config::ConfigError::Invalid(format!(
                "dns_resolver: {reason}"
            )))
        })?,
    )
    .with_journal_db(db::connect_journal(&db, &config.journal_path()).await?)
    .keeping_logs_for(config.log_retention_days)
    .with_scram_iterations(config.xmpp.scram_iterations)
    .with_time_machine(TimeMachineSettings {
        store: ContentStore::open(&config.content_dir()).map_err(|source| StartError::DataDir {
            path: config.content_dir().display().to_string(),
            source,
        })?,
        days: config.snapshot_days,
        restore_price_cents: config.restore_price_cents,
    });
    services.chat().load_blocks().await?;
    services.load_chat_groups().await?;
    let keyed = services.backfill_session_keys().await?;
    if keyed > 0 {
        tracing::info!(identities = keyed, "gave identities their session keys");
    }
    let indexed = services.index_unsearchable_mailboxes().await?;
    if indexed > 0 {
        tracing::info!(mailboxes = indexed, "indexed mailboxes for search");
    }
    if config.engine_events {
        services.spawn_activity(engine.subscribe());
    }
    services.spawn_log_purge();
    services.ensure_dkim_keys().await?;
    services.spawn_cost_notices(config.cost_schedule()?);
    let mut printed = demo::ensure_operator(&services)
        .await?
        .into_iter()
        .collect::<Vec<_>>();
    if demo_data {
        printed.extend(demo::ensure_demo(&services).await?);
        demo::print("casella demo credentials", &printed);
    } else {
        demo::print("casella first start: operator credentials", &printed);
    }
    // After the demo data: a first start's snapshot holds its mailboxes.
    services.spawn_snapshots();
    journal.start(services.clone(), engine.clone());
    services.spawn_archive_retention();
    services.spawn_archive_reindex();
    services.spawn_archive_pass(
        Duration::from_secs(config.archive_pass_seconds.max(1)),
        Duration::from_secs(config.archive_grace_seconds),
    );
    let imports = services.end_cut_off_imports().await?;
    if imports > 0 {
        tracing::warn!(
            imports,
            "archive imports cut off by the last stop were marked failed"
        );
    }
    let cut_off = services.end_cut_off_restores().await?;
    if cut_off > 0 {
        tracing::warn!(
            restores = cut_off,
            "Time Machine restores cut off by the last stop were marked failed"
        );
    }

    let xmpp_web = match xmpp {
        Some(listeners) => Some(crate::xmpp::start(
            listeners,
            services.clone(),
            engine.xmpp_tls_config(crate::xmpp::tls_keys::provider())?,
        )),
        None => None,
    };

    let sessions = DbSessionStore::new(db.clone());
    sessions.spawn_cleanup(Duration::from_secs(3600));
    let site_dir = config.site_dir();
    if !site_dir.join("pkg").is_dir() {
        tracing::warn!(site = %site_dir.display(), "browser assets not there yet: pages work without JavaScript until the browser build (scripts/build) puts them there");
    }
    let app = http::router(
        services,
        sessions,
        &site_dir,
        http::WebSettings {
            https: config.served_over_https(),
            trusted_proxies: config.trusted_proxies()?,
            public_origin: public_origin(&config.public_url),
            image_proxy: crate::image_proxy::ImageProxy::new(config.image_proxy_private_addresses),
            xmpp: xmpp_web,
        },
    );
    if config.tls.cert.is_some() {
        spawn_certificate_reload(engine.clone(), &config);
    }

    let scheme = if config.web_tls() { "https" } else { "http" };
    // The engine's listeners were bound during its boot, so everything accepts from here on.
    println!(
        "casella ready: {scheme}://{addr} (imaps {}, submission {}, mx {}) in {} ms",
        config.ports.imaps,
        config.ports.submission,
        config.ports.smtp,
        started.elapsed().as_millis()
    );
    let served = if config.web_tls() {
        let tls = http::tls::TlsListener::new(listener, engine.web_tls_config()?)
            .map_err(|source| StartError::Listen { addr, source })?;
        axum::serve(
            tls.tap_io(|_| {}),
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    } else {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    };
    served.map_err(|source| StartError::Listen { addr, source })?;

    tracing::info!("web listener closed; stopping the mail engine");
    engine.shutdown().await;
    db.close().await?;
    println!("casella stopped");
    Ok(())
}

/// Creates the data folder, or narrows an existing one, so only Casella's user can enter it;
/// files made inside are private too (the process runs with umask 077, see `main`).
fn private_data_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// The origin (`scheme://host[:port]`) of the configured public address.
fn public_origin(public_url: &str) -> Option<String> {
    let (scheme, rest) = public_url.split_once("://")?;
    let authority = rest.split('/').next().filter(|a| !a.is_empty())?;
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// Takes a renewed certificate without a restart: on SIGHUP, and whenever the files change
/// (checked every `tls.reload_seconds`).
fn spawn_certificate_reload(engine: Arc<Engine>, config: &Config) {
    let files: Vec<std::path::PathBuf> = [&config.tls.cert, &config.tls.key]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let every = Duration::from_secs(config.tls.reload_seconds.max(1));
    tokio::spawn(async move {
        let stamp = |files: &[std::path::PathBuf]| {
            files
                .iter()
                .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
                .collect::<Vec<_>>()
        };
        let mut seen = stamp(&files);
        #[cfg(unix)]
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let asked = async {
                match hangup.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let asked = std::future::pending::<()>();
            let forced = tokio::select! {
                _ = asked => true,
                _ = tokio::time::sleep(every) => false,
            };
            let now = stamp(&files);
            if !forced && now == seen {
                continue;
            }
            seen = now;
            match engine.reload_certificates().await {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(err) => {
                    tracing::error!(%err, "TLS certificate not reloaded; the previous one stays")
                }
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
