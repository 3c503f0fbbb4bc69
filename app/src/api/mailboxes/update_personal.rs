// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Changes a mailbox's first and last name.
#[server(prefix = "/api", endpoint = "mailboxes/update_personal")]
pub async fn update_personal(
    address: String,
    first_name: String,
    last_name: String,
) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .update_personal(&first_name, &last_name)
        .await
}
