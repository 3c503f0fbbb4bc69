// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Copies a mailbox's existing folders (`folders`, engine ids; all but Drafts when none is
/// chosen) into its archive, in the background (manager only). The mailbox's page follows it.
#[server(prefix = "/api", endpoint = "mailboxes/import_into_archive")]
pub async fn import_into_archive(
    address: String,
    #[server(default)] folders: Vec<String>,
) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    let caller = caller().await?;
    let address = crate::ports::Address::parse(&address)?;
    port()?
        .managed(&caller, &address.domain())
        .await?
        .import_into_archive(&address, folders)
        .await
}
