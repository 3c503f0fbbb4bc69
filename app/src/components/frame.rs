// SPDX-License-Identifier: AGPL-3.0-only
//! The page frame (header, who is signed in, sign-out) and the sign-in guard.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::{
    api::auth::{Logout, current_user},
    components::ErrorMessage,
    dto::{Me, Role},
};

/// Renders `children` for a signed-in person of one of `roles`; sends everyone else to the
/// sign-in page or to their own home page.
#[component]
pub fn Guarded(roles: &'static [Role], children: ChildrenFn) -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match who.await {
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
        Role::Operator => "Operator",
        Role::Postmaster => "Postmaster",
        Role::User => "Mailbox",
    };
    view! {
        <header class="topbar">
            <a class="brand" href=me.home()>
                "Casella"
            </a>
            <span class="who">
                <span class="role">{role}</span>
                " "
                <span class="login">{me.login.clone()}</span>
            </span>
            <ActionForm action=logout attr:class="logout">
                <button type="submit" class="secondary">
                    "Sign out"
                </button>
            </ActionForm>
        </header>
        <main class="page">{children()}</main>
    }
}
