// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{AccessPage, AccessQuery},
    error::AppError,
};

/// A page of the domain's access log, filtered, newest first.
#[server(prefix = "/api", endpoint = "domain/access_log")]
pub async fn domain_access_log(
    domain: String,
    #[server(default)] query: AccessQuery,
) -> Result<AccessPage, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .access_log(&query)
        .await
}
