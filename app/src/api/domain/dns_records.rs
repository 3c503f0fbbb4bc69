// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::DnsRow, error::AppError};

/// The DNS records a domain must publish; with `check`, each one resolved now.
#[server(prefix = "/api", endpoint = "domain/dns_records")]
pub async fn dns_records(domain: String, check: bool) -> Result<Vec<DnsRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .dns(check)
        .await
}
