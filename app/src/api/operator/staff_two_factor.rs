// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Whether operators and managers must sign in with a second factor.
#[server(prefix = "/api", endpoint = "operator/staff_two_factor")]
pub async fn staff_two_factor() -> Result<bool, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .operator(&caller().await?)
        .await?
        .staff_two_factor()
        .await
}
