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
    // A domain's sign-in link (`/login?domain=example.com`) shows its company and logo.
    let query = leptos_router::hooks::use_query_map();
    let branding = Resource::new(
        move || query.read().get("domain"),
        |domain| async move {
            match domain {
                Some(domain) => crate::api::domain::get_branding(domain).await.ok(),
                None => None,
            }
        },
    );
    view! {
        <Title text=tr("Sign in · Casella", "Accedi · Casella") />
        <main class="page narrow">
            <LangSwitch />
            <div class="card">
                <Suspense fallback=|| view! { <p class="brand-line">"Casella"</p> }>
                    {move || Suspend::new(async move {
                        match branding.await {
                            Some(b) => {
                                view! {
                                    <div class="brand" id="domain-brand">
                                        {b
                                            .logo_url
                                            .map(|src| {
                                                view! { <img class="brand-logo" src=src alt="" /> }
                                            })}
                                        <p class="brand-line">
                                            {b.company_name.unwrap_or(b.domain)}
                                        </p>
                                    </div>
                                }
                                    .into_any()
                            }
                            None => view! { <p class="brand-line">"Casella"</p> }.into_any(),
                        }
                    })}
                </Suspense>
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
