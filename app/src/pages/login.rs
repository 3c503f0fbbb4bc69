// SPDX-License-Identifier: AGPL-3.0-only
//! `/login`: one sign-in form for every role.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::auth::Login,
    components::{FieldError, FormError, action_error, field_error},
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let value = login.value();
    let error = action_error(value);
    let login_error = field_error(error, "login");
    let password_error = field_error(error, "password");
    view! {
        <Title text="Sign in · Casella" />
        <main class="page narrow">
            <div class="card">
                <p class="brand-line">"Casella"</p>
                <h1>"Sign in"</h1>
                <p class="hint">"Use your e-mail address (or operator login) and password."</p>
                <ActionForm action=login attr:class="stack" attr:id="login-form">
                    <FormError error=error />
                    <label for="login">"E-mail address or login"</label>
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
                    <label for="password">"Password"</label>
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
                    <button type="submit">"Sign in"</button>
                </ActionForm>
            </div>
        </main>
    }
}
