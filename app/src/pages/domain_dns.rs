// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain/dns`: the records the domain must publish at its DNS provider, each with
//! a copy button, and a check (`?check=1`, a plain link: it changes nothing) that resolves
//! them and says which are there, missing or different.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::domain::dns_records,
    components::{BrowserCode, ErrorMessage, Guarded},
    dto::{DnsRow, DnsStatus, Role},
    i18n::tr,
};

#[component]
pub fn DomainDnsPage() -> impl IntoView {
    view! {
        <Title text=tr("DNS · Casella", "DNS · Casella") />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <BrowserCode />
            <DnsBody />
        </Guarded>
    }
}

fn purpose_label(code: &str) -> &'static str {
    match code {
        "mx" => tr("Incoming mail", "Posta in arrivo"),
        "spf" => tr(
            "SPF: who may send for the domain",
            "SPF: chi può inviare per il dominio",
        ),
        "dkim" => tr("DKIM signature key", "Chiave di firma DKIM"),
        "dmarc" => tr("DMARC policy", "Politica DMARC"),
        "autoconfig" => tr(
            "Automatic set-up (Thunderbird)",
            "Configurazione automatica (Thunderbird)",
        ),
        "autodiscover" => tr(
            "Automatic set-up (Outlook)",
            "Configurazione automatica (Outlook)",
        ),
        "imap" => "IMAP",
        "pop3" => "POP3",
        "submission" => tr("Sending (SMTP)", "Invio (SMTP)"),
        "xmpp" => tr("Chat (XMPP)", "Chat (XMPP)"),
        _ => "",
    }
}

#[component]
fn DnsBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let domain = move || params.read().get("domain").unwrap_or_default();
    let check = move || query.read().get("check").is_some_and(|v| v == "1");
    let rows = Resource::new(
        move || (domain(), check()),
        |(domain, check)| dns_records(domain, check),
    );
    view! {
        <p>
            <a href=move || format!("/domains/{}", domain())>{tr("← Domain", "← Dominio")}</a>
        </p>
        <h1>{tr("DNS records of ", "Record DNS di ")} {domain}</h1>
        <p class="hint">
            {tr("Publish these records at the provider that manages the domain's DNS. Changes can take a few hours to be seen everywhere.", "Pubblica questi record presso il fornitore che gestisce il DNS del dominio. Le modifiche possono richiedere alcune ore per essere visibili ovunque.")}
        </p>
        <p>
            <a class="button" id="check-dns" href=move || format!("/domains/{}/dns?check=1", domain())>
                {tr("Check the records now", "Verifica ora i record")}
            </a>
        </p>
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) => view! { <DnsTable rows /> }.into_any(),
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DnsTable(rows: Vec<DnsRow>) -> impl IntoView {
    let checked = rows.iter().any(|r| r.status.is_some());
    view! {
        <table class="list dns" id="dns-records">
            <thead>
                <tr>
                    <th>{tr("Purpose", "Scopo")}</th>
                    <th>{tr("Type", "Tipo")}</th>
                    <th>{tr("Name", "Nome")}</th>
                    <th>{tr("Value", "Valore")}</th>
                    {checked.then(|| view! { <th>{tr("Check", "Verifica")}</th> })}
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let value_id = format!("dns-value-{i}");
                        let status = row.status.clone().map(|status| {
                            let (class, text, seen) = match status {
                                DnsStatus::Found => ("state on", tr("found", "presente"), Vec::new()),
                                DnsStatus::Missing => ("state off", tr("missing", "mancante"), Vec::new()),
                                DnsStatus::Different(seen) => ("state warn", tr("different", "diverso"), seen),
                                DnsStatus::Unknown(why) => ("state warn", tr("no answer", "nessuna risposta"), vec![why]),
                            };
                            view! {
                                <td class="dns-status">
                                    <span class=class>{text}</span>
                                    {seen
                                        .into_iter()
                                        .map(|s| view! { <code class="dns-seen">{s}</code> })
                                        .collect_view()}
                                </td>
                            }
                        });
                        view! {
                            <tr data-name=row.name.clone() data-kind=row.kind.clone()>
                                <td>{purpose_label(&row.purpose)}</td>
                                <td>{row.kind.clone()}</td>
                                <td class="dns-name"><code>{row.name.clone()}</code></td>
                                <td>
                                    <div class="dns-value">
                                    <code id=value_id.clone()>{row.value.clone()}</code>
                                    <CopyButton value=row.value.clone() target=value_id />
                                    </div>
                                </td>
                                {status}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// Puts a value on the clipboard (the button does nothing without JavaScript, where the
/// value can be selected by hand).
#[island]
fn CopyButton(value: String, target: String) -> impl IntoView {
    let copy = move |_: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&value);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &value;
    };
    view! {
        <button type="button" class="secondary copy" data-copy=target title=tr("Copy", "Copia") on:click=copy>
            {tr("Copy", "Copia")}
        </button>
    }
}
