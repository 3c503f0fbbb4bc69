// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Sets a mailbox's daily limit of external recipients (manager only).
#[server(prefix = "/api", endpoint = "mailboxes/send_tier")]
pub async fn set_send_tier(address: String, send_tier: String) -> Result<(), AppError> {
    use crate::api::{
        context::{caller, port},
        form::whole,
    };
    let tier = u32::try_from(whole("send_tier", &send_tier)?).unwrap_or_default();
    port()?
        .set_send_tier(&caller().await?, &address, tier)
        .await
}
