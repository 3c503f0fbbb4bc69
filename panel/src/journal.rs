// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's transport journal, as the engine reaches it: the DATA hook (HTTP) and the
//! journal receiver (LMTP), both on loopback ports chosen at each start and written into the
//! engine's configuration (see `engine_glue::JournalConfig`). What they decide is in
//! `services::archive`; here are only the two protocols.

mod lmtp;

use std::net::{Ipv4Addr, SocketAddr};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{IntoResponse, Json, Response},
    routing::post,
};
use engine_glue::JournalConfig;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

use crate::services::{
    Services,
    archive::{Envelope, HookAnswer},
};

/// A fault the journal receiver plays, for the crash tests (`TEST_CASELLA_JOURNAL_FAULT`): never
/// set in production, where every copy is taken as soon as it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFault {
    /// Every copy is answered "try again" before anything is written.
    Refuse,
    /// Every copy is written, then answered "try again" (as if the answer were lost).
    LoseReply,
}

impl JournalFault {
    fn from_env() -> Option<JournalFault> {
        match std::env::var("TEST_CASELLA_JOURNAL_FAULT").ok()?.as_str() {
            "refuse" => Some(JournalFault::Refuse),
            "lose-reply" => Some(JournalFault::LoseReply),
            _ => None,
        }
    }
}

/// The journal's two listeners, bound before the engine starts (their ports go into its
/// configuration); they answer once [`JournalListeners::start`] runs.
pub struct JournalListeners {
    hook: TcpListener,
    lmtp: TcpListener,
    secret: String,
}

impl JournalListeners {
    /// Binds both on loopback, on ports the system chooses.
    pub async fn bind() -> Result<JournalListeners, (SocketAddr, std::io::Error)> {
        let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let hook = TcpListener::bind(any).await.map_err(|err| (any, err))?;
        let lmtp = TcpListener::bind(any).await.map_err(|err| (any, err))?;
        Ok(JournalListeners {
            hook,
            lmtp,
            secret: format!("{:032x}", rand::random::<u128>()),
        })
    }

    /// What the engine's configuration needs to reach them.
    pub fn engine_config(&self) -> JournalConfig {
        let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
        JournalConfig {
            hook_port: port(&self.hook),
            lmtp_port: port(&self.lmtp),
            hook_secret: self.secret.clone(),
        }
    }

    /// Serves both until the process ends.
    pub fn start(self, services: Services, engine: std::sync::Arc<engine_glue::Engine>) {
        let expected = format!(
            "Basic {}",
            data_encoding::BASE64.encode(format!("engine:{}", self.secret).as_bytes())
        );
        let hook = HookState {
            services: services.clone(),
            expected: std::sync::Arc::new(expected),
        };
        // The hook is sent the whole message (which it skips): no body limit but the
        // engine's own message size.
        let app = Router::new()
            .route("/archive/hook", post(archive_hook))
            .layer(DefaultBodyLimit::disable())
            .with_state(hook);
        let listener = self.hook;
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(%err, "the archive's hook listener stopped");
            }
        });
        // The engine's resolver forgets the journal's host name after a while: pin it again.
        // And while journal copies are due, wake the engine's queue (see `wake_queue`).
        let waker = services.clone();
        tokio::spawn(async move {
            let mut ticks = 0u32;
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                ticks = ticks.wrapping_add(1);
                if ticks.is_multiple_of(720) {
                    engine.pin_journal_host();
                }
                if waker.journal_copies_due().await {
                    engine.wake_queue().await;
                }
            }
        });
        let fault = JournalFault::from_env();
        if let Some(fault) = fault {
            tracing::warn!(
                ?fault,
                "the journal receiver plays a fault (TEST_CASELLA_JOURNAL_FAULT)"
            );
        }
        tokio::spawn(lmtp::serve(self.lmtp, services, fault));
    }
}

#[derive(Clone)]
struct HookState {
    services: Services,
    expected: std::sync::Arc<String>,
}

/// The parts of the engine's hook request the archive reads; the message itself is skipped.
#[derive(Deserialize)]
struct HookRequest {
    context: HookContext,
    envelope: Option<HookEnvelope>,
    message: Option<HookMessage>,
}

/// The message's headers (its contents are skipped).
#[derive(Deserialize)]
struct HookMessage {
    #[serde(default)]
    headers: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct HookContext {
    sasl: Option<HookSasl>,
    queue: Option<HookQueue>,
}

#[derive(Deserialize)]
struct HookSasl {
    login: String,
}

#[derive(Deserialize)]
struct HookQueue {
    id: String,
}

#[derive(Deserialize)]
struct HookEnvelope {
    to: Vec<HookAddress>,
}

#[derive(Deserialize)]
struct HookAddress {
    address: String,
}

async fn archive_hook(State(state): State<HookState>, headers: HeaderMap, body: Bytes) -> Response {
    let given = headers
        .get(AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(state.expected.as_bytes())) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let request: HookRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            tracing::error!(%err, "the engine's hook request could not be read");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let Some(envelope) = request.envelope else {
        return Json(json!({ "action": "accept" })).into_response();
    };
    let envelope = Envelope {
        login: request
            .context
            .sasl
            .map(|s| s.login)
            .filter(|l| !l.is_empty() && l != "unavailable"),
        queue_id: request.context.queue.map(|q| q.id),
        message_id: request
            .message
            .iter()
            .flat_map(|m| &m.headers)
            .find(|(name, _)| name.eq_ignore_ascii_case("message-id"))
            .map(|(_, value)| value.trim().trim_matches(['<', '>']).to_string())
            .unwrap_or_default(),
        recipients: envelope.to.into_iter().map(|a| a.address).collect(),
    };
    match state.services.journal_hook(envelope).await {
        Ok(HookAnswer::Accept) => Json(json!({ "action": "accept" })).into_response(),
        Ok(HookAnswer::Journal(recipients)) => Json(json!({
            "action": "accept",
            "modifications": recipients
                .iter()
                .map(|recipient| json!({
                    "type": "addRecipient",
                    "value": recipient,
                    "parameters": { "NOTIFY": "NEVER" },
                }))
                .collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(HookAnswer::Reject) => Json(json!({
            "action": "reject",
            "response": {
                "status": 550,
                "enhanced_status": "5.1.1",
                "message": "Recipient address rejected",
            },
        }))
        .into_response(),
        // The engine answers 451 (tempfail-on-error): the client tries again later.
        Err(err) => {
            tracing::error!(%err, "the archive's hook failed; the message is deferred");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
