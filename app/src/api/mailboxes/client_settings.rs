// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ClientSettings, error::AppError};

/// Server names and ports for configuring a mail client.
#[server(prefix = "/api", endpoint = "mailboxes/client_settings")]
pub async fn get_client_settings() -> Result<ClientSettings, AppError> {
    use crate::api::context::{actor, port};
    port()?.client_settings(&actor().await?).await
}
