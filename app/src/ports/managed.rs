// SPDX-License-Identifier: AGPL-3.0-only
//! What only a domain's manager may do.

use super::Address;
use crate::error::AppError;

/// An uploaded logo.
#[derive(Debug, Clone)]
pub struct LogoUpload {
    pub bytes: Vec<u8>,
    pub media_type: String,
}

#[async_trait::async_trait]
pub trait ManagedHandle: Send + Sync {
    /// A mailbox's daily limit of external recipients.
    async fn set_send_tier(&self, address: &Address, tier: u32) -> Result<(), AppError>;
    /// Switches a mailbox's archive on with a retention in years, or off with `None`.
    async fn set_archive(
        &self,
        address: &Address,
        retention_years: Option<i32>,
    ) -> Result<(), AppError>;
    /// Starts copying these folders (all but Drafts when empty) into the mailbox's archive.
    async fn import_into_archive(
        &self,
        address: &Address,
        folders: Vec<String>,
    ) -> Result<(), AppError>;
    /// The company name on the domain's webmail (empty removes it).
    async fn set_brand_name(&self, company_name: &str) -> Result<(), AppError>;
    /// Sets (or with `None` removes) the logo of the domain's webmail.
    async fn set_logo(&self, logo: Option<LogoUpload>) -> Result<(), AppError>;
    /// Buys mailbox slots; returns the slots bought so far.
    async fn buy_slots(&self, count: i64) -> Result<i32, AppError>;
}
