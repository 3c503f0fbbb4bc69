// SPDX-License-Identifier: AGPL-3.0-only
//! `/account`: a mailbox owner's page: how to set up a mail client, which protocols its
//! mail programs may use, and their app passwords.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    api::{
        account::{
            CreateAppPassword, RevokeAppPassword, SetOwnProtocols, get_client_access,
            get_client_settings,
        },
        auth::take_shown_once,
    },
    components::ProtocolChecks,
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, SecretNotice, action_error,
        field_error, reset_on_success,
    },
    dto::{ClientAccess, Role},
};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text=tr("My mailbox · Casella", "La mia casella · Casella") />
        <Guarded roles=&[Role::User, Role::Postmaster]>
            <AccountBody />
        </Guarded>
    }
}

#[component]
fn AccountBody() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_client_settings());
    let protocols = ServerAction::<SetOwnProtocols>::new();
    let create = ServerAction::<CreateAppPassword>::new();
    let revoke = ServerAction::<RevokeAppPassword>::new();
    let access = Resource::new(
        move || {
            (
                protocols.version().get(),
                create.version().get(),
                revoke.version().get(),
            )
        },
        |_| get_client_access(),
    );
    let handed_over = Resource::new(|| (), |_| take_shown_once());
    let created = create.value();
    let saved = Signal::derive(move || {
        if matches!(protocols.value().get(), Some(Ok(()))) {
            Some(tr("Access saved.", "Accessi salvati.").to_string())
        } else if matches!(revoke.value().get(), Some(Ok(()))) {
            Some(tr("App password revoked.", "Password dedicata revocata.").to_string())
        } else {
            None
        }
    });
    view! {
        <h1>{tr("My mailbox", "La mia casella")}</h1>
        <FlashNotice id="account-notice" message=saved />
        {move || created.get().and_then(Result::ok).map(|secret| view! { <SecretNotice secret /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                handed_over.await.ok().flatten().map(|secret| view! { <SecretNotice secret /> })
            })}
        </Suspense>
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(access) => view! { <ClientAccessCards access protocols create revoke /> }.into_any(),
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>{tr("Mail client settings", "Impostazioni del client di posta")}</h2>
            <p class="hint">
                {tr("Thunderbird and Outlook find these settings by themselves from your e-mail address. Otherwise: your full e-mail address as user name, and your password (or an app password).", "Thunderbird e Outlook trovano da soli queste impostazioni a partire dal tuo indirizzo e-mail. Altrimenti: l'indirizzo e-mail completo come nome utente e la tua password (o una password dedicata).")}
            </p>
            <Suspense fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => {
                            view! {
                                <table class="list" id="client-settings">
                                    <thead>
                                        <tr>
                                            <th>{tr("Service", "Servizio")}</th>
                                            <th>{tr("Server", "Server")}</th>
                                            <th class="num">{tr("Port", "Porta")}</th>
                                            <th>{tr("Security", "Sicurezza")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        <tr>
                                            <td>{tr("IMAP (incoming)", "IMAP (in arrivo)")}</td>
                                            <td>{s.server.hostname.clone()}</td>
                                            <td class="num">{s.server.imaps_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("IMAP (incoming)", "IMAP (in arrivo)")}</td>
                                            <td>{s.server.hostname.clone()}</td>
                                            <td class="num">{s.server.imap_port}</td>
                                            <td>"STARTTLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("POP3 (incoming)", "POP3 (in arrivo)")}</td>
                                            <td>{s.server.hostname.clone()}</td>
                                            <td class="num">{s.server.pop3s_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("POP3 (incoming)", "POP3 (in arrivo)")}</td>
                                            <td>{s.server.hostname.clone()}</td>
                                            <td class="num">{s.server.pop3_port}</td>
                                            <td>"STARTTLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("SMTP (outgoing)", "SMTP (in uscita)")}</td>
                                            <td>{s.server.hostname.clone()}</td>
                                            <td class="num">{s.server.submissions_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("SMTP (outgoing)", "SMTP (in uscita)")}</td>
                                            <td>{s.server.hostname.clone()}</td>
                                            <td class="num">{s.server.submission_port}</td>
                                            <td>"STARTTLS"</td>
                                        </tr>
                                    </tbody>
                                </table>
                                <p>
                                    {tr("User name: ", "Nome utente: ")}
                                    <code id="client-user-name">{s.address.clone()}</code>
                                </p>
                                <h3>{tr("iPhone, iPad and Mac", "iPhone, iPad e Mac")}</h3>
                                <p class="hint">
                                    {tr("A configuration profile sets up Apple Mail by itself. Scan the code with the iPhone's camera (the link works for 15 minutes), or download the profile on a Mac. When asked, type your password, or an app password if two-factor authentication is on.", "Un profilo di configurazione imposta da solo Mail di Apple. Inquadra il codice con la fotocamera dell'iPhone (il collegamento vale 15 minuti) oppure scarica il profilo su un Mac. Quando richiesto, inserisci la tua password, o una password dedicata se l'autenticazione a due fattori è attiva.")}
                                </p>
                                <div class="profiles">
                                    {s
                                        .profiles
                                        .into_iter()
                                        .map(|p| {
                                            let label = if p.protocol == "pop3" { "POP3" } else { "IMAP" };
                                            view! {
                                                <figure class="profile" id=format!("profile-{}", p.protocol)>
                                                    <img class="qr" src=p.qr alt=format!("QR {label}") />
                                                    <figcaption>
                                                        <a href=p.download rel="external" download="">
                                                            {tr("Download the profile", "Scarica il profilo")}
                                                            " ("
                                                            {label}
                                                            ")"
                                                        </a>
                                                    </figcaption>
                                                </figure>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            }
                                .into_any()
                        }
                        Err(err) => {
                            view! { <ErrorMessage error=err /> }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ClientAccessCards(
    access: ClientAccess,
    protocols: ServerAction<SetOwnProtocols>,
    create: ServerAction<CreateAppPassword>,
    revoke: ServerAction<RevokeAppPassword>,
) -> impl IntoView {
    let protocols_error = action_error(protocols.value());
    let create_error = action_error(create.value());
    let name_error = field_error(create_error, "name");
    let revoke_error = action_error(revoke.value());
    let create_form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create.value(), create_form);
    let p = access.protocols;
    let empty = access.app_passwords.is_empty();
    view! {
        <section class="card" id="client-access">
            <h2>{tr("Access from mail programs", "Accesso dai programmi di posta")}</h2>
            <p class="hint">
                {tr("A protocol switched off refuses every mail program that uses it; the webmail keeps working.", "Un protocollo disattivato rifiuta tutti i programmi di posta che lo usano; la webmail continua a funzionare.")}
            </p>
            <ActionForm action=protocols attr:class="checks" attr:id="own-protocols-form">
                <ProtocolChecks switches=p />
                <button type="submit">{tr("Save", "Salva")}</button>
                <FormError error=protocols_error />
            </ActionForm>
        </section>
        <section class="card" id="app-passwords">
            <h2>{tr("App passwords", "Password dedicate")}</h2>
            <p class="hint">
                {if access.two_factor {
                    tr("Two-factor authentication is on: mail programs sign in with an app password instead of your password. Create one per program, and revoke it when the device is gone.", "L'autenticazione a due fattori è attiva: i programmi di posta accedono con una password dedicata invece della tua password. Creane una per programma e revocala quando il dispositivo non c'è più.")
                } else {
                    tr("A separate password for each mail program: if a device is lost, revoke its password and nothing else changes. App passwords never open the webmail or this panel.", "Una password distinta per ogni programma di posta: se perdi un dispositivo, revochi la sua password e nient'altro cambia. Le password dedicate non aprono mai la webmail né questo pannello.")
                }}
            </p>
            <FormError error=revoke_error />
            {if empty {
                view! { <p class="empty">{tr("No app passwords yet.", "Ancora nessuna password dedicata.")}</p> }.into_any()
            } else {
                view! {
                    <table class="list" id="app-password-list">
                        <thead>
                            <tr>
                                <th>{tr("Program or device", "Programma o dispositivo")}</th>
                                <th>{tr("Created", "Creata")}</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {access
                                .app_passwords
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <tr>
                                            <td class="app-password-name">{row.name.clone()}</td>
                                            <td>{row.created_at.unwrap_or_else(|| "—".into())}</td>
                                            <td>
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="name" value=row.name />
                                                    <button type="submit" class="secondary">
                                                        {tr("Revoke", "Revoca")}
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
            }}
            <ActionForm action=create node_ref=create_form attr:class="inline-form" attr:id="create-app-password">
                <label for="app-password-name">{tr("Program or device", "Programma o dispositivo")}</label>
                <input
                    id="app-password-name"
                    name="name"
                    type="text"
                    maxlength="40"
                    placeholder=tr("Thunderbird on the laptop", "Thunderbird sul portatile")
                    required
                    aria-invalid=move || name_error.get().is_some().to_string()
                    aria-describedby="name-error"
                />
                <button type="submit">{tr("Create app password", "Crea password dedicata")}</button>
                <FormError error=create_error />
                <FieldError field="name" message=name_error />
            </ActionForm>
        </section>
    }
}
