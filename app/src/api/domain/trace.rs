// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{TracePage, TraceQuery},
    error::AppError,
};

/// A page of the domain's message trace, filtered, newest first.
#[server(prefix = "/api", endpoint = "domain/trace")]
pub async fn domain_trace(
    domain: String,
    #[server(default)] query: TraceQuery,
) -> Result<TracePage, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .trace(&query)
        .await
}
