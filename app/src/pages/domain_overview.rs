// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain`: a domain's overview (seed 004): service state, mailbox type, mailboxes
//! created and still available; chat management (seed 000); for its manager, buying mailboxes
//! and the webmail's company name.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::domain::{BuySlots, SetBrandingName, SetChatForAll, SetDomainChat, get_domain_overview},
    components::{ErrorMessage, FormError, Guarded, OnOff, TextField, action_error, field_error},
    dto::{DomainOverview, Role},
};

#[component]
pub fn DomainOverviewPage() -> impl IntoView {
    view! {
        <Title text="Domain · Casella" />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <OverviewBody />
        </Guarded>
    }
}

#[component]
fn OverviewBody() -> impl IntoView {
    let params = use_params_map();
    let domain = move || params.read().get("domain").unwrap_or_default();
    let domain_chat = ServerAction::<SetDomainChat>::new();
    let chat_all = ServerAction::<SetChatForAll>::new();
    let slots = ServerAction::<BuySlots>::new();
    let branding = ServerAction::<SetBrandingName>::new();
    let overview = Resource::new(
        move || {
            (
                domain(),
                domain_chat.version().get(),
                chat_all.version().get(),
                slots.version().get(),
                branding.version().get(),
            )
        },
        |(domain, ..)| get_domain_overview(domain),
    );
    view! {
        <h1>{domain}</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => {
                        view! { <Overview o domain_chat chat_all slots branding /> }.into_any()
                    }
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    o: DomainOverview,
    domain_chat: ServerAction<SetDomainChat>,
    chat_all: ServerAction<SetChatForAll>,
    slots: ServerAction<BuySlots>,
    branding: ServerAction<SetBrandingName>,
) -> impl IntoView {
    let chat_error = action_error(domain_chat.value());
    let chat_all_error = action_error(chat_all.value());
    let slots_error = action_error(slots.value());
    let count_error = field_error(slots_error, "count");
    let branding_error = action_error(branding.value());
    let company_error = field_error(branding_error, "company_name");
    let name = StoredValue::new(o.name.clone());
    let available = match o.available {
        Some(n) => n.to_string(),
        None => "no limit".to_string(),
    };
    view! {
        <section class="card" id="mail-service">
            <h2>"E-mail service"</h2>
            <dl class="facts">
                <dt>"Service"</dt>
                <dd id="service-state">
                    <OnOff on=o.service_active />
                </dd>
                <dt>"Mailbox type"</dt>
                <dd id="mailbox-type">{o.mailbox_type.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Mailboxes created"</dt>
                <dd id="mailboxes-created">{o.created}</dd>
                <dt>"Still available"</dt>
                <dd id="mailboxes-available">{available}</dd>
            </dl>
            <p>
                <a class="button" href=format!("/domains/{}/mailboxes", name.get_value())>
                    "Manage mailboxes"
                </a>
            </p>
        </section>
        <section class="card" id="chat-management">
            <h2>"Chat management"</h2>
            <p>
                "Chat service for the domain: " <span id="domain-chat">
                    <OnOff on=o.chat_enabled />
                </span>
            </p>
            <FormError error=chat_error />
            {(!o.managed)
                .then(|| {
                    view! {
                        <ActionForm action=domain_chat attr:class="inline-actions">
                            <input type="hidden" name="domain" value=name.get_value() />
                            <input type="hidden" name="enabled" value=(!o.chat_enabled).to_string() />
                            <button type="submit" id="toggle-domain-chat">
                                {if o.chat_enabled {
                                    "Switch the chat service off"
                                } else {
                                    "Switch the chat service on"
                                }}
                            </button>
                        </ActionForm>
                    }
                })}
            {o
                .managed
                .then(|| {
                    view! {
                        <p class="hint">"Only the postmaster can switch the domain's chat service."</p>
                    }
                })}
            <p class="hint">"Chat for every mailbox of the domain:"</p>
            <FormError error=chat_all_error />
            <div class="inline-actions">
                <ActionForm action=chat_all>
                    <input type="hidden" name="domain" value=name.get_value() />
                    <input type="hidden" name="enabled" value="true" />
                    <button type="submit" class="secondary" id="chat-all-on">
                        "All mailboxes on"
                    </button>
                </ActionForm>
                <ActionForm action=chat_all>
                    <input type="hidden" name="domain" value=name.get_value() />
                    <input type="hidden" name="enabled" value="false" />
                    <button type="submit" class="secondary" id="chat-all-off">
                        "All mailboxes off"
                    </button>
                </ActionForm>
            </div>
        </section>
        {o
            .managed
            .then(|| {
                view! {
                    <section class="card" id="slots">
                        <h2>"Buy mailboxes"</h2>
                        <p class="hint">
                            "Each mailbox beyond the plan's included ones is charged monthly."
                        </p>
                        {move || {
                            slots
                                .value()
                                .get()
                                .and_then(Result::ok)
                                .map(|total| {
                                    view! {
                                        <p class="notice" role="status">
                                            {format!("Done: {total} extra mailboxes bought in all.")}
                                        </p>
                                    }
                                })
                        }}
                        <ActionForm action=slots attr:class="grid-form">
                            <input type="hidden" name="domain" value=name.get_value() />
                            <FormError error=slots_error />
                            <TextField name="count" label="How many" error=count_error value="1".to_string() />
                            <div class="actions">
                                <button type="submit">"Buy"</button>
                            </div>
                        </ActionForm>
                    </section>
                    <section class="card" id="branding">
                        <h2>"Webmail branding"</h2>
                        <ActionForm action=branding attr:class="grid-form">
                            <input type="hidden" name="domain" value=name.get_value() />
                            <FormError error=branding_error />
                            <TextField
                                name="company_name"
                                label="Company name"
                                error=company_error
                                value=o.brand_name.clone().unwrap_or_default()
                                hint="Shown on the domain's webmail sign-in page and header."
                            />
                            <div class="actions">
                                <button type="submit">"Save"</button>
                            </div>
                        </ActionForm>
                    </section>
                }
            })}
    }
}
