// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain`: a domain's overview (seed 004): service state, mailbox type, mailboxes
//! created and still available; chat management (seed 000); for its manager, buying mailboxes
//! and the webmail's company name.

use leptos::prelude::*;

use crate::i18n::{in_lang, tr};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::domain::{
        BuySlots, SetBrandingName, SetChatForAll, SetDomainChat, SetTwoFactorRequired,
        get_domain_overview,
    },
    components::{ErrorMessage, FormError, Guarded, OnOff, TextField, action_error, field_error},
    dto::{DomainOverview, Role},
};

#[component]
pub fn DomainOverviewPage() -> impl IntoView {
    view! {
        <Title text=tr("Domain · Casella", "Dominio · Casella") />
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
    let two_factor = ServerAction::<SetTwoFactorRequired>::new();
    let overview = Resource::new(
        move || {
            (
                domain(),
                domain_chat.version().get(),
                chat_all.version().get(),
                slots.version().get(),
                branding.version().get(),
                two_factor.version().get(),
            )
        },
        |(domain, ..)| get_domain_overview(domain),
    );
    view! {
        <h1>{domain}</h1>
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => {
                        view! { <Overview o domain_chat chat_all slots branding two_factor /> }.into_any()
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
    two_factor: ServerAction<SetTwoFactorRequired>,
) -> impl IntoView {
    let two_factor_error = action_error(two_factor.value());
    let chat_error = action_error(domain_chat.value());
    let chat_all_error = action_error(chat_all.value());
    let slots_error = action_error(slots.value());
    let count_error = field_error(slots_error, "count");
    let branding_error = action_error(branding.value());
    let company_error = field_error(branding_error, "company_name");
    let name = StoredValue::new(o.name.clone());
    let has_logo = o.has_logo;
    let logo_error = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("logo_error");
    let available = match o.available {
        Some(n) => n.to_string(),
        None => tr("no limit", "nessun limite").to_string(),
    };
    view! {
        <section class="card" id="mail-service">
            <h2>{tr("E-mail service", "Gestione posta elettronica")}</h2>
            <dl class="facts">
                <dt>{tr("Service", "Servizio")}</dt>
                <dd id="service-state">
                    <OnOff on=o.service_active />
                </dd>
                <dt>{tr("Mailbox type", "Tipo di caselle")}</dt>
                <dd id="mailbox-type">{o.mailbox_type.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{tr("Mailboxes created", "Caselle create")}</dt>
                <dd id="mailboxes-created">{o.created}</dd>
                <dt>{tr("Still available", "Ancora da creare")}</dt>
                <dd id="mailboxes-available">{available}</dd>
            </dl>
            <p>
                <a class="button" href=format!("/domains/{}/mailboxes", name.get_value())>
                    {tr("Manage mailboxes", "Gestisci caselle di posta")}
                </a>
                " "
                <a class="button secondary" id="groups-link" href=format!("/domains/{}/groups", name.get_value())>
                    {tr("Group aliases", "Alias di gruppo")}
                </a>
                " "
                <a class="button secondary" id="dns-link" href=format!("/domains/{}/dns", name.get_value())>
                    {tr("DNS records", "Record DNS")}
                </a>
                " "
                <a
                    class="button secondary"
                    id="access-link"
                    href=format!("/domains/{}/access", name.get_value())
                >
                    {tr("Access log", "Registro accessi")}
                </a>
                " "
                <a
                    class="button secondary"
                    id="trace-link"
                    href=format!("/domains/{}/trace", name.get_value())
                >
                    {tr("Message trace", "Tracciamento messaggi")}
                </a>
            </p>
        </section>
        <section class="card" id="security">
            <h2>{tr("Security", "Sicurezza")}</h2>
            <p>
                {tr("Two-factor authentication required for every user: ", "Autenticazione a due fattori obbligatoria per tutti gli utenti: ")}
                <span id="domain-two-factor">
                    <OnOff on=o.require_two_factor />
                </span>
            </p>
            <p class="hint">
                {tr("Users without it are sent to set it up at their next sign-in, and reach nothing else until they do. Mail programs then need app passwords.", "Gli utenti che non l'hanno attivata vengono indirizzati all'attivazione al prossimo accesso e non possono fare altro finché non la completano. I programmi di posta useranno poi password dedicate.")}
            </p>
            <FormError error=two_factor_error />
            <ActionForm action=two_factor attr:class="inline-actions">
                <input type="hidden" name="domain" value=name.get_value() />
                <input type="hidden" name="required" value=(!o.require_two_factor).to_string() />
                <button type="submit" id="toggle-domain-two-factor">
                    {if o.require_two_factor {
                        tr("Make it optional", "Rendi facoltativa")
                    } else {
                        tr("Require it for everyone", "Rendi obbligatoria per tutti")
                    }}
                </button>
            </ActionForm>
        </section>
        <section class="card" id="chat-management">
            <h2>{tr("Chat management", "Gestione chat")}</h2>
            <p>
                {tr("Chat service for the domain: ", "Servizio chat del dominio: ")} <span id="domain-chat">
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
                                    {tr("Switch the chat service off", "Disattiva il servizio chat")}
                                } else {
                                    {tr("Switch the chat service on", "Attiva il servizio chat")}
                                }}
                            </button>
                        </ActionForm>
                    }
                })}
            {o
                .managed
                .then(|| {
                    view! {
                        <p class="hint">{tr("Only the postmaster can switch the domain's chat service.", "Solo il postmaster può attivare o disattivare il servizio chat del dominio.")}</p>
                    }
                })}
            <p class="hint">{tr("Chat for every mailbox of the domain:", "Chat per tutte le caselle del dominio:")}</p>
            <FormError error=chat_all_error />
            <div class="inline-actions">
                <ActionForm action=chat_all>
                    <input type="hidden" name="domain" value=name.get_value() />
                    <input type="hidden" name="enabled" value="true" />
                    <button type="submit" class="secondary" id="chat-all-on">
                        {tr("All mailboxes on", "Tutte le caselle attive")}
                    </button>
                </ActionForm>
                <ActionForm action=chat_all>
                    <input type="hidden" name="domain" value=name.get_value() />
                    <input type="hidden" name="enabled" value="false" />
                    <button type="submit" class="secondary" id="chat-all-off">
                        {tr("All mailboxes off", "Tutte le caselle disattive")}
                    </button>
                </ActionForm>
            </div>
        </section>
        {o
            .managed
            .then(|| {
                view! {
                    <section class="card" id="slots">
                        <h2>{tr("Buy mailboxes", "Acquista caselle")}</h2>
                        <p class="hint">
                            {tr("Each mailbox beyond the plan's included ones is charged monthly.", "Ogni casella oltre quelle incluse nel piano è addebitata mensilmente.")}
                        </p>
                        {move || {
                            slots
                                .value()
                                .get()
                                .and_then(Result::ok)
                                .map(|total| {
                                    view! {
                                        <p class="notice" role="status">
                                            {in_lang(
                                                format!("Done: {total} extra mailboxes bought in all."),
                                                format!("Fatto: {total} caselle aggiuntive acquistate in tutto."),
                                            )}
                                        </p>
                                    }
                                })
                        }}
                        <ActionForm action=slots attr:class="grid-form">
                            <input type="hidden" name="domain" value=name.get_value() />
                            <FormError error=slots_error />
                            <TextField name="count" label=tr("How many", "Quante") error=count_error value="1".to_string() />
                            <div class="actions">
                                <button type="submit">{tr("Buy", "Acquista")}</button>
                            </div>
                        </ActionForm>
                    </section>
                    <section class="card" id="branding">
                        <h2>{tr("Webmail branding", "Personalizzazione webmail")}</h2>
                        <ActionForm action=branding attr:class="grid-form">
                            <input type="hidden" name="domain" value=name.get_value() />
                            <FormError error=branding_error />
                            <TextField
                                name="company_name"
                                label=tr("Company name", "Ragione sociale")
                                error=company_error
                                value=o.brand_name.clone().unwrap_or_default()
                                hint=tr("Shown on the domain's webmail sign-in page and header.", "Mostrato nella pagina di accesso e nell'intestazione della webmail del dominio.")
                            />
                            <div class="actions">
                                <button type="submit">{tr("Save", "Salva")}</button>
                            </div>
                        </ActionForm>
                        <h3>{tr("Logo", "Logo")}</h3>
                        {has_logo
                            .then(|| {
                                view! {
                                    <img
                                        class="brand-logo"
                                        id="current-logo"
                                        src=format!("/branding/{}/logo", name.get_value())
                                        alt=tr("Current logo", "Logo attuale")
                                    />
                                }
                            })}
                        <form
                            method="post"
                            enctype="multipart/form-data"
                            action=format!("/branding/{}/logo", name.get_value())
                            class="grid-form"
                            id="logo-form"
                        >
                            <div class="field">
                                <label for="logo">{tr("PNG or JPEG, at most 256 KB", "PNG o JPEG, al massimo 256 KB")}</label>
                                <input
                                    id="logo"
                                    name="logo"
                                    type="file"
                                    accept="image/png,image/jpeg"
                                    aria-describedby="logo-error"
                                />
                                {logo_error
                                    .clone()
                                    .map(|message| {
                                        view! {
                                            <p class="field-error" id="logo-error" role="alert">
                                                {message}
                                            </p>
                                        }
                                    })}
                            </div>
                            <div class="actions">
                                <button type="submit">{tr("Upload logo", "Carica logo")}</button>
                                {has_logo
                                    .then(|| {
                                        view! {
                                            <button type="submit" name="remove" value="1" class="secondary">
                                                {tr("Remove logo", "Rimuovi logo")}
                                            </button>
                                        }
                                    })}
                            </div>
                        </form>
                    </section>
                }
            })}
    }
}
