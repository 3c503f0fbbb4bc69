// SPDX-License-Identifier: AGPL-3.0-only
//! Any unknown address.

use leptos::prelude::*;

use crate::i18n::tr;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page narrow">
            <h1>{tr("Page not found", "Pagina non trovata")}</h1>
            <p>
                <a href="/">{tr("Back to Casella", "Torna a Casella")}</a>
            </p>
        </main>
    }
}
