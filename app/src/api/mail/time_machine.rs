// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{TimeMachineQuery, TimeMachineView},
    error::AppError,
};

/// The signed-in mailbox as it stood at 00:00 of a day: its folders, a folder's page, a
/// message opened.
#[server(prefix = "/api", endpoint = "mail/time_machine")]
pub async fn time_machine(query: TimeMachineQuery) -> Result<TimeMachineView, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .time_machine(&caller().await?)
        .await?
        .view(&query)
        .await
}
