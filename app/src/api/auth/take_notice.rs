// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// The confirmation left by the previous plain form post, handed over once.
#[server(prefix = "/api", endpoint = "auth/take_notice")]
pub async fn take_notice() -> Result<Option<String>, AppError> {
    crate::api::context::actor().await?;
    crate::api::context::take_notice().await
}
