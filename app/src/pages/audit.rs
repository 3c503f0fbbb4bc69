// SPDX-License-Identifier: AGPL-3.0-only
//! `/audit`: the audit log as the signed-in person may see it (an operator everything, a
//! manager its domains, a postmaster its domain), newest first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::domain::audit_log,
    components::{ErrorMessage, Guarded},
    dto::Role,
    i18n::tr,
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
                                                            {r.actor} <span class="tag">{role_label(&r.actor_role)}</span>
                                                        </td>
                                                        <td>{r.ip}</td>
                                                        <td class="action">
                                                            {action_label(&r.action)} <code>{r.action.clone()}</code>
                                                        </td>
                                                        <td class="target">{r.target}</td>
                                                        <td>{value(r.before)}</td>
                                                        <td>{value(r.after)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <nav class="pager" aria-label=tr("Pages", "Pagine")>
                                    <span>{format!("{} {}", log.total, tr("entries", "voci"))}</span>
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

/// What an action code means, in the page's language. The code stays beside it: it is what the
/// log stores and what a search or a script looks for.
fn action_label(code: &str) -> &'static str {
    match code {
        "account.password" => tr("Own password changed", "Password cambiata dal titolare"),
        "plan.create" => tr(
            "Plan created (type · included · extra mailbox)",
            "Piano creato (tipo · incluse · casella aggiuntiva)",
        ),
        "customer.create" => tr(
            "Customer created (legal representative)",
            "Cliente creato (legale rappresentante)",
        ),
        "manager.create" => tr(
            "Manager created (credentials sent to)",
            "Manager creato (credenziali inviate a)",
        ),
        "domain.manager" => tr("Manager assigned", "Manager assegnato"),
        "domain.register" => tr(
            "Domain registered (customer → postmaster credentials)",
            "Dominio registrato (cliente → credenziali del postmaster)",
        ),
        "domain.chat" => tr("Domain chat service", "Servizio chat del dominio"),
        "domain.branding" => tr("Webmail company name", "Nome azienda della webmail"),
        "domain.logo" => tr("Webmail logo", "Logo della webmail"),
        "customer.slots" => tr("Mailboxes bought", "Caselle acquistate"),
        "mailbox.create" => tr("Mailbox created", "Casella creata"),
        "mailbox.personal" => tr("Personal data", "Dati anagrafici"),
        "mailbox.password" => tr("Password reset", "Password reimpostata"),
        "mailbox.quota" => tr("Quota", "Spazio"),
        "mailbox.protocols" => tr("Protocols", "Protocolli"),
        "mailbox.chat" => tr("Chat", "Chat"),
        "mailbox.send_tier" => tr("Daily send limit", "Limite invio giornaliero"),
        "mailbox.alias.add" => tr("Alias added", "Alias aggiunto"),
        "mailbox.alias.remove" => tr("Alias removed", "Alias rimosso"),
        "mailbox.delete" => tr("Mailbox deleted", "Casella eliminata"),
        _ => "",
    }
}

/// The role an entry was made in.
fn role_label(role: &str) -> String {
    match role {
        "operator" => tr("operator", "operatore").to_string(),
        "manager" => "manager".to_string(),
        "postmaster" => "postmaster".to_string(),
        "user" => tr("user", "utente").to_string(),
        other => other.to_string(),
    }
}

/// A before/after value: data as stored, except the few words the log stores as tokens.
fn value(stored: Option<String>) -> String {
    let Some(stored) = stored else {
        return String::new();
    };
    match stored.as_str() {
        "on" => tr("ACTIVE", "ATTIVO").to_string(),
        "off" => tr("NOT ACTIVE", "NON ATTIVO").to_string(),
        "generated" => tr("generated", "generata").to_string(),
        "set" => tr("chosen", "scelta").to_string(),
        _ => stored,
    }
}
