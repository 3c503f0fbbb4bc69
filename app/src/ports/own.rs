// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in identity's own things.

use super::SessionActor;
use crate::{
    dto::{AuditPage, ClientSettings, Me},
    error::AppError,
};

#[async_trait::async_trait]
pub trait OwnHandle: Send + Sync {
    /// Who is signed in, as the pages show it.
    async fn me(&self) -> Result<Me, AppError>;
    /// Changes the identity's own password; every other session of the identity ends, and
    /// the returned identity keeps this one signed in.
    async fn change_password(
        &self,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<SessionActor, AppError>;
    /// How to configure a mail client (mailbox owners only).
    async fn client_settings(&self) -> Result<ClientSettings, AppError>;
    /// The audit log as this identity may see it: all of it for operators, a manager's
    /// domains, a postmaster's domain.
    async fn audit_log(&self, page: u64) -> Result<AuditPage, AppError>;
}
