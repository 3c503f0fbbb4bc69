// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::DomainOverview, error::AppError};

/// A domain's state: service, mailbox type, mailboxes created and available, chat.
#[server(prefix = "/api", endpoint = "domain/get_domain_overview")]
pub async fn get_domain_overview(domain: String) -> Result<DomainOverview, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .overview()
        .await
}
