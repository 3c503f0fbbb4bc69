// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Applies an action to selected messages of the signed-in mailbox, listed in `folder`:
/// `read`, `unread`, `flag`, `unflag`, `delete`, `spam`, `not-spam`, or `move` into `to`.
/// The selection is posted as `ids[0]`, `ids[1]`, … (a form's checked boxes); how many
/// messages changed.
#[server(prefix = "/api", endpoint = "mail/act")]
pub async fn mail_act(
    folder: String,
    action: String,
    #[server(default)] ids: Vec<String>,
    #[server(default)] to: String,
    #[server(default)] next: String,
) -> Result<u32, AppError> {
    use crate::api::context::{caller, port};
    let changed = port()?
        .mail(&caller().await?)
        .await?
        .act(&ids, &folder, &action, &to)
        .await?;
    // From the reader, a message taken out of view (or left unread) goes back to its list.
    if matches!(
        action.as_str(),
        "delete" | "spam" | "not-spam" | "move" | "unread"
    ) && is_mail_path(&next)
    {
        leptos_axum::redirect(&next);
    }
    Ok(changed)
}

/// A webmail address of this site (`/mail` or below), never another site's.
#[cfg(feature = "ssr")]
fn is_mail_path(path: &str) -> bool {
    (path == "/mail" || path.starts_with("/mail/"))
        && !path.contains("//")
        && !path.contains('\\')
        && path.bytes().all(|b| b.is_ascii_graphic())
}

/// Deletes everything in the signed-in mailbox's Trash for good; how many went.
#[server(prefix = "/api", endpoint = "mail/empty_trash")]
pub async fn empty_trash() -> Result<u32, AppError> {
    use crate::api::context::{caller, port};
    port()?.mail(&caller().await?).await?.empty_trash().await
}
