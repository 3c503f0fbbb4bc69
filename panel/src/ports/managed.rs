// SPDX-License-Identifier: AGPL-3.0-only
//! The manager's handle on one of its domains: send limits, branding, slots.

use app::{
    error::AppError,
    ports::{Address, LogoUpload, ManagedHandle},
};

use crate::services::{Logo, ManagedDomain};

/// What only a domain's manager may do, as the pages ask it.
pub struct Managed<'a>(pub ManagedDomain<'a>);

#[async_trait::async_trait]
impl ManagedHandle for Managed<'_> {
    async fn set_send_tier(&self, address: &Address, tier: u32) -> Result<(), AppError> {
        Ok(self.0.set_send_tier(address, tier).await?)
    }

    async fn set_archive(
        &self,
        address: &Address,
        retention_years: Option<i32>,
    ) -> Result<(), AppError> {
        Ok(self.0.set_archive(address, retention_years).await?)
    }

    async fn import_into_archive(
        &self,
        address: &Address,
        folders: Vec<String>,
    ) -> Result<(), AppError> {
        self.0.start_archive_import(address, folders).await?;
        Ok(())
    }

    async fn set_brand_name(&self, company_name: &str) -> Result<(), AppError> {
        Ok(self.0.set_brand_name(company_name).await?)
    }

    async fn set_logo(&self, logo: Option<LogoUpload>) -> Result<(), AppError> {
        let logo = logo.map(|l| Logo {
            bytes: l.bytes,
            media_type: l.media_type,
        });
        Ok(self.0.set_logo(logo).await?)
    }

    async fn buy_slots(&self, count: i64) -> Result<i32, AppError> {
        Ok(self.0.buy_slots(count).await?)
    }
}
