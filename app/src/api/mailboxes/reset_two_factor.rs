// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Turns a mailbox's two-factor sign-in off (a lost phone) and ends its sessions.
#[server(prefix = "/api", endpoint = "mailboxes/reset_two_factor")]
pub async fn reset_two_factor(address: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .reset_two_factor()
        .await?;
    flash(Text::new(
        "Two-factor authentication was reset: the user can sign in with the password and enrol again.",
        "L'autenticazione a due fattori è stata azzerata: l'utente può accedere con la password e attivarla di nuovo.",
    ))
    .await
}
