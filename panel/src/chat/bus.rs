// SPDX-License-Identifier: AGPL-3.0-only
//! The narrow interface the hub routes through. Publishing happens after the message is
//! committed to the database; a bus may lose an event (NATS core and Redis pub/sub are
//! at-most-once), and a client then catches up from the history by the last id it saw.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{ChatGroup, ChatMessage, PepItem, Presence, SessionKey, Signal};

/// What nodes tell each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BusEvent {
    /// A message was kept: deliver it to the recipient's sessions, and a copy to the
    /// sender's other sessions.
    Message {
        message: ChatMessage,
        sender: SessionKey,
    },
    /// Something that is shown, not kept: typing, a message received or read.
    Signal {
        from: String,
        from_resource: String,
        to: String,
        signal: Signal,
    },
    /// A session's presence changed (`Offline` when it went away).
    Presence(Presence),
    /// Chat was switched off for this address: its sessions end at once, and it leaves its
    /// colleagues' contact lists.
    ChatOff { address: String },
    /// Chat was switched on for this address: it joins its colleagues' contact lists.
    ChatOn { address: String, name: String },
    /// A domain's group conversations are now these (a group alias was created, deleted or
    /// its members changed).
    Groups {
        domain: String,
        groups: Vec<ChatGroup>,
    },
    /// A user published an item (XEP-0163); kept in the database first.
    Pep(PepItem),
    /// `owner` blocked (or unblocked) these addresses (XEP-0191); kept in the database
    /// first.
    Block {
        owner: String,
        addresses: Vec<String>,
        blocked: bool,
    },
}

/// A publish-subscribe channel shared by every node of a cluster. Every subscriber hears
/// every event, its own node's included.
pub trait ChatBus: Send + Sync + 'static {
    /// Publishes an event to every node.
    fn publish(&self, event: BusEvent);
    /// A new subscription: every event published from now on.
    fn subscribe(&self) -> broadcast::Receiver<BusEvent>;
}

/// The bus of a single node: an in-process broadcast channel.
pub struct LocalBus {
    sender: broadcast::Sender<BusEvent>,
}

impl LocalBus {
    /// A bus whose subscribers may fall `capacity` events behind before they miss some.
    pub fn new(capacity: usize) -> LocalBus {
        let (sender, _) = broadcast::channel(capacity.max(16));
        LocalBus { sender }
    }
}

impl ChatBus for LocalBus {
    fn publish(&self, event: BusEvent) {
        // No subscriber means no node is listening (at shutdown): nothing to deliver.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.sender.subscribe()
    }
}
