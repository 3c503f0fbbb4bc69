// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Signs in with a login (mailbox address or operator login) and the main password; an
/// identity with two-factor sign-in is sent on to the code step.
#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(login: String, password: String) -> Result<(), AppError> {
    use crate::{
        api::context::{keep_pending, peer_ip, port, sign_in},
        i18n::Text,
        ports::{Caller, SignIn},
    };

    if login.trim().is_empty() {
        return Err(AppError::invalid(
            "login",
            Text::new(
                "Enter your e-mail address or login.",
                "Inserisci il tuo indirizzo e-mail o utente.",
            ),
        ));
    }
    if password.is_empty() {
        return Err(AppError::invalid(
            "password",
            Text::new("Enter your password.", "Inserisci la password."),
        ));
    }
    let ip = peer_ip().await?;
    match port()?.public().login(&login, &password, ip).await? {
        SignIn::Done(actor) => {
            let caller = Caller::from_session(actor.clone(), ip);
            let me = port()?.own(&caller).await?.me().await?;
            sign_in(&actor).await?;
            leptos_axum::redirect(&me.home());
        }
        SignIn::SecondFactor(pending) => {
            keep_pending(&pending).await?;
            leptos_axum::redirect("/login/code");
        }
    }
    Ok(())
}
