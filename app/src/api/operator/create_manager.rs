// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Creates a manager (operator only); its password is e-mailed to it. The result says where.
#[server(prefix = "/api", endpoint = "managers/create")]
pub async fn create_manager(
    login: String,
    display_name: String,
    email: String,
) -> Result<String, AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    let sent_to = port()?
        .create_manager(&caller().await?, &login, &display_name, &email)
        .await?;
    flash(Text::new(
        format!("Manager created. Its credentials were e-mailed to {sent_to}."),
        format!("Manager creato. Le sue credenziali sono state inviate a {sent_to}."),
    ))
    .await?;
    Ok(sent_to)
}
