// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::ShownOnce, error::AppError};

/// A secret made by the previous plain form post (an app password, recovery codes), handed
/// over exactly once.
#[server(prefix = "/api", endpoint = "auth/take_shown_once")]
pub async fn take_shown_once() -> Result<Option<ShownOnce>, AppError> {
    crate::api::context::actor().await?;
    crate::api::context::take_secret().await
}
