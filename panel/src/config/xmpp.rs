// SPDX-License-Identifier: AGPL-3.0-only
//! `[xmpp]`: the chat service for chat apps.

use serde::{Deserialize, Serialize};

/// The XMPP service: chat clients (Gajim, Conversations, Monal, Pidgin…) sign in with the
/// mailbox's address and password, or an app password. It binds where the mail listeners do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XmppSection {
    /// Run the XMPP service.
    pub enabled: bool,
    /// Client connections, TLS required through STARTTLS (standard: 5222).
    pub port: u16,
    /// Client connections over direct TLS, XEP-0368 (standard: 5223).
    pub tls_port: u16,
    /// The largest stanza a client may send, in bytes; a bigger one ends its stream.
    pub max_stanza_bytes: usize,
    /// Sessions (resources) one account may have open at once.
    pub max_sessions: usize,
    /// PBKDF2 rounds of the SCRAM-SHA-256 verifiers made for new passwords (at least 4096,
    /// RFC 7677). Clients pay them at each sign-in (most keep the result), the server when a
    /// password is set.
    pub scram_iterations: u32,
    /// The largest file a chat client may share (XEP-0363), in bytes; shared files are
    /// kept in the uploader's mailbox and count in its quota.
    pub max_upload_bytes: u64,
    /// How long a dropped chat app's session waits to be resumed (XEP-0198), in seconds;
    /// past it, what the app may have missed waits for its next sign-in.
    pub resume_seconds: u64,
}

impl Default for XmppSection {
    fn default() -> Self {
        XmppSection {
            enabled: true,
            port: 5222,
            tls_port: 5223,
            max_stanza_bytes: 256 * 1024,
            max_sessions: 10,
            scram_iterations: crate::services::chat_verifiers::DEFAULT_SCRAM_ITERATIONS,
            max_upload_bytes: 25 * 1024 * 1024,
            resume_seconds: 300,
        }
    }
}
