// SPDX-License-Identifier: AGPL-3.0-only
//! `/operator/monitor`: per customer, mailboxes created against included, upgrades, archives
//! and the monthly cost (seed 002, "Monitor").

use leptos::prelude::*;
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
        <Title text="Monitor · Casella" />
        <Guarded roles=&[Role::Operator]>
            <MonitorBody />
        </Guarded>
    }
}

#[component]
fn MonitorBody() -> impl IntoView {
    let rows = Resource::new(|| (), |_| monitor());
    view! {
        <h1>"Monitor"</h1>
        <section class="card">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) => {
                            view! {
                                <table class="list" id="monitor">
                                    <thead>
                                        <tr>
                                            <th>"Customer"</th>
                                            <th>"Plan"</th>
                                            <th class="num">"Created / included"</th>
                                            <th class="num">"Available"</th>
                                            <th class="num">"25 / 50 / 100 GB"</th>
                                            <th class="num">"Send upgrades"</th>
                                            <th class="num">"Archives"</th>
                                            <th class="num">"Monthly cost"</th>
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
