// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Creates a customer (operator only).
#[server(prefix = "/api", endpoint = "operator/create_customer")]
pub async fn create_customer(
    company_name: String,
    legal_email: String,
    plan: i32,
) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .operator(&caller().await?)
        .await?
        .create_customer(&company_name, &legal_email, plan)
        .await
}
