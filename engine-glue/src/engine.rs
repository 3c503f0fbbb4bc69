// SPDX-License-Identifier: AGPL-3.0-only
//! Starting and stopping the embedded engine.
//!
//! The boot sequence follows the engine's own binary, minus everything that could end the
//! process or reach the network: the glue writes and checks the configuration file, points the
//! engine at it through `CONFIG_PATH` (otherwise the engine reads the host program's argv as its
//! own flags and exits on ours), refuses to go on when the engine reports configuration errors,
//! then spawns every listener, POP3 and ManageSieve included.

use std::{sync::Arc, time::Duration};

use stalwart_lib::{
    Collector,
    common::{
        Inner, Server, config::server::ServerProtocol, core::BuildServer,
        manager::boot::BootManager,
    },
    http::HttpSessionManager,
    imap::core::ImapSessionManager,
    managesieve::core::ManageSieveSessionManager,
    pop3::Pop3SessionManager,
    services::{StartServices, broadcast::subscriber::spawn_broadcast_subscriber},
    smtp::{StartQueueManager, core::SmtpSessionManager},
};
use tokio::sync::watch;

use crate::{config::EngineConfig, error::GlueError, secret::PasswordHash};

/// How long listeners get to finish their sessions after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// The running engine. One per process: the engine keeps process-wide state (its event
/// collector thread), so it is started once and stopped once.
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
    /// Settings reloads one at a time: each builds the whole configuration from the store,
    /// so two at once could publish an older one last.
    pub(crate) reload_lock: tokio::sync::Mutex<()>,
    shutdown_tx: watch::Sender<bool>,
    config: EngineConfig,
    /// Verified in place of a real hash when a web login names no account.
    pub(crate) dummy_hash: PasswordHash,
    /// Folders' message orders, kept between pages of the webmail.
    pub(crate) orders: std::sync::Arc<crate::mail::Orders>,
}

impl Engine {
    /// Writes the engine configuration and starts the engine with every listener.
    pub async fn start(config: EngineConfig) -> Result<Engine, GlueError> {
        let path = config.write()?;
        point_engine_at(&path);
        let dummy_hash = tokio::task::spawn_blocking(|| {
            let mut random = [0u8; 24];
            rand::fill(&mut random);
            PasswordHash::hash(&format!("{random:?}"))
        })
        .await
        .map_err(|err| GlueError::Secret {
            reason: err.to_string(),
        })??;

        let mut boot = Box::pin(BootManager::init()).await;
        if let Some(err) = GlueError::from_config_errors(&boot.config.errors) {
            return Err(err);
        }
        for (key, warning) in &boot.config.warnings {
            // Every key of the file is "local" to the glue by design; the engine warns about
            // the ones it would rather keep in its database.
            if !format!("{warning:?}").contains("Database key defined in local configuration") {
                tracing::debug!(target: "engine", "configuration warning {key}: {warning:?}");
            }
        }

        stalwart_lib::migration::try_migrate(&boot.inner.build_server())
            .await
            .map_err(|err| GlueError::Boot {
                problems: vec![format!("store migration: {err}")],
            })?;
        boot.start_services().await;
        // Before the queue runs: a journal copy queued before a crash is sent at once.
        if config.journal.is_some() {
            crate::config::pin_journal_host(&boot.inner);
        }
        boot.start_queue_manager();

        let inner = boot.inner.clone();
        let (shutdown_tx, shutdown_rx) = boot.servers.spawn(|listener, acceptor, shutdown_rx| {
            let inner = inner.clone();
            match &listener.protocol {
                ServerProtocol::Smtp | ServerProtocol::Lmtp => listener.spawn(
                    SmtpSessionManager::new(inner.clone()),
                    inner,
                    acceptor,
                    shutdown_rx,
                ),
                ServerProtocol::Imap => listener.spawn(
                    ImapSessionManager::new(inner.clone()),
                    inner,
                    acceptor,
                    shutdown_rx,
                ),
                ServerProtocol::Pop3 => listener.spawn(
                    Pop3SessionManager::new(inner.clone()),
                    inner,
                    acceptor,
                    shutdown_rx,
                ),
                ServerProtocol::ManageSieve => listener.spawn(
                    ManageSieveSessionManager::new(inner.clone()),
                    inner,
                    acceptor,
                    shutdown_rx,
                ),
                // The glue configures no engine HTTP listener (the panel serves HTTP), but a
                // listener of that kind would still be served rather than silently dropped.
                ServerProtocol::Http => listener.spawn(
                    HttpSessionManager::new(inner.clone()),
                    inner,
                    acceptor,
                    shutdown_rx,
                ),
            }
        });
        spawn_broadcast_subscriber(boot.inner.clone(), shutdown_rx);

        Ok(Engine {
            inner: boot.inner,
            reload_lock: tokio::sync::Mutex::new(()),
            shutdown_tx,
            config,
            dummy_hash,
            orders: Default::default(),
        })
    }

    /// Stops the listeners and the queue, then the event collector. Call once, at the end:
    /// the engine cannot be started again in this process.
    pub async fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        Collector::shutdown();
    }

    /// Keeps the journal receiver's host name known to the engine's resolver (see
    /// [`crate::JOURNAL_HOST`]); the panel calls it now and then, so the entry never ages out.
    pub fn pin_journal_host(&self) {
        crate::config::pin_journal_host(&self.inner);
    }

    /// Asks the engine's queue to look for due messages now. Its manager skips a message
    /// that finds its queue at capacity and, when a delivery ends, looks again only if
    /// something else is pending: a burst larger than a queue's threads can leave the rest
    /// waiting for the next scheduled scan. The journal wakes it while copies are due.
    pub async fn wake_queue(&self) {
        let _ = self
            .inner
            .ipc
            .queue_tx
            .send(stalwart_lib::common::ipc::QueueEvent::Refresh)
            .await;
    }

    /// The configuration the engine was started with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Turns true when the engine stops.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown_tx.subscribe()
    }

    pub(crate) fn server(&self) -> Server {
        self.inner.build_server()
    }
}

/// Tells the engine where its configuration file is.
#[allow(unsafe_code)]
fn point_engine_at(path: &std::path::Path) {
    // SAFETY: `set_var` races only with threads reading the environment at the same moment.
    // It runs once, during boot, before the engine (the only reader of CONFIG_PATH) starts, and
    // nothing else in the program reads or writes the environment after configuration load.
    unsafe { std::env::set_var("CONFIG_PATH", path) };
}
