// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Removes one of a mailbox's aliases.
#[server(prefix = "/api", endpoint = "mailboxes/remove_alias")]
pub async fn remove_alias(address: String, alias: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .remove_alias(&alias)
        .await
}
