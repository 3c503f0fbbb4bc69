// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches chat on or off for every mailbox of the domain.
#[server(prefix = "/api", endpoint = "domain/set_chat_for_all")]
pub async fn set_chat_for_all(domain: String, enabled: bool) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .set_chat_for_all(enabled)
        .await
}
