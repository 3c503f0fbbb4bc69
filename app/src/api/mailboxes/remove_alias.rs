// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Removes one of a mailbox's aliases.
#[server(prefix = "/api", endpoint = "mailboxes/alias_remove")]
pub async fn remove_alias(address: String, alias: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .remove_alias(&caller().await?, &address, &alias)
        .await
}
