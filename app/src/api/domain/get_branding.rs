// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::Branding, error::AppError};

/// A domain's webmail branding; public, for its login page.
#[server(prefix = "/api", endpoint = "domain/get_branding")]
pub async fn get_branding(domain: String) -> Result<Branding, AppError> {
    use crate::api::context::port;
    port()?
        .public()
        .branding(&crate::ports::DomainName::parse(&domain)?)
        .await
}
