// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::MonitorRow, error::AppError};

/// Per customer: mailboxes, upgrades and monthly cost (operator only).
#[server(prefix = "/api", endpoint = "operator/monitor")]
pub async fn monitor() -> Result<Vec<MonitorRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?.operator(&caller().await?).await?.monitor().await
}
