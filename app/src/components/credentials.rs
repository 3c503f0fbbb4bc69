// SPDX-License-Identifier: AGPL-3.0-only
//! A generated password, shown once with a warning that it will not be shown again.

use leptos::prelude::*;

use crate::dto::OneTimeCredentials;

#[component]
pub fn CredentialsNotice(credentials: OneTimeCredentials, title: &'static str) -> impl IntoView {
    view! {
        <section class="notice credentials" aria-live="polite">
            <h2>{title}</h2>
            <p>"Copy this password now: it is shown only once and cannot be read back later."</p>
            <dl>
                <dt>"Login"</dt>
                <dd class="credential-login">{credentials.login}</dd>
                <dt>"Password"</dt>
                <dd>
                    <code class="credential-password">{credentials.password}</code>
                </dd>
            </dl>
        </section>
    }
}
