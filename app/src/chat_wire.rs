// SPDX-License-Identifier: AGPL-3.0-only
//! What the webmail's chat and the server say to each other over the chat socket
//! (`/chat/socket`), one JSON object per WebSocket message: `{"<kind>": {fields}}` (serde's
//! plain enum form, which the browser decodes with far less code than a tag inside the
//! object), or `"<kind>"` alone for a kind without fields.

use serde::{Deserialize, Serialize};

/// A chat user's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatStatus {
    Available,
    Away,
    Busy,
    Offline,
}

/// From the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatCommand {
    /// The user's status in the webmail (Offline: the webmail receives nothing, and shows
    /// everyone as unavailable; a chat client signed in elsewhere is not affected).
    Status {
        status: ChatStatus,
    },
    /// A message to a contact; `id` is the browser's own, echoed back.
    Send {
        to: String,
        body: String,
        id: String,
    },
    Typing {
        to: String,
        typing: bool,
    },
    /// The user saw the contact's messages up to the one with this mark.
    Read {
        to: String,
        mark: String,
    },
    /// Older messages of the conversation with a contact (before the given id, or the
    /// newest).
    History {
        with: String,
        before: Option<i64>,
    },
    /// The conversation's messages holding this text.
    Search {
        with: String,
        text: String,
    },
}

/// From the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatEvent {
    /// The connection is ready: who the user is and its contacts.
    Welcome {
        me: String,
        contacts: Vec<ChatContact>,
        /// The group conversations the user is in.
        #[serde(default)]
        groups: Vec<ChatGroupInfo>,
    },
    /// The group conversations the user is in changed: these are they now.
    Groups { groups: Vec<ChatGroupInfo> },
    /// A contact's status changed.
    Presence { address: String, status: ChatStatus },
    /// A message from a contact, or one the user sent (from here or elsewhere).
    Message { line: ChatLine },
    Typing {
        from: String,
        typing: bool,
        /// In this group's conversation (not the one with `from`).
        #[serde(default)]
        group: Option<String>,
    },
    /// A client of the contact received the user's message with this mark.
    Received { from: String, mark: String },
    /// The contact read the user's messages up to this mark.
    Read { from: String, mark: String },
    /// A page of a conversation, oldest first.
    History {
        with: String,
        lines: Vec<ChatLine>,
        complete: bool,
    },
    /// The conversation's messages holding the text searched for, oldest first.
    Found {
        with: String,
        text: String,
        lines: Vec<ChatLine>,
    },
    /// A message the server did not send, by the browser's id.
    Refused { id: String, reason: String },
    /// A colleague joined the contact list (`contact`), or left it (none).
    Contact {
        address: String,
        contact: Option<ChatContact>,
    },
    /// Chat is not active for this mailbox (or was just switched off).
    Off,
}

/// A contact: a colleague who may chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatContact {
    pub address: String,
    pub name: String,
    pub status: ChatStatus,
}

/// A group conversation: a group alias of the domain and its member mailboxes. A message
/// to its address reaches every member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatGroupInfo {
    pub address: String,
    pub name: String,
    pub members: Vec<String>,
}

/// A kept message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatLine {
    /// The history's id.
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// What receipts and read marks name this message by (its sender's id for it).
    pub mark: String,
    /// The browser's id, when this browser tab sent it.
    pub client_id: Option<String>,
    /// Kept while the user was away, delivered now.
    pub waiting: bool,
}
