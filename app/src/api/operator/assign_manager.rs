// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Gives a domain to a manager, or takes it away with an empty manager (operator only).
#[server(prefix = "/api", endpoint = "operator/assign_manager")]
pub async fn assign_manager(domain: String, manager: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .operator(&caller().await?)
        .await?
        .assign_manager(&domain, &manager)
        .await
}
