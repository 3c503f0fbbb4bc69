// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches chat on or off for a mailbox.
#[server(prefix = "/api", endpoint = "mailboxes/chat")]
pub async fn set_chat(address: String, enabled: bool) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?.set_chat(&caller().await?, &address, enabled).await
}
