// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MailboxDetail, error::AppError};

/// A mailbox with its state, aliases and what the viewer may change.
#[server(prefix = "/api", endpoint = "mailboxes/get_mailbox")]
pub async fn get_mailbox(address: String) -> Result<MailboxDetail, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .detail()
        .await
}
