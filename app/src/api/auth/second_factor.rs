// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// The second step of a sign-in: the code from the authenticator app, or a recovery code.
#[server(prefix = "/api", endpoint = "auth/second_factor")]
pub async fn second_factor(code: String) -> Result<(), AppError> {
    use crate::{
        api::context::{drop_pending, peer_ip, pending, port, sign_in},
        ports::Caller,
    };
    let Some(pending) = pending().await? else {
        return Err(AppError::Unauthorized);
    };
    let ip = peer_ip().await?;
    let actor = match port()?.public().second_factor(&pending, &code, ip).await {
        Ok(actor) => actor,
        Err(AppError::Unauthorized) => {
            // Too late, or the account changed since the password: start again.
            drop_pending().await?;
            return Err(AppError::Unauthorized);
        }
        Err(err) => return Err(err),
    };
    let caller = Caller::from_session(actor.clone(), ip);
    let me = port()?.own(&caller).await?.me().await?;
    drop_pending().await?;
    sign_in(&actor).await?;
    leptos_axum::redirect(&me.home());
    Ok(())
}
