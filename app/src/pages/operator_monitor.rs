// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/monitor`: per customer, mailboxes created against included, upgrades, archives
//! and the monthly cost (seed 002, "Monitor").

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    api::operator::monitor,
    components::{ErrorMessage, Guarded},
    dto::Role,
    format::euros,
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
    }
}
