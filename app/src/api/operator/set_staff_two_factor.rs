// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Requires (or stops requiring) a second factor of operators and managers; staff without
/// one are sent to enrolment at their next sign-in.
#[server(prefix = "/api", endpoint = "operator/set_staff_two_factor")]
pub async fn set_staff_two_factor(required: bool) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .operator(&caller().await?)
        .await?
        .set_staff_two_factor(required)
        .await?;
    flash(if required {
        Text::new(
            "Staff must now sign in with a second factor.",
            "Il personale ora deve accedere con il secondo fattore.",
        )
    } else {
        Text::new(
            "A second factor is optional for staff.",
            "Il secondo fattore è facoltativo per il personale.",
        )
    })
    .await
}
