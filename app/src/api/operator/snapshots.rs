// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{SnapshotRow, SnapshotStatus},
    error::AppError,
};

/// The Mail Time Machine's days and what they hold (operator only).
#[server(prefix = "/api", endpoint = "operator/snapshots")]
pub async fn snapshots() -> Result<SnapshotStatus, AppError> {
    use crate::api::context::{caller, port};
    port()?.operator(&caller().await?).await?.snapshots().await
}

/// Takes today's snapshot of every mailbox again, now (operator only): today's day then
/// shows the mailboxes as they are at this moment.
#[server(prefix = "/api", endpoint = "operator/take_snapshot")]
pub async fn take_snapshot() -> Result<SnapshotRow, AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    let row = port()?
        .operator(&caller().await?)
        .await?
        .take_snapshot()
        .await?;
    flash(Text::new(
        taken_notice(&row, "en"),
        taken_notice(&row, "it"),
    ))
    .await?;
    Ok(row)
}

/// What the monitor says once a snapshot was taken.
pub fn taken_notice(row: &SnapshotRow, lang: &str) -> String {
    if lang == "it" {
        format!(
            "Istantanea del {} presa: {} caselle, {} cambiate, {} non lette.",
            row.day, row.mailboxes, row.changed, row.failed
        )
    } else {
        format!(
            "Snapshot of {} taken: {} mailboxes, {} changed, {} could not be read.",
            row.day, row.mailboxes, row.changed, row.failed
        )
    }
}
