// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/customers`: plans with their prices, and customers with their plan and legal
//! representative.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    api::operator::{CreateCustomer, CreatePlan, list_customers, list_plans},
    components::{
        ErrorMessage, FieldError, FormError, Guarded, TextField, action_error, field_error,
        reset_on_success,
    },
    dto::Role,
    format::euros,
};

#[component]
pub fn OperatorCustomers() -> impl IntoView {
    view! {
        <Title text=tr("Customers and plans · Casella", "Clienti e piani · Casella") />
        <Guarded roles=&[Role::Operator]>
            <CustomersBody />
        </Guarded>
    }
}

/// The price fields of a plan: form name and label in English and Italian.
const PRICES: [(&str, &str, &str); 8] = [
    ("price_extra_mailbox", "Extra mailbox", "Casella aggiuntiva"),
    ("price_quota_25", "Quota 25 GB", "Spazio 25 GB"),
    ("price_quota_50", "Quota 50 GB", "Spazio 50 GB"),
    ("price_quota_100", "Quota 100 GB", "Spazio 100 GB"),
    (
        "price_send_1000",
        "Send limit, 2nd tier",
        "Limite invio, 2° livello",
    ),
    (
        "price_send_2000",
        "Send limit, 3rd tier",
        "Limite invio, 3° livello",
    ),
    (
        "price_send_5000",
        "Send limit, 4th tier",
        "Limite invio, 4° livello",
    ),
    ("price_archive", "Archive", "Archiviazione"),
];

#[component]
fn CustomersBody() -> impl IntoView {
    let create_plan = ServerAction::<CreatePlan>::new();
    let create_customer = ServerAction::<CreateCustomer>::new();
    let plan_error = action_error(create_plan.value());
    let customer_error = action_error(create_customer.value());
    let plans = Resource::new(move || create_plan.version().get(), |_| list_plans());
    let (plan_form, customer_form) = (NodeRef::new(), NodeRef::new());
    reset_on_success(create_plan.value(), plan_form);
    reset_on_success(create_customer.value(), customer_form);
    let customers = Resource::new(
        move || create_customer.version().get(),
        |_| list_customers(),
    );
    let [name_error, type_error, included_error] =
        ["name", "mailbox_type", "included_mailboxes"].map(|f| field_error(plan_error, f));
    let [company_error, legal_error, plan_field_error] =
        ["company_name", "legal_email", "plan"].map(|f| field_error(customer_error, f));
    view! {
        <h1>{tr("Customers and plans", "Clienti e piani")}</h1>
        <section class="card">
            <h2>{tr("New customer", "Nuovo cliente")}</h2>
            <ActionForm
                action=create_customer
                node_ref=customer_form
                attr:class="grid-form"
                attr:id="create-customer"
            >
                <FormError error=customer_error />
                <TextField name="company_name" label=tr("Company name", "Ragione sociale") error=company_error required=true />
                <TextField
                    name="legal_email"
                    label=tr("Legal representative's e-mail", "E-mail del rappresentante legale")
                    kind="email"
                    error=legal_error
                    required=true
                    hint=tr("Postmaster credentials and cost changes are sent here.", "Qui arrivano le credenziali del postmaster e le variazioni di costo.")
                />
                <div class="field">
                    <label for="plan">{tr("Plan", "Piano")}</label>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = plans.await.unwrap_or_default();
                            view! {
                                <select id="plan" name="plan" aria-describedby="plan-error">
                                    {list
                                        .into_iter()
                                        .map(|p| view! { <option value=p.id.to_string()>{p.name}</option> })
                                        .collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                    <FieldError field="plan" message=plan_field_error />
                </div>
                <div class="actions">
                    <button type="submit">{tr("Create customer", "Crea cliente")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{tr("Customers", "Clienti")}</h2>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match customers.await {
                        Ok(rows) => {
                            view! {
                                <table class="list" id="customer-list">
                                    <thead>
                                        <tr>
                                            <th>{tr("Company", "Azienda")}</th>
                                            <th>{tr("Legal representative", "Rappresentante legale")}</th>
                                            <th>{tr("Plan", "Piano")}</th>
                                            <th class="num">{tr("Mailboxes bought", "Caselle acquistate")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|c| {
                                                view! {
                                                    <tr>
                                                        <td>{c.company_name}</td>
                                                        <td>{c.legal_email}</td>
                                                        <td>{c.plan}</td>
                                                        <td class="num">{c.extra_slots}</td>
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
        <section class="card">
            <h2>{tr("New plan", "Nuovo piano")}</h2>
            <ActionForm
                action=create_plan
                node_ref=plan_form
                attr:class="grid-form"
                attr:id="create-plan"
            >
                <FormError error=plan_error />
                <TextField name="name" label=tr("Plan name", "Nome del piano") error=name_error required=true />
                <TextField
                    name="mailbox_type"
                    label=tr("Mailbox type", "Tipo di caselle")
                    error=type_error
                    value="Business Mail".to_string()
                />
                <TextField
                    name="included_mailboxes"
                    label=tr("Included mailboxes", "Caselle incluse")
                    error=included_error
                    value="6".to_string()
                />
                {PRICES
                    .iter()
                    .map(|&(name, en, it)| {
                        view! {
                            <TextField
                                name=name
                                label=tr(en, it)
                                error=field_error(plan_error, name)
                                value="0".to_string()
                                hint=tr("Euro a month", "Euro al mese")
                            />
                        }
                    })
                    .collect_view()}
                <div class="actions">
                    <button type="submit">{tr("Create plan", "Crea piano")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{tr("Plans", "Piani")}</h2>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match plans.await {
                        Ok(rows) => {
                            view! {
                                <table class="list" id="plan-list">
                                    <thead>
                                        <tr>
                                            <th>{tr("Plan", "Piano")}</th>
                                            <th>{tr("Type", "Tipo")}</th>
                                            <th class="num">{tr("Included", "Incluse")}</th>
                                            <th class="num">{tr("Extra mailbox", "Casella aggiuntiva")}</th>
                                            <th class="num">"25 / 50 / 100 GB"</th>
                                            <th class="num">{tr("Send tiers", "Limiti di invio")}</th>
                                            <th class="num">{tr("Archive", "Archivio")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|p| {
                                                view! {
                                                    <tr>
                                                        <td>{p.name}</td>
                                                        <td>{p.mailbox_type}</td>
                                                        <td class="num">{p.included_mailboxes}</td>
                                                        <td class="num">{euros(p.price_extra_mailbox)}</td>
                                                        <td class="num">
                                                            {p.price_quota.map(euros).join(" / ")}
                                                        </td>
                                                        <td class="num">
                                                            {p.price_send.map(euros).join(" / ")}
                                                        </td>
                                                        <td class="num">{euros(p.price_archive)}</td>
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
