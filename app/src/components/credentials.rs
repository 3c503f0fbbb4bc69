// SPDX-License-Identifier: AGPL-3.0-only
//! A generated password, shown once with a warning that it will not be shown again.

use leptos::prelude::*;

use crate::i18n::tr;

use crate::dto::OneTimeCredentials;

#[component]
pub fn CredentialsNotice(credentials: OneTimeCredentials, title: &'static str) -> impl IntoView {
    view! {
        <section class="notice credentials" aria-live="polite">
            <h2>{title}</h2>
            <p>{tr("Copy this password now: it is shown only once and cannot be read back later.", "Copia subito questa password: è mostrata una sola volta e non si potrà rileggere.")}</p>
            <dl>
                <dt>{tr("Login", "Utente")}</dt>
                <dd class="credential-login">{credentials.login}</dd>
                <dt>{tr("Password", "Password")}</dt>
                <dd>
                    <code class="credential-password">{credentials.password}</code>
                </dd>
            </dl>
        </section>
    }
}

/// A confirmation after a form: the action's result with JavaScript, or the one a plain form
/// post left in the session for this page.
#[component]
pub fn FlashNotice(id: &'static str, message: Signal<Option<String>>) -> impl IntoView {
    let flashed = Resource::new(|| (), |_| crate::api::auth::take_notice());
    view! {
        {move || {
            message.get().map(|text| view! { <p class="notice" role="status" id=id>{text}</p> })
        }}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                flashed
                    .await
                    .ok()
                    .flatten()
                    .map(|text| view! { <p class="notice" role="status" id=id>{text}</p> })
            })}
        </Suspense>
    }
}
