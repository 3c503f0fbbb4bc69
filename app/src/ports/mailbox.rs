// SPDX-License-Identifier: AGPL-3.0-only
//! One mailbox, for its domain's postmaster and manager.

use crate::{
    dto::{MailboxDetail, OneTimeCredentials, ProtocolSwitches},
    error::AppError,
};

#[async_trait::async_trait]
pub trait MailboxHandle: Send + Sync {
    async fn detail(&self) -> Result<MailboxDetail, AppError>;
    async fn update_personal(&self, first_name: &str, last_name: &str) -> Result<(), AppError>;
    /// Sets a password; returns it when it was generated.
    async fn reset_password(
        &self,
        password: &str,
        repeat: &str,
    ) -> Result<Option<OneTimeCredentials>, AppError>;
    /// Sets the quota tier, in bytes.
    async fn set_quota(&self, bytes: u64) -> Result<(), AppError>;
    async fn set_protocols(&self, protocols: ProtocolSwitches) -> Result<(), AppError>;
    async fn set_chat(&self, enabled: bool) -> Result<(), AppError>;
    async fn add_alias(&self, local_part: &str) -> Result<(), AppError>;
    async fn remove_alias(&self, alias: &str) -> Result<(), AppError>;
    /// Turns the mailbox's two-factor sign-in off (a lost phone): its recovery codes go,
    /// and every session of the mailbox ends.
    async fn reset_two_factor(&self) -> Result<(), AppError>;
    /// Deletes the mailbox; `confirm` must repeat its address.
    async fn delete(&self, confirm: &str) -> Result<(), AppError>;
}
