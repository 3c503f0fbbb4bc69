// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::RecoveryCodes, error::AppError};

/// Turns two-factor sign-in on once the code shows the authenticator has the secret;
/// returns the recovery codes, shown once. Every other session of the identity ends.
#[server(prefix = "/api", endpoint = "account/confirm_two_factor")]
pub async fn confirm_two_factor(code: String) -> Result<RecoveryCodes, AppError> {
    use crate::{
        api::context::{caller, drop_totp_draft, hand_over_secret, port, sign_in, totp_draft},
        dto::ShownOnce,
        i18n::Text,
    };
    let caller = caller().await?;
    let Some(draft) = totp_draft().await? else {
        return Err(AppError::invalid(
            "code",
            Text::new(
                "Start again: the secret to scan is no longer there.",
                "Ricomincia: il codice da inquadrare non è più disponibile.",
            ),
        ));
    };
    let (codes, renewed) = port()?
        .own(&caller)
        .await?
        .confirm_two_factor(&draft, &code)
        .await?;
    drop_totp_draft().await?;
    sign_in(&renewed).await?;
    hand_over_secret(&ShownOnce::RecoveryCodes(codes.clone())).await?;
    Ok(codes)
}
