// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Requires (or stops requiring) two-factor sign-in of every user of the domain.
#[server(prefix = "/api", endpoint = "domain/set_two_factor_required")]
pub async fn set_two_factor_required(domain: String, required: bool) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .set_two_factor_required(required)
        .await
}
