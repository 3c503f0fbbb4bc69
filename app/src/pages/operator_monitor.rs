// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/monitor`: per customer, mailboxes created against included, upgrades, archives
//! and the monthly cost (seed 002, "Monitor").

use leptos::prelude::*;

use crate::i18n::{in_lang, tr};
use leptos_meta::Title;

use crate::{
    api::operator::{TakeSnapshot, monitor, snapshots, taken_notice},
    components::{ErrorMessage, FlashNotice, FormError, Guarded, action_error},
    dto::{Role, SnapshotStatus},
    format::{bytes, euros},
    pages::mail::time_label,
};

#[component]
pub fn OperatorMonitor() -> impl IntoView {
    view! {
        <Title text=tr("Monitor · Casella", "Monitor · Casella") />
        <Guarded roles=&[Role::Operator]>
            <MonitorBody />
        </Guarded>
    }
}

#[component]
fn MonitorBody() -> impl IntoView {
    let rows = Resource::new(|| (), |_| monitor());
    view! {
        <h1>{tr("Monitor", "Monitor")}</h1>
        <section class="card">
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) => {
                            view! {
                                <table class="list" id="monitor">
                                    <thead>
                                        <tr>
                                            <th>{tr("Customer", "Cliente")}</th>
                                            <th>{tr("Plan", "Piano")}</th>
                                            <th class="num">{tr("Created / included", "Create / incluse")}</th>
                                            <th class="num">{tr("Available", "Disponibili")}</th>
                                            <th class="num">"25 / 50 / 100 GB"</th>
                                            <th class="num">{tr("Send upgrades", "Upgrade di invio")}</th>
                                            <th class="num">{tr("Archives", "Archivi")}</th>
                                            <th class="num">{tr("Monthly cost", "Costo mensile")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr>
                                                        <td>{r.company_name}</td>
                                                        <td>{r.plan}</td>
                                                        <td class="num">{format!("{} / {}", r.created, r.included)}</td>
                                                        <td class="num">{r.capacity.saturating_sub(r.created)}</td>
                                                        <td class="num">
                                                            {r.quota_upgrades.map(|n| n.to_string()).join(" / ")}
                                                        </td>
                                                        <td class="num">
                                                            {r.send_upgrades.map(|n| n.to_string()).join(" / ")}
                                                        </td>
                                                        <td class="num">{r.archives}</td>
                                                        <td class="num cost">{euros(r.monthly_cents)}</td>
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
        <Snapshots />
    }
}

/// The Mail Time Machine: the days kept, what they cost, and today's snapshot on demand.
#[component]
fn Snapshots() -> impl IntoView {
    let take = ServerAction::<TakeSnapshot>::new();
    let status = Resource::new(move || take.version().get(), |_| snapshots());
    let error = action_error(take.value());
    let taken = Signal::derive(move || match take.value().get() {
        Some(Ok(row)) => Some(in_lang(taken_notice(&row, "en"), taken_notice(&row, "it"))),
        _ => None,
    });
    view! {
        <section class="card" id="time-machine">
            <h2>{tr("Mail Time Machine", "Mail Time Machine")}</h2>
            <FlashNotice id="snapshot-notice" message=taken />
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! { <SnapshotTable s /> }.into_any(),
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=take attr:id="take-snapshot">
                <p class="hint">
                    {tr(
                        "Every mailbox is kept as it stood at midnight. Taking today's snapshot again now makes today show the mailboxes as they are at this moment.",
                        "Ogni casella è conservata com'era a mezzanotte. Riprendere ora l'istantanea di oggi fa vedere oggi le caselle come sono in questo momento.",
                    )}
                </p>
                <button type="submit" class="secondary" id="take-snapshot-now">
                    {tr("Take today's snapshot now", "Prendi ora l'istantanea di oggi")}
                </button>
                <FormError error />
            </ActionForm>
        </section>
    }
}

#[component]
fn SnapshotTable(s: SnapshotStatus) -> impl IntoView {
    let restores = (!s.restores.is_empty()).then(|| {
        view! {
            <h3>{tr("Restores", "Ripristini")}</h3>
            <table class="list" id="restores">
                <thead>
                    <tr>
                        <th>{tr("Asked (UTC)", "Richiesto (UTC)")}</th>
                        <th>{tr("Mailbox", "Casella")}</th>
                        <th>{tr("Day", "Giorno")}</th>
                        <th>{tr("How", "Modo")}</th>
                        <th>{tr("State", "Stato")}</th>
                        <th class="num">{tr("Price", "Prezzo")}</th>
                    </tr>
                </thead>
                <tbody>
                    {s
                        .restores
                        .iter()
                        .map(|r| {
                            view! {
                                <tr data-state=r.row.state.clone()>
                                    <td>{time_label(&r.row.created_at)}</td>
                                    <td>{r.mailbox.clone()}</td>
                                    <td>{r.row.day.clone()}</td>
                                    <td>{if r.row.exact { tr("exact", "esatto") } else { tr("merge", "unione") }}</td>
                                    <td>{match r.row.state.as_str() {
                                        "running" => tr("running", "in corso"),
                                        "done" => tr("done", "completato"),
                                        _ => tr("failed", "non riuscito"),
                                    }}</td>
                                    <td class="num cost">{euros(r.row.price_cents)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    });
    let summary = format!(
        "{} {} · {} {} ({}) · {} {}",
        s.days.len(),
        if s.days.len() == 1 {
            tr("day", "giorno")
        } else {
            tr("days", "giorni")
        },
        s.objects,
        if s.objects == 1 {
            tr("message kept", "messaggio conservato")
        } else {
            tr("messages kept", "messaggi conservati")
        },
        bytes(s.bytes),
        tr("days kept:", "giorni conservati:"),
        s.kept_days,
    );
    if s.days.is_empty() {
        return view! {
            <p class="empty" id="snapshots-empty">
                {tr("No snapshot yet: the first is taken at midnight.", "Nessuna istantanea ancora: la prima sarà presa a mezzanotte.")}
            </p>
        }
            .into_any();
    }
    view! {
        <p class="hint" id="snapshots-summary">{summary}</p>
        <table class="list" id="snapshots">
            <thead>
                <tr>
                    <th>{tr("Day", "Giorno")}</th>
                    <th>{tr("Taken (UTC)", "Presa (UTC)")}</th>
                    <th class="num">{tr("Mailboxes", "Caselle")}</th>
                    <th class="num">{tr("Changed", "Cambiate")}</th>
                    <th class="num">{tr("Not read", "Non lette")}</th>
                    <th class="num">{tr("Added", "Aggiunti")}</th>
                </tr>
            </thead>
            <tbody>
                {s
                    .days
                    .into_iter()
                    .map(|d| {
                        let failed = d.failed > 0;
                        view! {
                            <tr data-day=d.day.clone()>
                                <td>{d.day.clone()}</td>
                                <td>
                                    {time_label(&d.taken_at)}
                                    {(!d.finished).then(|| tr(" (running or cut off)", " (in corso o interrotta)"))}
                                </td>
                                <td class="num">{d.mailboxes}</td>
                                <td class="num">{d.changed}</td>
                                <td class="num" class:warning=failed>{d.failed}</td>
                                <td class="num">{bytes(d.bytes_added)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {restores}
    }
        .into_any()
}
