// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Changes the signed-in person's own password (required after a first sign-in with a
/// password that was sent by e-mail).
#[server(prefix = "/api", endpoint = "auth/change_password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, port, sign_in},
        ports::Caller,
    };
    let caller = caller().await?;
    let renewed = port()?
        .own(&caller)
        .await?
        .change_password(&current, &new, &repeat)
        .await?;
    // Every other session of this identity has ended; this one carries the new key.
    let caller = Caller::from_session(renewed.clone(), caller.ip);
    sign_in(&renewed).await?;
    let me = port()?.own(&caller).await?.me().await?;
    leptos_axum::redirect(&me.home());
    Ok(())
}
