// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/domains`: every domain with its customer and manager; registering a domain for
//! a customer (the postmaster's password is e-mailed to the legal representative); giving a
//! domain to a manager.

use leptos::prelude::*;

use crate::i18n::{domain_registered, tr, use_lang};
use leptos_meta::Title;

use crate::{
    api::operator::{AssignManager, RegisterDomain, list_customers, list_domains, list_managers},
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, action_error, field_error,
        reset_on_success,
    },
    dto::Role,
};

#[component]
pub fn OperatorDomains() -> impl IntoView {
    view! {
        <Title text=tr("Domains · Casella", "Domini · Casella") />
        <Guarded roles=&[Role::Operator]>
            <DomainsBody />
        </Guarded>
    }
}

#[component]
fn DomainsBody() -> impl IntoView {
    let register = ServerAction::<RegisterDomain>::new();
    let assign = ServerAction::<AssignManager>::new();
    let value = register.value();
    let error = action_error(value);
    let domain_error = field_error(error, "domain");
    let customer_error = field_error(error, "customer");
    let assign_error = action_error(assign.value());
    let domains = Resource::new(
        move || (register.version().get(), assign.version().get()),
        |_| list_domains(),
    );
    let customers = Resource::new(|| (), |_| list_customers());
    let form = NodeRef::new();
    reset_on_success(value, form);
    let managers = Resource::new(|| (), |_| list_managers());
    view! {
        <h1>{tr("Domains", "Domini")}</h1>
        <FlashNotice
            id="registered"
            message=Signal::derive(move || {
                value
                    .get()
                    .and_then(Result::ok)
                    .map(|sent_to| {
                        domain_registered(&sent_to).get(use_lang()).to_string()
                    })
            })
        />
        <section class="card">
            <h2>{tr("Register a domain", "Registra un dominio")}</h2>
            <ActionForm action=register node_ref=form attr:class="grid-form" attr:id="register-domain">
                <FormError error=error />
                <div class="field">
                    <label for="domain">{tr("Domain name", "Nome del dominio")}</label>
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
                    <FieldError field="domain" message=domain_error />
                </div>
                <div class="field">
                    <label for="customer">{tr("Customer", "Cliente")}</label>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = customers.await.unwrap_or_default();
                            view! {
                                <select
                                    id="customer"
                                    name="customer"
                                    required
                                    aria-invalid=move || customer_error.get().is_some().to_string()
                                    aria-describedby="customer-error"
                                >
                                    {list
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <option value=c.id.to_string()>
                                                    {format!("{} ({})", c.company_name, c.legal_email)}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                    <FieldError field="customer" message=customer_error />
                    <p class="hint">
                        {tr("The postmaster's password goes by e-mail to the customer's legal representative.", "La password del postmaster viene inviata via e-mail al rappresentante legale del cliente.")}
                    </p>
                </div>
                <div class="actions">
                    <button type="submit">{tr("Register domain", "Registra dominio")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{tr("All domains", "Tutti i domini")}</h2>
            <FormError error=assign_error />
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    let managers = managers.await.unwrap_or_default();
                    match domains.await {
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="empty">{tr("No domain yet.", "Ancora nessun dominio.")}</p> }.into_any()
                        }
                        Ok(rows) => {
                            view! {
                                <table class="list" id="domain-list">
                                    <thead>
                                        <tr>
                                            <th>{tr("Domain", "Dominio")}</th>
                                            <th>{tr("Customer", "Cliente")}</th>
                                            <th class="num">{tr("Mailboxes", "Caselle")}</th>
                                            <th>{tr("Registered", "Registrato")}</th>
                                            <th>{tr("Manager", "Manager")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|row| {
                                                let current = row.manager.clone().unwrap_or_default();
                                                let name = row.name.clone();
                                                let label = format!("{} {}", tr("Manager of", "Manager di"), row.name);
                                                let managers = managers.clone();
                                                view! {
                                                    <tr data-domain=row.name.clone()>
                                                        <td>{row.name.clone()}</td>
                                                        <td>{row.customer.unwrap_or_default()}</td>
                                                        <td class="num">{row.mailboxes}</td>
                                                        <td>{row.created_at}</td>
                                                        <td>
                                                            <ActionForm action=assign attr:class="inline">
                                                                <input type="hidden" name="domain" value=name />
                                                                <select
                                                                    name="manager"
                                                                    aria-label=label
                                                                >
                                                                    <option value="" selected=current.is_empty()>
                                                                        {tr("— none —", "— nessuno —")}
                                                                    </option>
                                                                    {managers
                                                                        .into_iter()
                                                                        .map(|m| {
                                                                            let selected = m.login == current;
                                                                            view! {
                                                                                <option value=m.login.clone() selected=selected>
                                                                                    {m.login.clone()}
                                                                                </option>
                                                                            }
                                                                        })
                                                                        .collect_view()}
                                                                </select>
                                                                <button type="submit" class="secondary">
                                                                    {tr("Set", "Imposta")}
                                                                </button>
                                                            </ActionForm>
                                                        </td>
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
