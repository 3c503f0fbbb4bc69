// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches chat on or off for a mailbox.
#[server(prefix = "/api", endpoint = "mailboxes/set_chat")]
pub async fn set_chat(address: String, enabled: bool) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .set_chat(enabled)
        .await
}
