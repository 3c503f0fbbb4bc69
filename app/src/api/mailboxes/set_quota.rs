// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Sets a mailbox's quota tier, in bytes (one of the configured tiers).
#[server(prefix = "/api", endpoint = "mailboxes/set_quota")]
pub async fn set_quota(address: String, quota: String) -> Result<(), AppError> {
    use crate::api::{
        context::{caller, port},
        form::whole,
    };
    let bytes = u64::try_from(whole("quota", &quota)?).unwrap_or_default();
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .set_quota(bytes)
        .await
}
