// SPDX-License-Identifier: AGPL-3.0-only
//! `/account`: a mailbox owner's page: how to set up a mail client.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::mailboxes::get_client_settings,
    components::{ErrorMessage, Guarded},
    dto::Role,
};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="My mailbox · Casella" />
        <Guarded roles=&[Role::User]>
            <AccountBody />
        </Guarded>
    }
}

#[component]
fn AccountBody() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_client_settings());
    view! {
        <h1>"My mailbox"</h1>
        <section class="card">
            <h2>"Mail client settings"</h2>
            <p class="hint">
                "Thunderbird, Outlook, Apple Mail and phones: use your full e-mail address as user name and your password."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => {
                            view! {
                                <table class="list" id="client-settings">
                                    <thead>
                                        <tr>
                                            <th>"Service"</th>
                                            <th>"Server"</th>
                                            <th class="num">"Port"</th>
                                            <th>"Security"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        <tr>
                                            <td>"IMAP (incoming)"</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.imaps_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>"IMAP (incoming)"</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.imap_port}</td>
                                            <td>"STARTTLS"</td>
                                        </tr>
                                        <tr>
                                            <td>"POP3 (incoming)"</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.pop3s_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>"SMTP (outgoing)"</td>
                                            <td>{s.hostname.clone()}</td>
                                            <td class="num">{s.submissions_port}</td>
                                            <td>"SSL/TLS"</td>
                                        </tr>
                                        <tr>
                                            <td>"SMTP (outgoing)"</td>
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
