// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Adds an alias that delivers to a mailbox.
#[server(prefix = "/api", endpoint = "mailboxes/add_alias")]
pub async fn add_alias(address: String, alias: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .add_alias(&alias)
        .await
}
