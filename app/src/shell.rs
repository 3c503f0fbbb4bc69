// SPDX-License-Identifier: AGPL-3.0-only
//! The HTML shell and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::i18n::current_lang;
use crate::pages::{
    access_log::AccessLogPage,
    account::AccountPage,
    archive::ArchivePage,
    audit::AuditPage,
    compose::ComposePage,
    delegates::{DelegatePage, DelegatesPage},
    domain_dns::DomainDnsPage,
    domain_groups::DomainGroupsPage,
    domain_mailboxes::DomainMailboxes,
    domain_overview::DomainOverviewPage,
    domains::DomainsPage,
    home::Home,
    login::LoginPage,
    login_code::LoginCodePage,
    mail::MailPage,
    mail_folders::MailFoldersPage,
    mail_rules::MailRulesPage,
    mail_settings::MailSettingsPage,
    mailbox_page::MailboxPage,
    not_found::NotFound,
    operator_customers::OperatorCustomers,
    operator_domains::OperatorDomains,
    operator_managers::OperatorManagers,
    operator_monitor::OperatorMonitor,
    password::PasswordPage,
    security::SecurityPage,
    time_machine::TimeMachinePage,
    trace::TracePage,
};

/// The document around every page, rendered on the server. The browser code is not named
/// here: a page that has islands asks for it where they are (`BrowserCode`), so a page without
/// any (the sign-in, the operator's and manager's pages) is plain HTML.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    #[cfg(feature = "ssr")]
    let options = crate::assets::versioned(options);
    // Islands mode: what is outside an island is never brought to life in the browser, so
    // none of it needs the markers or the data of hydration (islands switch it on inside).
    #[cfg(feature = "ssr")]
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let stylesheet = format!("/{}/casella.css", options.site_pkg_dir);
    let lang = current_lang().code();
    provide_context(crate::components::BrowserCodeOnce::new(options));
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" id="casella" href=stylesheet />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from this site or inline with this
/// response's nonce (the hydration script and the serialized resources carry it), wasm
/// allowed to compile, no plugins, no framing, forms posting only here. Mail HTML never
/// enters these pages.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    use axum::http::{HeaderValue, header::CONTENT_SECURITY_POLICY};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// The application: every page behind one router, on the server only. Pages render fully
/// before anything is sent (`SsrMode::Async`), so a page works without JavaScript and a
/// sign-in redirect can still set its status code; every link is a page load.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(current_lang());
    view! {
        <Title text="Casella" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home ssr=SsrMode::Async />
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/login/code") view=LoginCodePage ssr=SsrMode::Async />
                <Route
                    path=path!("/operator/domains")
                    view=OperatorDomains
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/operator/customers")
                    view=OperatorCustomers
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/operator/managers")
                    view=OperatorManagers
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/operator/monitor")
                    view=OperatorMonitor
                    ssr=SsrMode::Async
                />
                <Route path=path!("/domains") view=DomainsPage ssr=SsrMode::Async />
                <Route path=path!("/domains/:domain") view=DomainOverviewPage ssr=SsrMode::Async />
                <Route
                    path=path!("/domains/:domain/access")
                    view=AccessLogPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/domains/:domain/trace")
                    view=TracePage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/domains/:domain/dns")
                    view=DomainDnsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/domains/:domain/groups")
                    view=DomainGroupsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/domains/:domain/mailboxes")
                    view=DomainMailboxes
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/domains/:domain/mailboxes/:address")
                    view=MailboxPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/folders") view=MailFoldersPage ssr=SsrMode::Async />
                <Route path=path!("/compose") view=ComposePage ssr=SsrMode::Async />
                <Route path=path!("/mail/rules") view=MailRulesPage ssr=SsrMode::Async />
                <Route path=path!("/mail/settings") view=MailSettingsPage ssr=SsrMode::Async />
                <Route path=path!("/time-machine") view=TimeMachinePage ssr=SsrMode::Async />
                <Route path=path!("/archive") view=ArchivePage ssr=SsrMode::Async />
                <Route path=path!("/delegates") view=DelegatesPage ssr=SsrMode::Async />
                <Route path=path!("/delegates/:login") view=DelegatePage ssr=SsrMode::Async />
                // One page for the lists and the messages (after the pages above, which it
                // would match too). The page reads the folder and the message from the
                // address; the routes below only say which addresses are its.
                <ParentRoute path=path!("/mail") view=MailPage ssr=SsrMode::Async>
                    <Route path=path!("") view=|| () ssr=SsrMode::Async />
                    <Route path=path!(":folder/:id?") view=|| () ssr=SsrMode::Async />
                </ParentRoute>
                <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                <Route path=path!("/password") view=PasswordPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                <Route path=path!("/account/security") view=SecurityPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
