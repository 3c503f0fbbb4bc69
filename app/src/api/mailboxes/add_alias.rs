// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Adds an alias that delivers to a mailbox.
#[server(prefix = "/api", endpoint = "mailboxes/alias_add")]
pub async fn add_alias(address: String, alias: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?.add_alias(&caller().await?, &address, &alias).await
}
