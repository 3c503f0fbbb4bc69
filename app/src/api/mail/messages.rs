// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MessageList, error::AppError};

/// A page of one of the signed-in mailbox's folders, newest first.
#[server(prefix = "/api", endpoint = "mail/messages")]
pub async fn list_messages(folder: String, page: u64) -> Result<MessageList, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .messages(&folder, page)
        .await
}
