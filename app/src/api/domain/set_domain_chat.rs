// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches the domain's chat service on or off (postmaster only).
#[server(prefix = "/api", endpoint = "domain/set_domain_chat")]
pub async fn set_domain_chat(domain: String, enabled: bool) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .set_domain_chat(enabled)
        .await
}
