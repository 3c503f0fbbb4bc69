// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{ArchiveQuery, ArchiveView},
    error::AppError,
};

/// The signed-in mailbox's archive: a folder's page or a search, a message opened.
#[server(prefix = "/api", endpoint = "mail/archive")]
pub async fn archive(query: ArchiveQuery) -> Result<ArchiveView, AppError> {
    use crate::api::context::{caller, port};
    port()?.archive(&caller().await?).await?.view(&query).await
}

/// Puts an archived message back into the signed-in mailbox.
#[server(prefix = "/api", endpoint = "mail/archive_put_back")]
pub async fn archive_put_back(id: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .archive(&caller().await?)
        .await?
        .put_back(&id)
        .await?;
    flash(Text::new(
        "The message is back in your mailbox.",
        "Il messaggio è di nuovo nella casella.",
    ))
    .await
}
