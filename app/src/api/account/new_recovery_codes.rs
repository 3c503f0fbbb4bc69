// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::RecoveryCodes, error::AppError};

/// Replaces the recovery codes after a current code; the new ones are shown once.
#[server(prefix = "/api", endpoint = "account/new_recovery_codes")]
pub async fn new_recovery_codes(code: String) -> Result<RecoveryCodes, AppError> {
    use crate::{
        api::context::{caller, hand_over_secret, port},
        dto::ShownOnce,
    };
    let codes = port()?
        .own(&caller().await?)
        .await?
        .new_recovery_codes(&code)
        .await?;
    hand_over_secret(&ShownOnce::RecoveryCodes(codes.clone())).await?;
    Ok(codes)
}
