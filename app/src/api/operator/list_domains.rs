// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::DomainRow, error::AppError};

/// Every domain (operator only).
#[server(prefix = "/api", endpoint = "operator/list_domains")]
pub async fn list_domains() -> Result<Vec<DomainRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .operator(&caller().await?)
        .await?
        .list_domains()
        .await
}
