// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::AuditPage, error::AppError};

/// A page of the audit log, as the signed-in person may see it.
#[server(prefix = "/api", endpoint = "domain/audit_log")]
pub async fn audit_log(page: u64) -> Result<AuditPage, AppError> {
    use crate::api::context::{caller, port};
    port()?.own(&caller().await?).await?.audit_log(page).await
}
