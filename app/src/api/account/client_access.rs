// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ClientAccess, error::AppError};

/// The mailbox's own protocol switches and app passwords.
#[server(prefix = "/api", endpoint = "account/client_access")]
pub async fn get_client_access() -> Result<ClientAccess, AppError> {
    use crate::api::context::{caller, port};
    port()?.own(&caller().await?).await?.client_access().await
}
