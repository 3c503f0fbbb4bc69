// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ClientSettings, error::AppError};

/// How to configure a mail client for the signed-in mailbox.
#[server(prefix = "/api", endpoint = "account/client_settings")]
pub async fn get_client_settings() -> Result<ClientSettings, AppError> {
    use crate::api::context::{caller, port};
    port()?.own(&caller().await?).await?.client_settings().await
}
