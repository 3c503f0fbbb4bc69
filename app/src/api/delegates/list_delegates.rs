// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::DelegatesView, error::AppError};

/// The manager's delegates and the archives of its domains.
#[server(prefix = "/api", endpoint = "delegates/list")]
pub async fn list_delegates() -> Result<DelegatesView, AppError> {
    use crate::api::context::{caller, port};
    port()?.delegates(&caller().await?).await?.list().await
}
