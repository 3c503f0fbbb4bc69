// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::OneTimeCredentials, error::AppError};

/// Sets a mailbox's password; an empty one asks for a generated one, returned once.
#[server(prefix = "/api", endpoint = "mailboxes/reset_password")]
pub async fn reset_password(
    address: String,
    password: String,
    repeat: String,
) -> Result<Option<OneTimeCredentials>, AppError> {
    use crate::api::context::{caller, hand_over_once, port};
    let generated = port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .reset_password(&password, &repeat)
        .await?;
    if let Some(credentials) = &generated {
        hand_over_once(credentials).await?;
    }
    Ok(generated)
}
