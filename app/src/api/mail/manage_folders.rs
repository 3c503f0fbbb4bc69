// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Creates a folder in the signed-in mailbox, at the top (empty `parent`) or under another;
/// its id.
#[server(prefix = "/api", endpoint = "mail/create_folder")]
pub async fn create_folder(
    name: String,
    #[server(default)] parent: String,
) -> Result<String, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .create_folder(&name, &parent)
        .await
}

/// Renames one of the signed-in mailbox's own folders.
#[server(prefix = "/api", endpoint = "mail/rename_folder")]
pub async fn rename_folder(id: String, name: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .rename_folder(&id, &name)
        .await
}

/// Deletes one of the signed-in mailbox's own folders, which must be empty.
#[server(prefix = "/api", endpoint = "mail/delete_folder")]
pub async fn delete_folder(id: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .delete_folder(&id)
        .await
}
