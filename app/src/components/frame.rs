// SPDX-License-Identifier: AGPL-3.0-only
//! The page frame (header, who is signed in, sign-out) and the sign-in guard.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::{
    api::auth::{Logout, current_user},
    components::ErrorMessage,
    dto::{Me, Role},
    i18n::{Lang, tr, use_lang},
};

/// Renders `children` for a signed-in person of one of `roles`; sends everyone else to the
/// sign-in page or to their own home page, and anyone who must change the password first to
/// the password page.
#[component]
pub fn Guarded(
    roles: &'static [Role],
    /// This is the password page, reachable before the required change.
    #[prop(optional)]
    password_page: bool,
    /// This is the security page, reachable before a required two-factor enrolment.
    #[prop(optional)]
    security_page: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    let children = StoredValue::new(children);
    // Not a reactive closure: the person is asked for once, so the page is made once. A
    // closure that awaited the answer was woken again by it on the server now and then, and
    // made the page twice; the browser, making it once, then found the page's data under
    // other numbers and never brought the page to life.
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match who.await {
                    Ok(Some(me)) if me.must_change_password && !password_page => {
                        view! { <Redirect path="/password" /> }.into_any()
                    }
                    Ok(Some(me))
                        if me.must_enrol_two_factor && !security_page && !password_page =>
                    {
                        view! { <Redirect path="/account/security" /> }.into_any()
                    }
                    Ok(Some(me)) if roles.contains(&me.role) => {
                        // Pages inside read who is signed in from the context.
                        provide_context(me.clone());
                        view! { <Frame me=me.clone()>{children.read_value()()}</Frame> }
                            .into_any()
                    }
                    Ok(Some(me)) => view! { <Redirect path=me.home() /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(err) => {
                        view! { <ErrorMessage error=err /> }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Header and main area of every signed-in page.
#[component]
pub fn Frame(me: Me, children: Children) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let role = match me.role {
        Role::Operator => tr("Operator", "Operatore"),
        Role::Manager => "Manager",
        Role::Delegate => tr("Delegate", "Delegato"),
        Role::Postmaster => "Postmaster",
        Role::User => tr("Mailbox", "Casella"),
    };
    // The chat is the mailbox's: users and postmasters, once they may use the pages.
    let chat = matches!(me.role, Role::User | Role::Postmaster)
        && !me.must_change_password
        && !me.must_enrol_two_factor;
    let nav = if me.must_change_password || me.must_enrol_two_factor {
        Vec::new()
    } else {
        nav_links(&me)
    };
    let mailbox = matches!(me.role, Role::User | Role::Postmaster);
    if crate::shell::PagePart::current() == crate::shell::PagePart::Main {
        // Only what a page shown in place takes (see `PagePart`).
        return view! {
            {mailbox.then(|| view! { <super::BrowserCode /> })}
            <LangSwitch />
            <main class="page">{children()}</main>
        }
        .into_any();
    }
    view! {
        <header class="topbar">
            <a class="brand" href=me.home()>
                "Casella"
            </a>
            <nav class="mainnav" aria-label=tr("Main", "Principale")>
                {nav
                    .into_iter()
                    .map(|(href, label)| view! { <a href=href>{label}</a> })
                    .collect_view()}
            </nav>
            <span class="who">
                <span class="role">{role}</span>
                " "
                <span class="login">{me.login.clone()}</span>
            </span>
            // The mailbox's pages have islands (the chat, the live lists, the editor).
            {mailbox.then(|| view! { <super::BrowserCode /> })}
            {chat.then(|| view! { <super::ChatDock /> })}
            <LangSwitch />
            <ActionForm action=logout attr:class="logout">
                <button type="submit" class="secondary">
                    {tr("Sign out", "Esci")}
                </button>
            </ActionForm>
        </header>
        <main class="page">{children()}</main>
    }
    .into_any()
}

/// The links of the main menu for each role; a manager gets one per domain (the switcher).
fn nav_links(me: &Me) -> Vec<(String, String)> {
    let mut links: Vec<(String, String)> = match me.role {
        Role::Operator => vec![
            ("/operator/domains".into(), tr("Domains", "Domini").into()),
            (
                "/operator/customers".into(),
                tr("Customers and plans", "Clienti e piani").into(),
            ),
            ("/operator/managers".into(), "Manager".into()),
            ("/operator/monitor".into(), "Monitor".into()),
        ],
        Role::Manager | Role::Postmaster => me
            .domains
            .iter()
            .map(|d| (format!("/domains/{d}"), d.clone()))
            .collect(),
        Role::Delegate => vec![("/archive".into(), tr("Archives", "Archivi").into())],
        Role::User => vec![
            ("/mail".into(), tr("Mail", "Posta").into()),
            ("/account".into(), tr("My mailbox", "La mia casella").into()),
        ],
    };
    if me.role == Role::Postmaster {
        links.push(("/mail".into(), tr("Mail", "Posta").into()));
        links.push(("/account".into(), tr("My mailbox", "La mia casella").into()));
    }
    if me.role == Role::Manager {
        links.push(("/delegates".into(), tr("Delegates", "Delegati").into()));
    }
    if !matches!(me.role, Role::User | Role::Delegate) {
        links.push(("/audit".into(), tr("Audit log", "Registro attività").into()));
    }
    links.push((
        "/account/security".into(),
        tr("Security", "Sicurezza").into(),
    ));
    links.push(("/password".into(), "Password".into()));
    links
}

/// Links to the page in the other language (a full page load, with or without JavaScript).
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let here = leptos_router::hooks::use_location();
    let link = move |to: Lang| {
        let back = format!(
            "{}{}",
            here.pathname.get_untracked(),
            here.search.get_untracked()
        );
        format!(
            "/lang/{}?back={}",
            to.code(),
            crate::format::urlencode(&back)
        )
    };
    view! {
        <nav class="lang" aria-label=tr("Language", "Lingua")>
            {[(Lang::It, "IT", "Italiano"), (Lang::En, "EN", "English")]
                .into_iter()
                .map(|(to, short, name)| {
                    if to == lang {
                        view! { <span aria-current="true" title=name>{short}</span> }.into_any()
                    } else {
                        view! {
                            <a href=link(to) hreflang=to.code() title=name rel="external nofollow">
                                {short}
                            </a>
                        }
                            .into_any()
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// Reloads the page every `seconds` seconds while a long task runs: the page is HTML from the
/// server, so each load shows how far the task got, with or without JavaScript.
#[component]
pub fn ReloadWhileRunning(seconds: u32) -> impl IntoView {
    view! { <leptos_meta::Meta http_equiv="refresh" content=seconds.to_string() /> }
}
