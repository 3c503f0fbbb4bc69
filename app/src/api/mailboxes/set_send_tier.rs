// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Sets a mailbox's daily limit of external recipients (manager only).
#[server(prefix = "/api", endpoint = "mailboxes/set_send_tier")]
pub async fn set_send_tier(address: String, send_tier: String) -> Result<(), AppError> {
    use crate::api::{
        context::{caller, port},
        form::whole,
    };
    let tier = u32::try_from(whole("send_tier", &send_tier)?).unwrap_or_default();
    let caller = caller().await?;
    let address = crate::ports::Address::parse(&address)?;
    port()?
        .managed(&caller, &address.domain())
        .await?
        .set_send_tier(&address, tier)
        .await
}
