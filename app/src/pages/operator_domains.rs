// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/domains`: every domain, and registering a new one with its postmaster.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        auth::take_credentials,
        domains::{RegisterDomain, list_domains},
    },
    components::{
        CredentialsNotice, ErrorMessage, FieldError, FormError, Guarded, action_error, field_error,
    },
    dto::Role,
};

#[component]
pub fn OperatorDomains() -> impl IntoView {
    view! {
        <Title text="Domains · Casella" />
        <Guarded roles=&[Role::Operator]>
            <DomainsBody />
        </Guarded>
    }
}

#[component]
fn DomainsBody() -> impl IntoView {
    let register = ServerAction::<RegisterDomain>::new();
    let value = register.value();
    let error = action_error(value);
    let domain_error = field_error(error, "domain");
    let domains = Resource::new(move || register.version().get(), |_| list_domains());
    // After a plain form post the result waits in the session; with JavaScript it is the
    // action's value.
    let handed_over = Resource::new(|| (), |_| take_credentials());
    view! {
        <h1>"Domains"</h1>
        // With JavaScript the result is the action's value; after a plain form post it waits
        // in the session for this render.
        {move || match value.get() {
            Some(Ok(credentials)) => Some(credentials),
            _ => None,
        }
            .map(|credentials| view! { <CredentialsNotice credentials title="Domain registered: postmaster credentials" /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                handed_over
                    .await
                    .ok()
                    .flatten()
                    .map(|credentials| view! { <CredentialsNotice credentials title="Domain registered: postmaster credentials" /> })
            })}
        </Suspense>
        <section class="card">
            <h2>"Register a domain"</h2>
            <ActionForm action=register attr:class="inline-form" attr:id="register-domain">
                <FormError error=error />
                <label for="domain">"Domain name"</label>
                <input
                    id="domain"
                    name="domain"
                    type="text"
                    placeholder="example.com"
                    autocomplete="off"
                    required
                    aria-invalid=move || domain_error.get().is_some().to_string()
                    aria-describedby="domain-error"
                />
                <button type="submit">"Register"</button>
                <FieldError field="domain" message=domain_error />
            </ActionForm>
            <p class="hint">
                "Registering creates the domain in the mail server and its postmaster mailbox with a generated password."
            </p>
        </section>
        <section class="card">
            <h2>"All domains"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match domains.await {
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="empty">"No domain registered yet."</p> }.into_any()
                        }
                        Ok(rows) => {
                            view! {
                                <table class="list" id="domain-list">
                                    <thead>
                                        <tr>
                                            <th>"Domain"</th>
                                            <th class="num">"Mailboxes"</th>
                                            <th>"Registered"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|row| {
                                                view! {
                                                    <tr>
                                                        <td class="domain-name">{row.name}</td>
                                                        <td class="num">{row.mailboxes}</td>
                                                        <td>{row.created_at}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(err) => {
                            view! { <ErrorMessage error=err /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
