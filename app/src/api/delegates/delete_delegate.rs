// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Deletes a delegate (manager only); `confirm` must repeat its login. Its reads stay in the
/// log. Goes back to the delegates' list.
#[server(prefix = "/api", endpoint = "delegates/delete")]
pub async fn delete_delegate(login: String, confirm: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .delegates(&caller().await?)
        .await?
        .delete(&login, &confirm)
        .await?;
    flash(Text::new(
        format!("The delegate {} is deleted.", login.trim()),
        format!("Il delegato {} è eliminato.", login.trim()),
    ))
    .await?;
    leptos_axum::redirect("/delegates");
    Ok(())
}
