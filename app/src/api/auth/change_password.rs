// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Changes the signed-in person's own password (required after a first sign-in with a
/// password that was sent by e-mail).
#[server(prefix = "/api", endpoint = "auth/password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    let caller = caller().await?;
    port()?
        .change_password(&caller, &current, &new, &repeat)
        .await?;
    let me = port()?.me(&caller).await?;
    leptos_axum::redirect(&me.home());
    Ok(())
}
