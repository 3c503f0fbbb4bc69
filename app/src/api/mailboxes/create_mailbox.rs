// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::OneTimeCredentials, error::AppError};

/// Creates a mailbox in a domain. An empty password asks for a generated one, which is
/// returned once.
#[server(prefix = "/api", endpoint = "mailboxes/create_mailbox")]
pub async fn create_mailbox(
    domain: String,
    local_part: String,
    first_name: String,
    last_name: String,
    password: String,
) -> Result<Option<OneTimeCredentials>, AppError> {
    use crate::{
        api::context::{caller, hand_over_once, port},
        ports::NewMailboxForm,
    };
    let form = NewMailboxForm {
        local_part,
        first_name,
        last_name,
        password,
    };
    let created = port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .create_mailbox(form)
        .await?;
    if let Some(credentials) = &created {
        hand_over_once(credentials).await?;
    }
    Ok(created)
}
