// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Signs in with a login (mailbox address or operator login) and the main password.
#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(login: String, password: String) -> Result<(), AppError> {
    use crate::api::context::{port, sign_in};
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    if login.trim().is_empty() {
        return Err(AppError::invalid(
            "login",
            "Enter your e-mail address or login.",
        ));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let ConnectInfo(peer) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map_err(|err| crate::api::context::internal(&format!("peer address: {err}")))?;
    let actor = port()?.login(&login, &password, peer.ip()).await?;
    let me = port()?.me(&actor).await?;
    sign_in(&actor).await?;
    leptos_axum::redirect(me.home());
    Ok(())
}
