// SPDX-License-Identifier: AGPL-3.0-only
//! `/audit`: the audit log as the signed-in person may see it (an operator everything, a
//! manager its domains, a postmaster its domain), newest first.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::domain::audit_log,
    components::{ErrorMessage, Guarded},
    dto::Role,
};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text=tr("Audit log · Casella", "Registro attività · Casella") />
        <Guarded roles=&[Role::Operator, Role::Manager, Role::Postmaster]>
            <AuditBody />
        </Guarded>
    }
}

#[component]
fn AuditBody() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let log = Resource::new(page, audit_log);
    view! {
        <h1>{tr("Audit log", "Registro attività")}</h1>
        <section class="card">
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(log) => {
                            let last = log.total.saturating_sub(1) / log.page_size.max(1);
                            let page = log.page;
                            view! {
                                <table class="list" id="audit-log">
                                    <thead>
                                        <tr>
                                            <th>{tr("When", "Quando")}</th>
                                            <th>{tr("Who", "Chi")}</th>
                                            <th>{tr("From", "Da")}</th>
                                            <th>{tr("Action", "Azione")}</th>
                                            <th>{tr("On", "Su")}</th>
                                            <th>{tr("Before", "Prima")}</th>
                                            <th>{tr("After", "Dopo")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {log
                                            .rows
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr>
                                                        <td>{r.at}</td>
                                                        <td>
                                                            {r.actor} <span class="tag">{r.actor_role}</span>
                                                        </td>
                                                        <td>{r.ip}</td>
                                                        <td class="action">{r.action}</td>
                                                        <td class="target">{r.target}</td>
                                                        <td>{r.before.unwrap_or_default()}</td>
                                                        <td>{r.after.unwrap_or_default()}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <nav class="pager" aria-label=tr("Pages", "Pagine")>
                                    <span>{format!("{} entries", log.total)}</span>
                                    {(page > 0)
                                        .then(|| {
                                            view! { <a href=format!("?page={}", page - 1)>{tr("← Newer", "← Più recenti")}</a> }
                                        })}
                                    {(page < last)
                                        .then(|| {
                                            view! { <a href=format!("?page={}", page + 1)>{tr("Older →", "Meno recenti →")}</a> }
                                        })}
                                </nav>
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
