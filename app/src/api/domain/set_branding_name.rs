// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Sets the company name shown on the domain's webmail (manager only).
#[server(prefix = "/api", endpoint = "domain/branding")]
pub async fn set_branding_name(domain: String, company_name: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .set_brand_name(&caller().await?, &domain, &company_name)
        .await
}
