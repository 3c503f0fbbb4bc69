// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Sets the company name shown on the domain's webmail (manager only).
#[server(prefix = "/api", endpoint = "domain/set_branding_name")]
pub async fn set_branding_name(domain: String, company_name: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .managed(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .set_brand_name(&company_name)
        .await
}
