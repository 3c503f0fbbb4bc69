// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::OneTimeCredentials, error::AppError};

/// Registers a domain with its postmaster (operator only). The postmaster's generated password
/// is returned once.
#[server(prefix = "/api", endpoint = "domains/register")]
pub async fn register_domain(domain: String) -> Result<OneTimeCredentials, AppError> {
    use crate::api::context::{actor, hand_over_once, port};
    let credentials = port()?.register_domain(&actor().await?, &domain).await?;
    hand_over_once(&credentials).await?;
    Ok(credentials)
}
