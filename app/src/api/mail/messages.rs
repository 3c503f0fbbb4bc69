// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MessageList, error::AppError};

/// A page of one of the signed-in mailbox's folders, newest first; or, with `q`, of what
/// that search finds in the mailbox.
#[server(prefix = "/api", endpoint = "mail/messages")]
pub async fn list_messages(
    folder: String,
    page: u64,
    #[server(default)] q: String,
) -> Result<MessageList, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .messages(&folder, page, &q)
        .await
}
