// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MailboxPage, error::AppError};

/// One page of a domain's mailboxes, optionally filtered.
#[server(prefix = "/api", endpoint = "mailboxes/list_mailboxes")]
pub async fn list_mailboxes(
    domain: String,
    page: u64,
    search: String,
) -> Result<MailboxPage, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .list_mailboxes(page, &search)
        .await
}
