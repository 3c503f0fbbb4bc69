// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Registers a domain for a customer (operator only). The postmaster's password is e-mailed
/// to the customer's legal representative; the result says where.
#[server(prefix = "/api", endpoint = "domains/register")]
pub async fn register_domain(domain: String, customer: i32) -> Result<String, AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    let sent_to = port()?
        .register_domain(&caller().await?, &domain, customer)
        .await?;
    flash(Text::new(
        format!("Domain registered. The postmaster's credentials were e-mailed to {sent_to}."),
        format!(
            "Dominio registrato. Le credenziali del postmaster sono state inviate a {sent_to}."
        ),
    ))
    .await?;
    Ok(sent_to)
}
