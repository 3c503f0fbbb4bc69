// SPDX-License-Identifier: AGPL-3.0-only
//! The service port the server functions call. `panel` implements it and puts it in the
//! Leptos context; server functions stay thin: resolve the actor, call the port, map the error.

use std::{net::IpAddr, sync::Arc};

use crate::{
    dto::{ClientSettings, DomainRow, MailboxRow, Me, OneTimeCredentials},
    error::AppError,
};

/// Who is making a request: a signed-in session's identity, as stored in the session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionActor {
    /// The login name (an operator's login or a mailbox address).
    pub login: String,
}

/// A new mailbox, as typed into the form.
#[derive(Debug, Clone)]
pub struct NewMailboxForm {
    pub local_part: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty means "generate one".
    pub password: String,
}

/// Everything the panel's pages can ask of the services.
#[async_trait::async_trait]
pub trait PanelPort: Send + Sync {
    /// Checks a web login; returns the identity to keep in the session.
    async fn login(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, AppError>;
    /// Resolves a session's identity into what pages show.
    async fn me(&self, actor: &SessionActor) -> Result<Me, AppError>;
    /// Operator: every domain.
    async fn list_domains(&self, actor: &SessionActor) -> Result<Vec<DomainRow>, AppError>;
    /// Operator: registers a domain and its postmaster; returns the postmaster's credentials.
    async fn register_domain(
        &self,
        actor: &SessionActor,
        domain: &str,
    ) -> Result<OneTimeCredentials, AppError>;
    /// Postmaster: the mailboxes of the actor's domain.
    async fn list_mailboxes(&self, actor: &SessionActor) -> Result<Vec<MailboxRow>, AppError>;
    /// Postmaster: creates a mailbox; returns its credentials when the password was generated.
    async fn create_mailbox(
        &self,
        actor: &SessionActor,
        form: NewMailboxForm,
    ) -> Result<Option<OneTimeCredentials>, AppError>;
    /// Any signed-in mailbox: how to configure a mail client.
    async fn client_settings(&self, actor: &SessionActor) -> Result<ClientSettings, AppError>;
}

/// The port as it sits in the Leptos context.
pub type Port = Arc<dyn PanelPort>;
