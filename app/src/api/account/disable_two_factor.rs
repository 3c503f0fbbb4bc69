// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Turns two-factor sign-in off after a current code or a recovery code. Every other
/// session of the identity ends.
#[server(prefix = "/api", endpoint = "account/disable_two_factor")]
pub async fn disable_two_factor(code: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port, sign_in},
        i18n::Text,
    };
    let renewed = port()?
        .own(&caller().await?)
        .await?
        .disable_two_factor(&code)
        .await?;
    sign_in(&renewed).await?;
    flash(Text::new(
        "Two-factor authentication is off.",
        "L'autenticazione a due fattori è disattivata.",
    ))
    .await
}
