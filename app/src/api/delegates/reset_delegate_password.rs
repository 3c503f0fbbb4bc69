// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// E-mails a delegate a new password, to be changed at its next sign-in (manager only); its
/// sessions end.
#[server(prefix = "/api", endpoint = "delegates/reset_password")]
pub async fn reset_delegate_password(login: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::credentials_sent,
    };
    let sent_to = port()?
        .delegates(&caller().await?)
        .await?
        .reset_password(&login)
        .await?;
    flash(credentials_sent(&sent_to)).await
}
