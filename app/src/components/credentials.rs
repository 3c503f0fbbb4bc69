// SPDX-License-Identifier: AGPL-3.0-only
//! A generated password, shown once with a warning that it will not be shown again.

use leptos::prelude::*;

use crate::i18n::tr;

use crate::dto::{OneTimeCredentials, ShownOnce};

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

/// A secret made for the user and shown only now: a new app password, or recovery codes.
#[component]
pub fn SecretNotice(secret: ShownOnce) -> impl IntoView {
    match secret {
        ShownOnce::AppPassword { name, password } => view! {
            <section class="notice credentials" aria-live="polite" id="new-app-password">
                <h2>{tr("New app password", "Nuova password dedicata")}</h2>
                <p>{tr("Type it into the mail program instead of your password. It is shown only once: copy it now.", "Inseriscila nel programma di posta al posto della tua password. È mostrata una sola volta: copiala adesso.")}</p>
                <dl>
                    <dt>{tr("For", "Per")}</dt>
                    <dd class="app-password-name">{name}</dd>
                    <dt>{tr("Password", "Password")}</dt>
                    <dd>
                        <code class="credential-password">{password}</code>
                    </dd>
                </dl>
            </section>
        }
        .into_any(),
        ShownOnce::RecoveryCodes(codes) => view! {
            <section class="notice credentials" aria-live="polite" id="recovery-codes">
                <h2>{tr("Recovery codes", "Codici di recupero")}</h2>
                <p>{tr("Each code signs you in once without your phone. Keep them somewhere safe (printed, or in a password manager): they are shown only now.", "Ogni codice ti fa accedere una volta senza telefono. Conservali in un posto sicuro (stampati o in un gestore di password): sono mostrati solo adesso.")}</p>
                <ol class="codes">
                    {codes
                        .codes
                        .into_iter()
                        .map(|code| view! { <li><code>{code}</code></li> })
                        .collect_view()}
                </ol>
            </section>
        }
        .into_any(),
    }
}
