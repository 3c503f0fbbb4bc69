// SPDX-License-Identifier: AGPL-3.0-only
//! `/login`: one sign-in form for every role.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    api::auth::Login,
    components::{FieldError, FormError, LangSwitch, action_error, field_error},
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let value = login.value();
    let error = action_error(value);
    let login_error = field_error(error, "login");
    let password_error = field_error(error, "password");
    view! {
        <Title text=tr("Sign in · Casella", "Accedi · Casella") />
        <main class="page narrow">
            <LangSwitch />
            <div class="card">
                <p class="brand-line">"Casella"</p>
                <h1>{tr("Sign in", "Accedi")}</h1>
                <p class="hint">{tr("Use your e-mail address (or operator login) and password.", "Usa il tuo indirizzo e-mail (o l'utente operatore) e la password.")}</p>
                <ActionForm action=login attr:class="stack" attr:id="login-form">
                    <FormError error=error />
                    <label for="login">{tr("E-mail address or login", "Indirizzo e-mail o utente")}</label>
                    <input
                        id="login"
                        name="login"
                        type="text"
                        autocomplete="username"
                        required
                        aria-invalid=move || login_error.get().is_some().to_string()
                        aria-describedby="login-error"
                    />
                    <FieldError field="login" message=login_error />
                    <label for="password">{tr("Password", "Password")}</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=move || password_error.get().is_some().to_string()
                        aria-describedby="password-error"
                    />
                    <FieldError field="password" message=password_error />
                    <button type="submit">{tr("Sign in", "Accedi")}</button>
                </ActionForm>
            </div>
        </main>
    }
}
