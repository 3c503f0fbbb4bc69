// SPDX-License-Identifier: AGPL-3.0-only
// A server function takes a form's fields as its arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Creates a delegate (manager only); its password is e-mailed to it. The result says where.
#[server(prefix = "/api", endpoint = "delegates/create")]
pub async fn create_delegate(
    login: String,
    display_name: String,
    email: String,
    expires_on: String,
    #[server(default)] window_from: String,
    #[server(default)] window_to: String,
    #[server(default)] archives: Vec<String>,
) -> Result<String, AppError> {
    use crate::ports::DelegateForm;
    let form = DelegateForm {
        login,
        display_name,
        email,
        expires_on,
        window_from,
        window_to,
        archives,
    };
    use crate::{
        api::context::{caller, flash, port},
        i18n::credentials_sent,
    };
    let sent_to = port()?
        .delegates(&caller().await?)
        .await?
        .create(&form)
        .await?;
    flash(credentials_sent(&sent_to)).await?;
    Ok(sent_to)
}
