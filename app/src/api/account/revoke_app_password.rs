// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Revokes an app password: the client using it is signed out at its next connection.
#[server(prefix = "/api", endpoint = "account/revoke_app_password")]
pub async fn revoke_app_password(name: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .own(&caller().await?)
        .await?
        .revoke_app_password(&name)
        .await?;
    flash(Text::new(
        format!("\"{name}\" revoked."),
        format!("\"{name}\" revocata."),
    ))
    .await
}
