// SPDX-License-Identifier: AGPL-3.0-only
//! `/account`: a mailbox owner's page: how to set up a mail client.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    api::account::get_client_settings,
    components::{ErrorMessage, Guarded},
    dto::Role,
};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text=tr("My mailbox · Casella", "La mia casella · Casella") />
        <Guarded roles=&[Role::User]>
            <AccountBody />
        </Guarded>
    }
}

#[component]
fn AccountBody() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_client_settings());
    view! {
        <h1>{tr("My mailbox", "La mia casella")}</h1>
        <section class="card">
            <h2>{tr("Mail client settings", "Impostazioni del client di posta")}</h2>
            <p class="hint">
                {tr("Thunderbird, Outlook, Apple Mail and phones: use your full e-mail address as user name and your password.", "Thunderbird, Outlook, Apple Mail e smartphone: usa come nome utente il tuo indirizzo e-mail completo e la tua password.")}
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
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.imaps_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("IMAP (incoming)", "IMAP (in arrivo)")}</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.imap_port}</td>
                                            <td>"STARTTLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("POP3 (incoming)", "POP3 (in arrivo)")}</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.pop3s_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("SMTP (outgoing)", "SMTP (in uscita)")}</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.submissions_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>{tr("SMTP (outgoing)", "SMTP (in uscita)")}</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.submission_port}</td>
                                            <td>"STARTTLS"</td>
                                        </tr>
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
            </Suspense>
        </section>
    }
}
