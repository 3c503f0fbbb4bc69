// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ShownOnce, error::AppError};

/// Creates an app password for a mail client; returns it, shown once.
#[server(prefix = "/api", endpoint = "account/create_app_password")]
pub async fn create_app_password(name: String) -> Result<ShownOnce, AppError> {
    use crate::api::context::{caller, hand_over_secret, port};
    let password = port()?
        .own(&caller().await?)
        .await?
        .create_app_password(&name)
        .await?;
    let shown = ShownOnce::AppPassword {
        name: name.trim().to_string(),
        password,
    };
    hand_over_secret(&shown).await?;
    Ok(shown)
}
