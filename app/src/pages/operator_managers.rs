// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/managers`: managers and their domains; creating one (its password is e-mailed
//! to it). Domains are given to managers on the domains page.

use leptos::prelude::*;

use crate::i18n::{manager_created, tr, use_lang};
use leptos_meta::Title;

use crate::{
    api::operator::{CreateManager, list_managers},
    components::{
        ErrorMessage, FlashNotice, FormError, Guarded, TextField, action_error, field_error,
        reset_on_success,
    },
    dto::Role,
};

#[component]
pub fn OperatorManagers() -> impl IntoView {
    view! {
        <Title text=tr("Managers · Casella", "Manager · Casella") />
        <Guarded roles=&[Role::Operator]>
            <ManagersBody />
        </Guarded>
    }
}

#[component]
fn ManagersBody() -> impl IntoView {
    let create = ServerAction::<CreateManager>::new();
    let value = create.value();
    let error = action_error(value);
    let [login_error, name_error, email_error] =
        ["login", "display_name", "email"].map(|f| field_error(error, f));
    let managers = Resource::new(move || create.version().get(), |_| list_managers());
    let form = NodeRef::new();
    reset_on_success(value, form);
    view! {
        <h1>{tr("Managers", "Manager")}</h1>
        <FlashNotice
            id="manager-created"
            message=Signal::derive(move || {
                value
                    .get()
                    .and_then(Result::ok)
                    .map(|sent_to| {
                        manager_created(&sent_to).get(use_lang()).to_string()
                    })
            })
        />
        <section class="card">
            <h2>{tr("New manager", "Nuovo manager")}</h2>
            <ActionForm action=create node_ref=form attr:class="grid-form" attr:id="create-manager">
                <FormError error=error />
                <TextField
                    name="login"
                    label=tr("Login", "Utente")
                    error=login_error
                    required=true
                    hint=tr("Letters, digits, dots, hyphens and underscores.", "Lettere, cifre, punti, trattini e trattini bassi.")
                />
                <TextField name="display_name" label=tr("Name", "Nome") error=name_error required=true />
                <TextField
                    name="email"
                    label=tr("E-mail", "E-mail")
                    kind="email"
                    error=email_error
                    required=true
                    hint=tr("The credentials are sent here.", "Le credenziali vengono inviate qui.")
                />
                <div class="actions">
                    <button type="submit">{tr("Create manager", "Crea manager")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{tr("All managers", "Tutti i manager")}</h2>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match managers.await {
                        Ok(rows) => {
                            view! {
                                <table class="list" id="manager-list">
                                    <thead>
                                        <tr>
                                            <th>{tr("Login", "Utente")}</th>
                                            <th>{tr("Name", "Nome")}</th>
                                            <th>{tr("E-mail", "E-mail")}</th>
                                            <th>{tr("Domains", "Domini")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|m| {
                                                view! {
                                                    <tr>
                                                        <td>{m.login}</td>
                                                        <td>{m.display_name}</td>
                                                        <td>{m.email}</td>
                                                        <td>{m.domains.join(", ")}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
