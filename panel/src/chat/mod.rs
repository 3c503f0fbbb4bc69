// SPDX-License-Identifier: AGPL-3.0-only
//! Chat: one hub where every chat session of every user meets, whichever client it is (the
//! webmail or an XMPP client). The hub routes messages and presence, keeps every message in
//! the panel database (history cannot be switched off) and holds the messages for someone
//! who has no session open until they next sign in.
//!
//! The hub routes through one narrow interface, [`ChatBus`]: every message and presence
//! change is published on it and every node delivers what it hears to its own sessions. One
//! node uses [`LocalBus`]; several nodes would share a bus over NATS or Redis (the design's
//! scale path) and read the history they missed from the database, which is the source of
//! truth.

mod blocks;
mod bus;
mod groups;
mod history;
mod hub;
mod outbox;
mod pep;
pub mod scram;

pub use bus::{BusEvent, ChatBus, LocalBus};
pub use groups::ChatGroup;
pub use history::{HISTORY_PAGE, History, HistoryPage};
pub use hub::{
    BlocklistChange, ChatError, ContactChange, Delivery, GroupList, Hub, MAX_BODY, Session,
    SignalFrom,
};
pub use pep::{PepError, PepItem};

use serde::{Deserialize, Serialize};

/// A chat user's status, as the webmail offers it and XMPP's `show` maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Available,
    Away,
    Busy,
    Offline,
}

impl Status {
    /// Which status to show for a contact with several sessions: the most reachable.
    fn rank(self) -> u8 {
        match self {
            Status::Available => 3,
            Status::Away => 2,
            Status::Busy => 1,
            Status::Offline => 0,
        }
    }

    /// The best of two statuses.
    pub fn best(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// Where one session runs: which node, which session on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionKey {
    pub node: u64,
    pub id: u64,
}

/// A session's presence, as every node hears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The user's address (bare JID), lowercase.
    pub address: String,
    /// The session's resource (an XMPP client's, or `webmail-…`).
    pub resource: String,
    pub session: SessionKey,
    pub status: Status,
    /// The status message, if any.
    pub text: Option<String>,
}

/// A chat message, as kept and delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The history's id: it only grows, so clients catch up from the last one they saw.
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The sender's address, lowercase.
    pub from: String,
    /// The resource of the session that sent it.
    pub from_resource: String,
    /// The recipient's address, lowercase.
    pub to: String,
    pub body: String,
    /// The id the sending client gave it.
    pub origin_id: Option<String>,
}

/// What a session tells a contact without it being kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// Typing (`true`) or stopped.
    Typing(bool),
    /// The message with this id reached one of the contact's clients.
    Received(String),
    /// The contact read the message with this id (and those before it).
    Displayed(String),
}

/// The conversation a pair of contacts shares: the two addresses in order, so both
/// directions are one conversation.
pub fn conversation_of(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a} {b}")
    } else {
        format!("{b} {a}")
    }
}

/// The domain of an address (what follows the last `@`).
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_are_one_conversation() {
        assert_eq!(
            conversation_of("bob@demo.test", "alice@demo.test"),
            conversation_of("alice@demo.test", "bob@demo.test")
        );
        assert_eq!(domain_of("alice@demo.test"), "demo.test");
    }

    #[test]
    fn the_most_reachable_status_wins() {
        assert_eq!(Status::Away.best(Status::Available), Status::Available);
        assert_eq!(Status::Busy.best(Status::Offline), Status::Busy);
        assert_eq!(Status::Away.best(Status::Busy), Status::Away);
    }
}
