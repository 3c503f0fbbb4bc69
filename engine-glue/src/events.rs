// SPDX-License-Identifier: AGPL-3.0-only
//! The engine's events the panel keeps, as typed values: sign-ins of mail clients and
//! messages submitted by an authenticated account.
//!
//! The engine delivers events to in-process subscribers only when the events are in its
//! global interests, so the subscription adds them there too. Settings reloads done through
//! the glue leave telemetry untouched, so the subscription survives them.

use stalwart_lib::{
    AuthEvent, Collector, Event, EventDetails, EventType, Key, QueueEvent, Value,
    ipc::subscriber::SubscriberBuilder,
};
use tokio::sync::mpsc;

use crate::engine::Engine;

/// Events waiting for the panel beyond this are dropped (with a warning) rather than slowing
/// the engine down.
const QUEUE: usize = 4096;

/// Something that happened in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// An account's credentials were accepted by IMAP, POP3, SMTP or ManageSieve.
    SignedIn { account: String },
    /// An authenticated account handed a message to the queue.
    Submitted {
        sender: String,
        recipients: Vec<String>,
    },
}

impl Engine {
    /// Starts receiving the engine's events. Call once; the stream ends when the engine stops.
    pub fn subscribe(&self) -> mpsc::Receiver<EngineEvent> {
        let builder = SubscriberBuilder::new("casella-panel".into())
            .with_lossy(false)
            .set_interests([
                EventType::Auth(AuthEvent::Success),
                EventType::Queue(QueueEvent::QueueMessageAuthenticated),
            ]);
        let interests = builder.interests.clone();
        let (_tx, mut batches) = builder.register();
        Collector::union_interests(interests);
        Collector::reload();

        let (out, events) = mpsc::channel(QUEUE);
        tokio::spawn(async move {
            while let Some(batch) = batches.recv().await {
                for event in batch {
                    let Some(event) = translate(&event) else {
                        continue;
                    };
                    if out.try_send(event).is_err() {
                        if out.is_closed() {
                            return;
                        }
                        tracing::warn!("engine event dropped: the panel is not keeping up");
                    }
                }
            }
        });
        events
    }
}

fn translate(event: &Event<EventDetails>) -> Option<EngineEvent> {
    match event.inner.typ {
        EventType::Auth(AuthEvent::Success) => Some(EngineEvent::SignedIn {
            account: event.value_as_str(Key::AccountName)?.to_lowercase(),
        }),
        EventType::Queue(QueueEvent::QueueMessageAuthenticated) => {
            let recipients = match event.value(Key::To)? {
                Value::Array(list) => list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_lowercase))
                    .collect(),
                other => other.as_str().map(str::to_lowercase).into_iter().collect(),
            };
            Some(EngineEvent::Submitted {
                sender: event.value_as_str(Key::From)?.to_lowercase(),
                recipients,
            })
        }
        _ => None,
    }
}
