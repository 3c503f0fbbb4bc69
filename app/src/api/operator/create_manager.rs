// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Creates a manager (operator only); its password is e-mailed to it. The result says where.
#[server(prefix = "/api", endpoint = "operator/create_manager")]
pub async fn create_manager(
    login: String,
    display_name: String,
    email: String,
) -> Result<String, AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::manager_created,
    };
    let sent_to = port()?
        .operator(&caller().await?)
        .await?
        .create_manager(&login, &display_name, &email)
        .await?;
    flash(manager_created(&sent_to)).await?;
    Ok(sent_to)
}
