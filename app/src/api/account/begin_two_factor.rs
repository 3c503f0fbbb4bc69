// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Starts turning two-factor sign-in on: a fresh secret to scan, kept with this session
/// until a code confirms it.
#[server(prefix = "/api", endpoint = "account/begin_two_factor")]
pub async fn begin_two_factor() -> Result<(), AppError> {
    use crate::api::context::{caller, keep_totp_draft, port};
    let draft = port()?
        .own(&caller().await?)
        .await?
        .begin_two_factor()
        .await?;
    keep_totp_draft(&draft).await
}
