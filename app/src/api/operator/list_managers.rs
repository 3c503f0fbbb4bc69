// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ManagerRow, error::AppError};

/// Every manager with its domains (operator only).
#[server(prefix = "/api", endpoint = "operator/list_managers")]
pub async fn list_managers() -> Result<Vec<ManagerRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .operator(&caller().await?)
        .await?
        .list_managers()
        .await
}
