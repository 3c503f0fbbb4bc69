// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MailboxRow, error::AppError};

/// The mailboxes of the postmaster's domain.
#[server(prefix = "/api", endpoint = "mailboxes/list")]
pub async fn list_mailboxes() -> Result<Vec<MailboxRow>, AppError> {
    use crate::api::context::{actor, port};
    port()?.list_mailboxes(&actor().await?).await
}
