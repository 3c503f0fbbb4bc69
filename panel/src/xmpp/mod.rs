// SPDX-License-Identifier: AGPL-3.0-only
//! The XMPP service for chat clients (RFC 6120/6121): client connections on the STARTTLS
//! port (TLS required before anything else) and on the direct-TLS port (XEP-0368). A signed-in
//! client is one session of the chat hub, like a webmail tab: the same contacts, presence and
//! history. Web clients reach the same service over WebSocket on the web port (RFC 7395).
//!
//! XML comes through `rxml` (no DTDs, so no entity expansion) and stanzas through
//! `xmpp-parsers`; each connection is limited in stanza size and rate, and a malformed or
//! oversized input ends that connection's stream with the matching stream error.

mod disco;
mod features;
pub(crate) mod limits;
mod messages;
mod muc;
mod negotiate;
mod pep;
mod reader;
mod session;
mod stream;
mod tls;
pub(crate) mod tls_keys;
pub mod websocket;
mod wire;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::ServerConfig;

use crate::services::Services;

/// What every connection of the service shares.
pub(crate) struct Service {
    services: Services,
    tls: Arc<ServerConfig>,
    max_stanza_bytes: usize,
    max_sessions: usize,
    /// The largest file a client may share (XEP-0363).
    max_upload_bytes: u64,
    /// How long a dropped session that enabled resumption (XEP-0198) waits for its client.
    resume_window: Duration,
    /// Dropped sessions waiting for their client to resume them (XEP-0198), by stream id.
    parked: std::sync::Mutex<std::collections::HashMap<String, session::Connected>>,
}

impl Service {
    fn parked(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, session::Connected>> {
        self.parked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps a dropped session for its client.
    pub(crate) fn park(&self, id: String, session: session::Connected) {
        self.parked().insert(id, session);
    }

    /// The parked session with this id, if it is this user's.
    pub(crate) fn take_parked(&self, id: &str, address: &str) -> Option<session::Connected> {
        let mut parked = self.parked();
        if parked.get(id).is_some_and(|s| s.address() == address) {
            parked.remove(id)
        } else {
            None
        }
    }

    /// The parked session with this id, its window over.
    pub(crate) fn take_expired(&self, id: &str) -> Option<session::Connected> {
        self.parked().remove(id)
    }
}

/// The XMPP service's settings.
pub struct XmppSettings {
    pub plain: SocketAddr,
    pub direct_tls: SocketAddr,
    pub max_stanza_bytes: usize,
    pub max_sessions: usize,
    pub max_upload_bytes: u64,
    pub resume_window: Duration,
}

/// The service's listeners, bound at the start of the boot (as the engine binds its own), so
/// a port is taken before anything else can take it; they accept once [`start`] runs.
pub struct Listeners {
    plain: TcpListener,
    direct: TcpListener,
    settings: XmppSettings,
}

/// Binds both listeners.
pub async fn bind(settings: XmppSettings) -> Result<Listeners, (SocketAddr, std::io::Error)> {
    let plain = TcpListener::bind(settings.plain)
        .await
        .map_err(|err| (settings.plain, err))?;
    let direct = TcpListener::bind(settings.direct_tls)
        .await
        .map_err(|err| (settings.direct_tls, err))?;
    Ok(Listeners {
        plain,
        direct,
        settings,
    })
}

/// Serves the listeners until the process ends; the handle serves XMPP over WebSocket on
/// the web port.
pub fn start(
    listeners: Listeners,
    services: Services,
    tls: Arc<ServerConfig>,
) -> websocket::WebSocketEndpoint {
    let Listeners {
        plain,
        direct,
        settings,
    } = listeners;
    let service = Arc::new(Service {
        services,
        tls,
        max_stanza_bytes: settings.max_stanza_bytes,
        max_sessions: settings.max_sessions,
        max_upload_bytes: settings.max_upload_bytes,
        resume_window: settings.resume_window,
        parked: Default::default(),
    });
    tokio::spawn(accept(plain, service.clone(), false));
    tokio::spawn(accept(direct, service.clone(), true));
    websocket::WebSocketEndpoint(service)
}

async fn accept(listener: TcpListener, service: Arc<Service>, direct_tls: bool) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "XMPP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = service.clone();
        tokio::spawn(serve(tcp, peer, service, direct_tls));
    }
}

/// A connection's task, for as long as it lasts (an `async move` block, not an `async fn`,
/// so its future keeps its arguments once; see `session::run_session`).
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future keeps its arguments twice (rust-lang/rust#62958)"
)]
fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    service: Arc<Service>,
    direct_tls: bool,
) -> impl Future<Output = ()> + Send {
    async move {
        let _ = tcp.set_nodelay(true);
        if service.services.ip_blocked(peer.ip()) {
            return;
        }
        negotiate::run(tcp, peer, service, direct_tls).await;
    }
}
