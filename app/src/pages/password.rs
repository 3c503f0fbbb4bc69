// SPDX-License-Identifier: AGPL-3.0-only
//! `/password`: changing one's own password; the only page open until a required change is
//! done (a postmaster or manager whose password was e-mailed).

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    api::auth::ChangePassword,
    components::{FormError, Guarded, TextField, action_error, field_error},
    dto::{Me, Role},
};

#[component]
pub fn PasswordPage() -> impl IntoView {
    view! {
        <Title text=tr("Password · Casella", "Password · Casella") />
        <Guarded
            roles=&[Role::Operator, Role::Manager, Role::Delegate, Role::Postmaster, Role::User]
            password_page=true
        >
            <PasswordBody />
        </Guarded>
    }
}

#[component]
fn PasswordBody() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change.value());
    let [current_error, new_error, repeat_error] =
        ["current", "new", "repeat"].map(|f| field_error(error, f));
    let required = use_context::<Me>().is_some_and(|me| me.must_change_password);
    view! {
        <h1>{tr("Change password", "Cambia password")}</h1>
        {required
            .then(|| {
                view! {
                    <p class="notice" role="status" id="password-required">
                        {tr("The password you received by e-mail must be changed before you continue.", "La password ricevuta via e-mail va cambiata prima di continuare.")}
                    </p>
                }
            })}
        <section class="card">
            <ActionForm action=change attr:class="grid-form" attr:id="change-password">
                <FormError error=error />
                <TextField
                    name="current"
                    label=tr("Current password", "Password attuale")
                    kind="password"
                    autocomplete="current-password"
                    error=current_error
                    required=true
                />
                <TextField
                    name="new"
                    label=tr("New password", "Nuova password")
                    kind="password"
                    autocomplete="new-password"
                    error=new_error
                    required=true
                    hint=tr("At least 8 characters with upper and lower case letters, a digit and a special character.", "Almeno 8 caratteri con lettere maiuscole e minuscole, una cifra e un carattere speciale.")
                />
                <TextField
                    name="repeat"
                    label=tr("Repeat the new password", "Ripeti la nuova password")
                    kind="password"
                    autocomplete="new-password"
                    error=repeat_error
                    required=true
                />
                <div class="actions">
                    <button type="submit">{tr("Change password", "Cambia password")}</button>
                </div>
            </ActionForm>
        </section>
    }
}
