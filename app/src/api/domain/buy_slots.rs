// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Buys mailbox slots for the domain's customer (manager only); returns the slots bought so
/// far.
#[server(prefix = "/api", endpoint = "domain/buy_slots")]
pub async fn buy_slots(domain: String, count: String) -> Result<i32, AppError> {
    use crate::api::{
        context::{caller, port},
        form::whole,
    };
    let count = whole("count", &count)?;
    port()?
        .managed(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .buy_slots(count)
        .await
}
