// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ReadsPage, error::AppError};

/// What the manager's delegates read, newest first (of one delegate when `login` is given).
#[server(prefix = "/api", endpoint = "delegates/reads")]
pub async fn delegate_reads(
    #[server(default)] login: String,
    #[server(default)] page: u64,
) -> Result<ReadsPage, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .delegates(&caller().await?)
        .await?
        .reads(&login, page)
        .await
}
