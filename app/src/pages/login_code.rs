// SPDX-License-Identifier: AGPL-3.0-only
//! `/login/code`: the second step of a sign-in with two-factor authentication on.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::auth::SecondFactor,
    components::{FieldError, FormError, LangSwitch, action_error, field_error},
    error::AppError,
    i18n::tr,
};

#[component]
pub fn LoginCodePage() -> impl IntoView {
    let verify = ServerAction::<SecondFactor>::new();
    let error = action_error(verify.value());
    let code_error = field_error(error, "code");
    // The pending sign-in is gone (expired, or the account changed): the password comes first.
    let expired = move || matches!(error.get(), Some(AppError::Unauthorized));
    view! {
        <Title text=tr("Verification code · Casella", "Codice di verifica · Casella") />
        <main class="page narrow">
            <LangSwitch />
            <div class="card">
                <h1>{tr("Verification code", "Codice di verifica")}</h1>
                <p class="hint">
                    {tr("Enter the 6-digit code your authenticator app shows for this account. Without your phone, enter one of your recovery codes.", "Inserisci il codice di 6 cifre che l'app di autenticazione mostra per questo account. Senza il telefono, inserisci uno dei tuoi codici di recupero.")}
                </p>
                <Show
                    when=expired
                    fallback=move || {
                        view! {
                            <ActionForm action=verify attr:class="stack" attr:id="code-form">
                                <FormError error=error />
                                <label for="code">{tr("Code", "Codice")}</label>
                                <input
                                    id="code"
                                    name="code"
                                    type="text"
                                    inputmode="numeric"
                                    autocomplete="one-time-code"
                                    autofocus
                                    required
                                    aria-invalid=move || code_error.get().is_some().to_string()
                                    aria-describedby="code-error"
                                />
                                <FieldError field="code" message=code_error />
                                <button type="submit">{tr("Verify", "Verifica")}</button>
                            </ActionForm>
                        }
                    }
                >
                    <p class="error" role="alert" id="code-expired">
                        {tr("This sign-in has expired. Please sign in again.", "Questo accesso è scaduto. Accedi di nuovo.")}
                    </p>
                </Show>
                <p>
                    <a href="/login">{tr("← Sign in with another account", "← Accedi con un altro account")}</a>
                </p>
            </div>
        </main>
    }
}
