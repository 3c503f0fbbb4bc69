// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MailboxPage, error::AppError};

/// One page of a domain's mailboxes, optionally filtered.
#[server(prefix = "/api", endpoint = "mailboxes/list")]
pub async fn list_mailboxes(
    domain: String,
    page: u64,
    search: String,
) -> Result<MailboxPage, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .list_mailboxes(&caller().await?, &domain, page, &search)
        .await
}
