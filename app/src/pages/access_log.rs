// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain/access`: the domain's access log (the postmaster's "registro degli
//! accessi"): every sign-in to the web and of mail clients, filtered by account, protocol,
//! result and dates, newest first, with a CSV export. The filters are a plain GET form, so
//! every view has its own address and works without JavaScript. The table is shared with the
//! security page, which shows one's own sign-ins.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::domain::domain_access_log,
    components::{Guarded, Outcome, SearchForm, choice},
    dto::{AccessPage, AccessQuery, Role},
    error::AppError,
    format::urlencode,
    i18n::tr,
};

#[component]
pub fn AccessLogPage() -> impl IntoView {
    view! {
        <Title text=tr("Access log · Casella", "Registro accessi · Casella") />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <AccessBody />
        </Guarded>
    }
}

/// The filters in a page's address.
fn query_of(map: &leptos_router::params::ParamsMap) -> AccessQuery {
    let get = |k: &str| map.get(k).unwrap_or_default();
    AccessQuery {
        account: get("account"),
        protocol: get("protocol"),
        result: get("result"),
        from: get("from"),
        to: get("to"),
        before: map.get("before").and_then(|b| b.parse().ok()),
    }
}

/// The filters as a query string (without the page).
pub(crate) fn query_string(q: &AccessQuery) -> String {
    [
        ("account", &q.account),
        ("protocol", &q.protocol),
        ("result", &q.result),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", urlencode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

pub(crate) fn result_label(code: &str) -> &'static str {
    match code {
        "ok" => tr("signed in", "accesso riuscito"),
        "wrong-password" => tr("wrong password", "password errata"),
        "missing-code" => tr("code missing", "codice mancante"),
        "wrong-code" => tr("wrong code", "codice errato"),
        "protocol-disabled" => tr("protocol switched off", "protocollo disattivato"),
        "banned" => tr("blocked", "bloccato"),
        _ => "",
    }
}

#[component]
fn AccessBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let domain = move || params.read().get("domain").unwrap_or_default();
    let filters = move || query_of(&query.read());
    let page = Resource::new(
        move || (domain(), filters()),
        |(domain, q)| domain_access_log(domain, q),
    );
    view! {
        <p>
            <a href=move || format!("/domains/{}", domain())>{tr("← Domain", "← Dominio")}</a>
        </p>
        <h1>{tr("Access log of ", "Registro accessi di ")} {domain}</h1>
        // The form waits for the search, so a field it refused shows why, without
        // JavaScript too.
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                let q = filters();
                let export = format!("/domains/{}/access-log.csv?{}", domain(), query_string(&q));
                let base = format!("/domains/{}/access", domain());
                let Outcome { hint, error, below } = Outcome::of(
                    page.await,
                    tr(
                        "Every sign-in to the webmail and panel and of mail programs (IMAP, POP3, SMTP).",
                        "Ogni accesso a webmail e pannello e dei programmi di posta (IMAP, POP3, SMTP).",
                    ),
                    |p| p.kept_days,
                    |p| view! { <AccessTable page=p base q=q.clone() /> }.into_any(),
                );
                view! {
                    {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
                    <Filters q error export />
                    {below}
                }
            })}
        </Transition>
    }
}

/// The filters: account, protocol, result and days.
#[component]
fn Filters(q: AccessQuery, error: Option<AppError>, export: String) -> impl IntoView {
    view! {
        <SearchForm
            id="access-filters"
            error
            from=q.from.clone()
            to=q.to.clone()
            button=tr("Filter", "Filtra")
            export
            export_id="access-csv"
        >
            <div class="field">
                <label for="account">{tr("Account", "Account")}</label>
                <input id="account" name="account" type="search" value=q.account.clone() />
            </div>
            <div class="field">
                <label for="protocol">{tr("Protocol", "Protocollo")}</label>
                <select id="protocol" name="protocol">
                    {choice("", tr("all", "tutti"), &q.protocol)}
                    {choice("web", "Web", &q.protocol)}
                    {choice("imap", "IMAP", &q.protocol)}
                    {choice("pop3", "POP3", &q.protocol)}
                    {choice("smtp", "SMTP", &q.protocol)}
                    {choice("xmpp", "XMPP (chat)", &q.protocol)}
                </select>
            </div>
            <div class="field">
                <label for="result">{tr("Result", "Esito")}</label>
                <select id="result" name="result">
                    {choice("", tr("all", "tutti"), &q.result)}
                    {["ok", "wrong-password", "missing-code", "wrong-code", "protocol-disabled", "banned"]
                        .into_iter()
                        .map(|code| choice(code, result_label(code), &q.result))
                        .collect_view()}
                </select>
            </div>
        </SearchForm>
    }
}

/// A page of sign-ins, with the link to the older ones.
#[component]
pub(crate) fn AccessTable(page: AccessPage, base: String, q: AccessQuery) -> impl IntoView {
    let older = page.older.map(|before| {
        let filters = query_string(&q);
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("{base}?{filters}{sep}before={before}")
    });
    if page.rows.is_empty() {
        return view! { <p class="empty" id="access-empty">{tr("No sign-ins.", "Nessun accesso.")}</p> }
            .into_any();
    }
    view! {
        <table class="list" id="access-log">
            <thead>
                <tr>
                    <th>{tr("Time", "Ora")}</th>
                    <th>{tr("Account", "Account")}</th>
                    <th>{tr("Protocol", "Protocollo")}</th>
                    <th>{tr("Result", "Esito")}</th>
                    <th>{tr("Address", "Indirizzo IP")}</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .rows
                    .into_iter()
                    .map(|r| {
                        let class = if r.result == "ok" { "state on" } else { "state off" };
                        view! {
                            <tr data-protocol=r.protocol.clone() data-result=r.result.clone()>
                                <td>{r.at}</td>
                                <td>{r.login}</td>
                                <td>{r.protocol.to_uppercase()}</td>
                                <td><span class=class>{result_label(&r.result)}</span></td>
                                <td>{r.ip}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {older
            .map(|href| {
                view! {
                    <p class="pager">
                        <a href=href id="access-older">{tr("Older sign-ins →", "Accessi precedenti →")}</a>
                    </p>
                }
            })}
    }
        .into_any()
}
