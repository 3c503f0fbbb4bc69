// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{MailFolder, MailQuota},
    error::AppError,
};

/// The signed-in mailbox's folders with their counts.
#[server(prefix = "/api", endpoint = "mail/folders")]
pub async fn list_folders() -> Result<Vec<MailFolder>, AppError> {
    use crate::api::context::{caller, port};
    port()?.mail(&caller().await?).await?.folders().await
}

/// How much of its quota the signed-in mailbox uses.
#[server(prefix = "/api", endpoint = "mail/quota")]
pub async fn quota_usage() -> Result<MailQuota, AppError> {
    use crate::api::context::{caller, port};
    port()?.mail(&caller().await?).await?.quota().await
}
