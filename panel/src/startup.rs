// SPDX-License-Identifier: AGPL-3.0-only
//! Boot, top to bottom: configuration → panel database (migrated) → engine → reconcile →
//! first operator and demo data → router → serve until SIGINT/SIGTERM → engine shutdown.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use engine_glue::Engine;

use crate::{
    config::Config,
    db, demo, reconcile,
    services::{MailEndpoints, Services},
    sessions::DbSessionStore,
    web,
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
    #[error("web listener on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Runs Casella until a shutdown signal.
pub async fn serve(config: Config, demo_data: bool) -> Result<(), StartError> {
    let started = Instant::now();
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;

    let db = db::connect(&config.database_url()).await?;
    let engine = Arc::new(Engine::start(config.engine_config()).await?);
    tracing::info!(store = engine.config().store.name(), "mail engine started");

    let removed = reconcile::run(&db, &engine).await?;
    if removed != reconcile::Reconciled::default() {
        tracing::warn!(?removed, "reconciled the engine with the panel database");
    }

    let services = Services::new(
        db.clone(),
        engine.clone(),
        MailEndpoints {
            hostname: config.hostname.clone(),
            ports: config.ports,
        },
        config.mailer()?,
        config.quota_tiers,
    );
    let indexed = services.index_unsearchable_mailboxes().await?;
    if indexed > 0 {
        tracing::info!(mailboxes = indexed, "indexed mailboxes for search");
    }
    services.spawn_activity(engine.subscribe());
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

    let sessions = DbSessionStore::new(db.clone());
    sessions.spawn_cleanup(Duration::from_secs(3600));
    let site_dir = config.site_dir();
    if !site_dir.join("pkg").is_dir() {
        tracing::warn!(site = %site_dir.display(), "browser assets not found: pages work without JavaScript only (run scripts/build)");
    }
    let app = web::router(services, sessions, &site_dir, config.secure_cookies);

    let addr = SocketAddr::new(config.bind_address, config.http_port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    // The engine's listeners were bound during its boot, so everything accepts from here on.
    println!(
        "casella ready: http://{addr} (imaps {}, submission {}, mx {}) in {} ms",
        config.ports.imaps,
        config.ports.submission,
        config.ports.smtp,
        started.elapsed().as_millis()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|source| StartError::Listen { addr, source })?;

    tracing::info!("web listener closed; stopping the mail engine");
    engine.shutdown().await;
    db.close().await?;
    println!("casella stopped");
    Ok(())
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
