// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Drops a two-factor enrolment under way; nothing was turned on.
#[server(prefix = "/api", endpoint = "account/cancel_two_factor")]
pub async fn cancel_two_factor() -> Result<(), AppError> {
    use crate::api::context::{actor, drop_totp_draft};
    actor().await?;
    drop_totp_draft().await
}
