// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::CustomerRow, error::AppError};

/// Every customer (operator only).
#[server(prefix = "/api", endpoint = "operator/list_customers")]
pub async fn list_customers() -> Result<Vec<CustomerRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .operator(&caller().await?)
        .await?
        .list_customers()
        .await
}
