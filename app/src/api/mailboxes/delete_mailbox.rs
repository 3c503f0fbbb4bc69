// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Deletes a mailbox and destroys its mail; `confirm` must repeat the address. Goes back to
/// the domain's list.
#[server(prefix = "/api", endpoint = "mailboxes/delete_mailbox")]
pub async fn delete_mailbox(address: String, confirm: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .delete(&confirm)
        .await?;
    if let Some((_, domain)) = address.trim().rsplit_once('@') {
        leptos_axum::redirect(&format!("/domains/{domain}/mailboxes"));
    }
    Ok(())
}
