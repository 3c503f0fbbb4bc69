// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain/trace`: Tracemail, the domain's message trace. Every message its
//! mailboxes send or receive, recipient by recipient: when, which way, from and to whom, its
//! Message-ID and size, and where it stands (accepted, deferred with the reason, delivered,
//! bounced, rejected) with the receiving server's reply. Searched by address, status and
//! dates through a plain GET form, newest first, with a CSV export.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::domain::domain_trace,
    components::{FieldError, Guarded, Outcome, SearchForm, choice, field_error},
    dto::{Role, TracePage, TraceQuery, TraceRow},
    error::AppError,
    format::{bytes, urlencode},
    i18n::tr,
};

#[component]
pub fn TracePage() -> impl IntoView {
    view! {
        <Title text=tr("Message trace · Casella", "Tracciamento messaggi · Casella") />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <TraceBody />
        </Guarded>
    }
}

/// The filters in a page's address.
fn query_of(map: &leptos_router::params::ParamsMap) -> TraceQuery {
    let get = |k: &str| map.get(k).unwrap_or_default();
    TraceQuery {
        address: get("address"),
        status: get("status"),
        from: get("from"),
        to: get("to"),
        before: map.get("before").and_then(|b| b.parse().ok()),
    }
}

/// The filters as a query string (without the page).
fn query_string(q: &TraceQuery) -> String {
    [
        ("address", &q.address),
        ("status", &q.status),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", urlencode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

fn status_label(code: &str) -> &'static str {
    match code {
        "accepted" => tr("accepted", "accettato"),
        "deferred" => tr("deferred", "in attesa"),
        "delivered" => tr("delivered", "consegnato"),
        "bounced" => tr("bounced", "respinto"),
        "rejected" => tr("rejected", "rifiutato"),
        _ => "",
    }
}

fn direction_label(code: &str) -> &'static str {
    match code {
        "in" => tr("in", "in entrata"),
        "out" => tr("out", "in uscita"),
        "internal" => tr("internal", "interno"),
        _ => "",
    }
}

const STATUSES: [&str; 5] = ["accepted", "deferred", "delivered", "bounced", "rejected"];

#[component]
fn TraceBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let domain = move || params.read().get("domain").unwrap_or_default();
    let filters = move || query_of(&query.read());
    let page = Resource::new(
        move || (domain(), filters()),
        |(domain, q)| domain_trace(domain, q),
    );
    view! {
        <p>
            <a href=move || format!("/domains/{}", domain())>{tr("← Domain", "← Dominio")}</a>
        </p>
        <h1>{tr("Message trace of ", "Tracciamento messaggi di ")} {domain}</h1>
        // The form waits for the search, so a field it refused shows why, without
        // JavaScript too.
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                let q = filters();
                let export = format!("/domains/{}/trace.csv?{}", domain(), query_string(&q));
                let base = format!("/domains/{}/trace", domain());
                let Outcome { hint, error, below } = Outcome::of(
                    page.await,
                    tr(
                        "Every message the domain's mailboxes send and receive, recipient by recipient, and where it stands.",
                        "Ogni messaggio inviato e ricevuto dalle caselle del dominio, destinatario per destinatario, e il suo stato.",
                    ),
                    |p| p.kept_days,
                    |p| view! { <TraceTable page=p base q=q.clone() /> }.into_any(),
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

/// The search: by address, status and days.
#[component]
fn Filters(q: TraceQuery, error: Option<AppError>, export: String) -> impl IntoView {
    let refused = error.clone();
    let address_error = field_error(Signal::derive(move || refused.clone()), "address");
    view! {
        <SearchForm
            id="trace-filters"
            error
            from=q.from.clone()
            to=q.to.clone()
            button=tr("Search", "Cerca")
            export
            export_id="trace-csv"
        >
            <div class="field">
                <label for="address">{tr("Address (sender or recipient)", "Indirizzo (mittente o destinatario)")}</label>
                <input id="address" name="address" type="search" value=q.address.clone() placeholder="mario@example.com" />
                <FieldError field="address" message=address_error />
            </div>
            <div class="field">
                <label for="status">{tr("Status", "Stato")}</label>
                <select id="status" name="status">
                    {choice("", tr("all", "tutti"), &q.status)}
                    {STATUSES
                        .into_iter()
                        .map(|code| choice(code, status_label(code), &q.status))
                        .collect_view()}
                </select>
            </div>
        </SearchForm>
    }
}

/// A page of trace rows, with the link to the older ones.
#[component]
fn TraceTable(page: TracePage, base: String, q: TraceQuery) -> impl IntoView {
    let older = page.older.map(|before| {
        let filters = query_string(&q);
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("{base}?{filters}{sep}before={before}")
    });
    if page.rows.is_empty() {
        return view! { <p class="empty" id="trace-empty">{tr("No messages.", "Nessun messaggio.")}</p> }
            .into_any();
    }
    view! {
        <table class="list trace" id="trace">
            <thead>
                <tr>
                    <th>{tr("Time", "Ora")}</th>
                    <th>{tr("Direction", "Direzione")}</th>
                    <th>{tr("Sender", "Mittente")}</th>
                    <th>{tr("Recipient", "Destinatario")}</th>
                    <th>{tr("Status", "Stato")}</th>
                    <th>{tr("Details", "Dettagli")}</th>
                </tr>
            </thead>
            <tbody>{page.rows.into_iter().map(|r| view! { <Row r /> }).collect_view()}</tbody>
        </table>
        {older
            .map(|href| {
                view! {
                    <p class="pager">
                        <a href=href id="trace-older">{tr("Older messages →", "Messaggi precedenti →")}</a>
                    </p>
                }
            })}
    }
        .into_any()
}

#[component]
fn Row(r: TraceRow) -> impl IntoView {
    let class = match r.status.as_str() {
        "delivered" => "state on",
        "deferred" => "state warn",
        "bounced" | "rejected" => "state bad",
        _ => "state",
    };
    let sender = if r.sender.is_empty() {
        tr("(bounce)", "(notifica di mancato recapito)").to_string()
    } else {
        r.sender.clone()
    };
    let recipient = r.recipient.clone();
    let recipient_attr = r.recipient.clone();
    let facts = format!(
        "{}{}{}",
        r.size
            .and_then(|b| u64::try_from(b).ok())
            .map(bytes)
            .unwrap_or_default(),
        if r.queue_id.is_empty() {
            String::new()
        } else {
            format!(" · {} {}", tr("queue", "coda"), r.queue_id)
        },
        if r.updated == r.at {
            String::new()
        } else {
            format!(" · {} {}", tr("updated", "aggiornato"), r.updated)
        },
    );
    let server = [r.remote_host.as_str(), r.remote_ip.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <tr data-status=r.status.clone() data-direction=r.direction.clone() data-recipient=recipient_attr>
            <td>{r.at}</td>
            <td>{direction_label(&r.direction)}</td>
            <td>{sender}</td>
            <td>{recipient}</td>
            <td>
                <span class=class>{status_label(&r.status)}</span>
            </td>
            <td class="trace-details">
                {(!r.detail.is_empty()).then(|| view! { <div class="reply">{r.detail}</div> })}
                {(!server.is_empty()).then(|| view! { <div class="hint">{server}</div> })}
                {(!r.message_id.is_empty())
                    .then(|| view! { <div class="hint message-id">"Message-ID: " {r.message_id}</div> })}
                <div class="hint">{facts}</div>
            </td>
        </tr>
    }
}
