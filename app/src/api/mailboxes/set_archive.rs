// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches a mailbox's archive on (`archive` = `on`, with `retention_years` from 1 to 10)
/// or off (manager only). Off keeps what is stored until its retention ends.
#[server(prefix = "/api", endpoint = "mailboxes/set_archive")]
pub async fn set_archive(
    address: String,
    #[server(default)] archive: String,
    #[server(default)] retention_years: String,
) -> Result<(), AppError> {
    use crate::api::{
        context::{caller, port},
        form::whole,
    };
    let years = if archive == "on" {
        Some(i32::try_from(whole("retention_years", &retention_years)?).unwrap_or(i32::MAX))
    } else {
        None
    };
    let caller = caller().await?;
    let address = crate::ports::Address::parse(&address)?;
    port()?
        .managed(&caller, &address.domain())
        .await?
        .set_archive(&address, years)
        .await
}
