// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::PlanRow, error::AppError};

/// Every plan (operator only).
#[server(prefix = "/api", endpoint = "operator/list_plans")]
pub async fn list_plans() -> Result<Vec<PlanRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?.operator(&caller().await?).await?.list_plans().await
}
