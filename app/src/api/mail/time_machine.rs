// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{RestoreRow, TimeMachineQuery, TimeMachineView},
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

/// Brings the signed-in mailbox back to `day` (`mode`: `merge`, the default, or `exact`);
/// it runs on its own, and the Time Machine's page follows it.
#[server(prefix = "/api", endpoint = "mail/restore_day")]
pub async fn restore_day(
    day: String,
    #[server(default)] mode: String,
) -> Result<RestoreRow, AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    let row = port()?
        .time_machine(&caller().await?)
        .await?
        .restore(&day, mode == "exact")
        .await?;
    flash(Text::new(
        format!("Restoring your mailbox to {day}: follow it here."),
        format!("Ripristino della casella al {day} avviato: seguilo qui."),
    ))
    .await?;
    Ok(row)
}
