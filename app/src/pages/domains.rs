// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains`: the domains a manager (or postmaster) administers, to pick one.

use leptos::prelude::*;

use crate::i18n::tr;
use leptos_meta::Title;

use crate::{
    components::Guarded,
    dto::{Me, Role},
};

#[component]
pub fn DomainsPage() -> impl IntoView {
    view! {
        <Title text=tr("Domains · Casella", "Domini · Casella") />
        <Guarded roles=&[Role::Manager, Role::Postmaster]>
            <DomainsBody />
        </Guarded>
    }
}

#[component]
fn DomainsBody() -> impl IntoView {
    let domains = use_context::<Me>().map(|me| me.domains).unwrap_or_default();
    view! {
        <h1>{tr("Your domains", "I tuoi domini")}</h1>
        <section class="card">
            {if domains.is_empty() {
                view! { <p class="empty">{tr("No domain is assigned to you yet.", "Nessun dominio ti è ancora assegnato.")}</p> }.into_any()
            } else {
                view! {
                    <ul class="domain-list" id="my-domains">
                        {domains
                            .into_iter()
                            .map(|d| view! { <li><a href=format!("/domains/{d}")>{d.clone()}</a></li> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
