// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::TwoFactorView, error::AppError};

/// The signed-in identity's two-factor sign-in, with the enrolment under way if any.
#[server(prefix = "/api", endpoint = "account/two_factor")]
pub async fn get_two_factor() -> Result<TwoFactorView, AppError> {
    use crate::api::context::{caller, port, totp_draft};
    let draft = totp_draft().await?;
    port()?
        .own(&caller().await?)
        .await?
        .two_factor(draft.as_deref())
        .await
}
