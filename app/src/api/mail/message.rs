// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MailMessage, error::AppError};

/// One of the signed-in mailbox's messages, for reading.
#[server(prefix = "/api", endpoint = "mail/message")]
pub async fn open_message(id: String) -> Result<MailMessage, AppError> {
    use crate::api::context::{caller, port};
    port()?.mail(&caller().await?).await?.message(&id).await
}
