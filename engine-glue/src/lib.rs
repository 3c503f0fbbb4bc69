// SPDX-License-Identifier: AGPL-3.0-only
//! `engine_glue`: the only crate that names the mail engine's types.
//!
//! It starts the embedded engine (stalwart-lite) from a typed [`EngineConfig`] and maps the
//! product's concepts — domains, mailboxes, passwords, quotas — onto the engine's directory.
//! It knows nothing of HTTP, sessions or the panel's tables.

mod config;
mod credentials;
mod directory;
mod engine;
mod error;
mod events;
mod groups;
mod mail;
mod policy;
mod queue;
mod secret;
mod tls;

pub use config::{
    CacheConfig, EngineConfig, EnginePorts, JOURNAL_DOMAIN, JournalConfig, PostgresStore,
    SEND_TIERS, StoreBackend, is_journal_address,
};
pub use credentials::{ClientSecrets, ClientSignIn, SecondarySecrets, valid_app_password_name};
pub use directory::{AccountId, MailboxChanges, MailboxInfo, NewMailbox};
pub use engine::Engine;
pub use error::GlueError;
pub use events::{
    EngineEvent, MailProtocol, MessageSource, MessageStatus, MessageStep, SignInOutcome,
};
pub use mail::{
    Address, Attachment, ChangesPage, Draft, DraftPart, Folder, FolderChange, KeptFile, KeptFolder,
    KeptMessage, Listing, MAX_PAGE, MailAccess, MailChanges, MailFilter, Message, MessageChange,
    MessageChanges, MessagePage, MessageSummary, Sent, SieveScript,
};
pub use policy::{DkimKind, MailboxState, Protocols};
pub use queue::{DueJournalCopy, QueuedEnvelope};
pub use secret::{PasswordHash, SecretFingerprint};
pub use tls::TlsFiles;
