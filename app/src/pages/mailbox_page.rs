// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain/mailboxes/:address`: one mailbox, for its domain's postmaster and manager:
//! personal data, password, quota tier, protocols, chat, daily send limit (manager), aliases,
//! deletion.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{
        auth::take_credentials,
        mailboxes::{
            AddAlias, DeleteMailbox, ImportIntoArchive, RemoveAlias, ResetPassword, ResetTwoFactor,
            SetArchive, SetChat, SetProtocols, SetQuota, SetSendTier, UpdatePersonal, get_mailbox,
        },
    },
    components::ProtocolChecks,
    components::{
        CredentialsNotice, ErrorMessage, FieldError, FormError, Guarded, OnOff, TextField,
        action_error, field_error,
    },
    dto::{MailboxDetail, Role},
    format::bytes,
    pages::mailbox_archive::ArchiveCard,
};

#[component]
pub fn MailboxPage() -> impl IntoView {
    view! {
        <Title text=tr("Mailbox · Casella", "Casella · Casella") />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <MailboxBody />
        </Guarded>
    }
}

/// Every form of the page, so that any change reloads the mailbox.
#[derive(Clone, Copy)]
struct Actions {
    personal: ServerAction<UpdatePersonal>,
    password: ServerAction<ResetPassword>,
    quota: ServerAction<SetQuota>,
    protocols: ServerAction<SetProtocols>,
    chat: ServerAction<SetChat>,
    send_tier: ServerAction<SetSendTier>,
    archive: ServerAction<SetArchive>,
    import: ServerAction<ImportIntoArchive>,
    add_alias: ServerAction<AddAlias>,
    remove_alias: ServerAction<RemoveAlias>,
    delete: ServerAction<DeleteMailbox>,
    reset_two_factor: ServerAction<ResetTwoFactor>,
}

#[component]
fn MailboxBody() -> impl IntoView {
    let params = use_params_map();
    let address = move || params.read().get("address").unwrap_or_default();
    let actions = Actions {
        personal: ServerAction::new(),
        password: ServerAction::new(),
        quota: ServerAction::new(),
        protocols: ServerAction::new(),
        chat: ServerAction::new(),
        send_tier: ServerAction::new(),
        archive: ServerAction::new(),
        import: ServerAction::new(),
        add_alias: ServerAction::new(),
        remove_alias: ServerAction::new(),
        delete: ServerAction::new(),
        reset_two_factor: ServerAction::new(),
    };
    let detail = Resource::new(
        move || {
            (
                address(),
                actions.personal.version().get(),
                actions.quota.version().get(),
                actions.protocols.version().get(),
                actions.chat.version().get(),
                actions.send_tier.version().get(),
                actions.archive.version().get(),
                actions.import.version().get(),
                actions.add_alias.version().get(),
                actions.remove_alias.version().get(),
                actions.reset_two_factor.version().get(),
            )
        },
        |(address, ..)| get_mailbox(address),
    );
    let handed_over = Resource::new(|| (), |_| take_credentials());
    let password_value = actions.password.value();
    view! {
        <h1>{address}</h1>
        {move || match password_value.get() {
            Some(Ok(credentials)) => credentials,
            _ => None,
        }
            .map(|credentials| view! { <CredentialsNotice credentials title=tr("New password", "Nuova password") /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                handed_over
                    .await
                    .ok()
                    .flatten()
                    .map(|credentials| view! { <CredentialsNotice credentials title=tr("New password", "Nuova password") /> })
            })}
        </Suspense>
        <Show when=move || matches!(password_value.get(), Some(Ok(None)))>
            <p class="notice" role="status">{tr("Password changed.", "Password cambiata.")}</p>
        </Show>
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <MailboxForms d actions /> }.into_any(),
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MailboxForms(d: MailboxDetail, actions: Actions) -> impl IntoView {
    let address = StoredValue::new(d.row.address.clone());
    let personal_error = action_error(actions.personal.value());
    let [first_error, last_error] =
        ["first_name", "last_name"].map(|f| field_error(personal_error, f));
    let password_error = action_error(actions.password.value());
    let [new_error, repeat_error] = ["password", "repeat"].map(|f| field_error(password_error, f));
    let quota_error = action_error(actions.quota.value());
    let protocols_error = action_error(actions.protocols.value());
    let chat_error = action_error(actions.chat.value());
    let tier_error = action_error(actions.send_tier.value());
    let alias_error = action_error(actions.add_alias.value());
    let alias_field_error = field_error(alias_error, "alias");
    let remove_error = action_error(actions.remove_alias.value());
    let delete_error = action_error(actions.delete.value());
    let confirm_error = field_error(delete_error, "confirm");
    let quota = d.row.quota_bytes;
    let tiers = d.quota_tiers.clone();
    let p = d.row.protocols;
    let list_href = format!("/domains/{}/mailboxes", d.domain);
    view! {
        <p>
            <a href=list_href>{tr("← Mailboxes of ", "← Caselle di ")} {d.domain.clone()}</a>
        </p>
        <section class="card" id="general">
            <h2>{tr("General", "Generali")}</h2>
            <dl class="facts">
                <dt>{tr("Quota used", "Quota usata")}</dt>
                <dd id="quota-used">
                    {format!("{} of {}", bytes(d.row.used_bytes), bytes(d.row.quota_bytes))}
                </dd>
                <dt>{tr("Last login", "Ultimo accesso")}</dt>
                <dd>{d.row.last_login.clone().unwrap_or_else(|| tr("never", "mai").into())}</dd>
                <dt>{tr("Messages to external recipients, last 24 h", "Messaggi a destinatari esterni, ultime 24 h")}</dt>
                <dd id="external-24h">{d.row.external_24h}</dd>
                <dt>{tr("Daily limit to external recipients", "Limite invio giornaliero verso l'esterno")}</dt>
                <dd id="send-tier">{d.row.send_tier}</dd>
                <dt>{tr("Two-factor authentication", "Autenticazione a due fattori")}</dt>
                <dd id="two-factor-state">
                    <OnOff on=d.row.two_factor />
                </dd>
            </dl>
            {d
                .row
                .two_factor
                .then(|| {
                    let reset_error = action_error(actions.reset_two_factor.value());
                    view! {
                        <ActionForm
                            action=actions.reset_two_factor
                            attr:class="inline-form"
                            attr:id="reset-two-factor-form"
                        >
                            <input type="hidden" name="address" value=address.get_value() />
                            <p class="hint">
                                {tr("For a lost phone: the user then signs in with the password alone and sets up two-factor authentication again.", "Per un telefono perso: l'utente accede poi con la sola password e riattiva l'autenticazione a due fattori.")}
                            </p>
                            <button type="submit" class="secondary">
                                {tr("Reset two-factor authentication", "Azzera autenticazione a due fattori")}
                            </button>
                            <FormError error=reset_error />
                        </ActionForm>
                    }
                })}
            <ActionForm action=actions.quota attr:class="inline-form" attr:id="quota-form">
                <input type="hidden" name="address" value=address.get_value() />
                <label for="quota">{tr("Quota", "Quota")}</label>
                <select id="quota" name="quota">
                    {tiers
                        .iter()
                        .enumerate()
                        .map(|(i, tier)| {
                            view! {
                                <option value=tier.to_string() selected=*tier == quota>
                                    {bytes(*tier)}
                                    {(i == 0).then_some(" (standard)")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button type="submit">{tr("Save quota", "Salva quota")}</button>
                <FormError error=quota_error />
                <FieldError field="quota" message=field_error(quota_error, "quota") />
            </ActionForm>
            {d
                .managed
                .then(|| {
                    let tiers = d.send_tiers.clone();
                    let current = d.row.send_tier;
                    view! {
                        <ActionForm
                            action=actions.send_tier
                            attr:class="inline-form"
                            attr:id="send-tier-form"
                        >
                            <input type="hidden" name="address" value=address.get_value() />
                            <label for="send_tier">{tr("Daily send limit", "Limite invio giornaliero")}</label>
                            <select id="send_tier" name="send_tier">
                                {tiers
                                    .into_iter()
                                    .map(|tier| {
                                        view! {
                                            <option value=tier.to_string() selected=tier == current>
                                                {format!("{tier} {}", tr("a day", "al giorno"))}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            <button type="submit">{tr("Save limit", "Salva limite")}</button>
                            <FormError error=tier_error />
                            <FieldError
                                field="send_tier"
                                message=field_error(tier_error, "send_tier")
                            />
                        </ActionForm>
                    }
                })}
        </section>
        <ArchiveCard
            address=d.row.address.clone()
            archive=d.archive.clone()
            managed=d.managed
            action=actions.archive
            import=actions.import
        />
        <section class="card" id="personal">
            <h2>{tr("Personal data", "Dati anagrafici")}</h2>
            <ActionForm action=actions.personal attr:class="grid-form">
                <input type="hidden" name="address" value=address.get_value() />
                <FormError error=personal_error />
                <TextField
                    name="first_name"
                    label=tr("First name", "Nome")
                    error=first_error
                    value=d.row.first_name.clone()
                />
                <TextField
                    name="last_name"
                    label=tr("Last name", "Cognome")
                    error=last_error
                    value=d.row.last_name.clone()
                />
                <div class="actions">
                    <button type="submit">{tr("Save", "Salva")}</button>
                </div>
            </ActionForm>
            {move || {
                matches!(actions.personal.value().get(), Some(Ok(())))
                    .then(|| view! { <p class="notice" role="status">{tr("Saved.", "Salvato.")}</p> })
            }}
        </section>
        <section class="card" id="password">
            <h2>{tr("Password", "Password")}</h2>
            <ActionForm action=actions.password attr:class="grid-form">
                <input type="hidden" name="address" value=address.get_value() />
                <FormError error=password_error />
                <TextField
                    name="password"
                    label=tr("New password", "Nuova password")
                    kind="password"
                    autocomplete="new-password"
                    error=new_error
                    hint=tr("At least 8 characters with upper and lower case letters, a digit and a special character. Leave both empty to generate one.", "Almeno 8 caratteri con lettere maiuscole e minuscole, una cifra e un carattere speciale. Lascia vuoti entrambi per generarla.")
                />
                <TextField
                    name="repeat"
                    label=tr("Repeat the password", "Ripeti password")
                    kind="password"
                    autocomplete="new-password"
                    error=repeat_error
                />
                <div class="actions">
                    <button type="submit">{tr("Set password", "Imposta password")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card" id="security">
            <h2>{tr("Protocols and chat", "Protocolli e chat")}</h2>
            <p class="hint">
                {tr("A switched-off protocol refuses that mail client's sign-in; the webmail keeps working.", "Un protocollo disattivato rifiuta l'accesso di quel client di posta; la webmail continua a funzionare.")}
            </p>
            <ActionForm action=actions.protocols attr:class="checks" attr:id="protocols-form">
                <input type="hidden" name="address" value=address.get_value() />
                <ProtocolChecks switches=p />
                <button type="submit">{tr("Save protocols", "Salva protocolli")}</button>
                <FormError error=protocols_error />
            </ActionForm>
            <div class="inline-actions">
                <span>{tr("Chat: ", "Chat: ")} <span id="mailbox-chat"><OnOff on=d.row.chat /></span></span>
                <ActionForm action=actions.chat>
                    <input type="hidden" name="address" value=address.get_value() />
                    <input type="hidden" name="enabled" value=(!d.row.chat).to_string() />
                    <button type="submit" class="secondary" id="toggle-chat">
                        {if d.row.chat {
                            tr("Switch chat off", "Disattiva la chat")
                        } else {
                            tr("Switch chat on", "Attiva la chat")
                        }}
                    </button>
                </ActionForm>
            </div>
            <FormError error=chat_error />
        </section>
        <section class="card" id="aliases">
            <h2>{tr("Aliases", "Alias")}</h2>
            <p class="hint">{tr("Other addresses of the domain that deliver to this mailbox.", "Altri indirizzi del dominio che recapitano in questa casella.")}</p>
            <ul class="aliases">
                {d
                    .aliases
                    .clone()
                    .into_iter()
                    .map(|alias| {
                        view! {
                            <li>
                                <span class="alias">{alias.clone()}</span>
                                <ActionForm action=actions.remove_alias attr:class="inline">
                                    <input type="hidden" name="address" value=address.get_value() />
                                    <input type="hidden" name="alias" value=alias.clone() />
                                    <button
                                        type="submit"
                                        class="secondary"
                                        aria-label=format!("{} {alias}", tr("Remove", "Rimuovi"))
                                    >
                                        {tr("Remove", "Rimuovi")}
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <FormError error=remove_error />
            <ActionForm action=actions.add_alias attr:class="inline-form" attr:id="alias-form">
                <input type="hidden" name="address" value=address.get_value() />
                <label for="alias">{tr("New alias", "Nuovo alias")}</label>
                <div class="input-suffix">
                    <input
                        id="alias"
                        name="alias"
                        type="text"
                        autocomplete="off"
                        aria-invalid=move || alias_field_error.get().is_some().to_string()
                        aria-describedby="alias-error"
                    />
                    <span class="suffix">"@" {d.domain.clone()}</span>
                </div>
                <button type="submit">{tr("Add alias", "Aggiungi alias")}</button>
                <FormError error=alias_error />
                <FieldError field="alias" message=alias_field_error />
            </ActionForm>
        </section>
        {(!d.row.is_postmaster)
            .then(|| {
                view! {
                    <section class="card danger" id="delete">
                        <h2>{tr("Delete the mailbox", "Elimina la casella")}</h2>
                        <p>
                            {tr("All its messages and folders are destroyed. This cannot be undone.", "Tutti i messaggi e le cartelle vengono distrutti. L'operazione non si può annullare.")}
                        </p>
                        <ActionForm action=actions.delete attr:class="grid-form">
                            <input type="hidden" name="address" value=address.get_value() />
                            <FormError error=delete_error />
                            <TextField
                                name="confirm"
                                label=tr("Type the address to confirm", "Scrivi l'indirizzo per confermare")
                                error=confirm_error
                            />
                            <div class="actions">
                                <button type="submit" class="danger">{tr("Delete mailbox", "Elimina casella")}</button>
                            </div>
                        </ActionForm>
                    </section>
                }
            })}
    }
}
