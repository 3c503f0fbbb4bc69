// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Ends every session of the signed-in identity, on every device, this one included.
#[server(prefix = "/api", endpoint = "account/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::api::context::{caller, port, sign_out};
    port()?
        .own(&caller().await?)
        .await?
        .sign_out_everywhere()
        .await?;
    sign_out().await?;
    leptos_axum::redirect("/login");
    Ok(())
}
