// SPDX-License-Identifier: AGPL-3.0-only
// A server function takes a form's fields as its arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Changes a delegate's name, e-mail, expiry, window and archives (manager only).
#[server(prefix = "/api", endpoint = "delegates/update")]
pub async fn update_delegate(
    login: String,
    display_name: String,
    email: String,
    expires_on: String,
    #[server(default)] window_from: String,
    #[server(default)] window_to: String,
    #[server(default)] archives: Vec<String>,
) -> Result<(), AppError> {
    use crate::ports::DelegateForm;
    let form = DelegateForm {
        login: login.clone(),
        display_name,
        email,
        expires_on,
        window_from,
        window_to,
        archives,
    };
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .delegates(&caller().await?)
        .await?
        .update(&login, &form)
        .await?;
    flash(Text::new(
        "The delegate is saved.",
        "Il delegato è salvato.",
    ))
    .await
}
