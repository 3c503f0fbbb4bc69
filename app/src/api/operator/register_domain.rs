// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Registers a domain for a customer (operator only). The postmaster's password is e-mailed
/// to the customer's legal representative; the result says where.
#[server(prefix = "/api", endpoint = "operator/register_domain")]
pub async fn register_domain(domain: String, customer: i32) -> Result<String, AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::domain_registered,
    };
    let sent_to = port()?
        .operator(&caller().await?)
        .await?
        .register_domain(&domain, customer)
        .await?;
    flash(domain_registered(&sent_to)).await?;
    Ok(sent_to)
}
