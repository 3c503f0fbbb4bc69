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
    let part = PagePart::asked();
    provide_context(part);
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8" />
                {(part == PagePart::Whole)
                    .then(|| {
                        view! {
                            <meta name="viewport" content="width=device-width, initial-scale=1" />
                            <meta name="color-scheme" content="light dark" />
                            <link rel="icon" href=ICON type="image/svg+xml" />
                            <link rel="stylesheet" id="casella" href=stylesheet />
                        }
                    })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The site's icon (`public/favicon.svg`, which stays for those who ask for it by name), in
/// the page: a new visitor's browser asks for no file, and the webmail shown in place makes
/// Chromium look for none after each page.
pub(crate) const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
    viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%231f5fbf'/%3E%3Cpath \
    d='M6 10h20v13H6z' fill='none' stroke='%23fff' stroke-width='2'/%3E%3Cpath d='M6 10l10 8 \
    10-8' fill='none' stroke='%23fff' stroke-width='2'/%3E%3C/svg%3E";

/// How much of a page a request asks for. The webmail's in-place navigation (`mail_nav`) keeps
/// the document it has and takes from the next page only its main area, language links, title
/// and the name of its browser code; it asks with [`PagePart::HEADER`], and the rest (the
/// head's links, the header with its menu and chat) is left out of the answer. Pages are
/// `no-store`, so no cache can hand the part to someone who asked for the whole page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagePart {
    Whole,
    /// The main area, the language links, the title, the browser code's loader and the
    /// head's other meta tags (a refresh).
    Main,
}

impl PagePart {
    /// The request header (and its one value) that asks for [`PagePart::Main`].
    pub const HEADER: (&'static str, &'static str) = ("x-casella-part", "main");

    /// What the request being rendered asks for (the whole page, outside a request).
    fn asked() -> PagePart {
        #[cfg(feature = "ssr")]
        {
            let (name, value) = PagePart::HEADER;
            let main = use_context::<axum::http::request::Parts>()
                .is_some_and(|parts| parts.headers.get(name).is_some_and(|v| v == value));
            if main {
                return PagePart::Main;
            }
        }
        PagePart::Whole
    }

    /// What the page being rendered was asked for.
    pub fn current() -> PagePart {
        use_context::<PagePart>().unwrap_or(PagePart::Whole)
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_icon_in_the_page_is_the_site_icon() {
        let encoded = super::ICON
            .strip_prefix("data:image/svg+xml,")
            .expect("an SVG data address");
        let mut decoded = Vec::new();
        let mut bytes = encoded.bytes();
        while let Some(b) = bytes.next() {
            if b == b'%' {
                let hex: String = bytes.by_ref().take(2).map(char::from).collect();
                decoded.push(u8::from_str_radix(&hex, 16).expect("two hex digits"));
            } else {
                decoded.push(b);
            }
        }
        let file = include_str!("../../public/favicon.svg").replace('"', "'");
        assert_eq!(String::from_utf8(decoded).unwrap(), file.trim_end());
    }
}
