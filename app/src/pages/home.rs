// SPDX-License-Identifier: AGPL-3.0-only
//! `/`: sends each person to their own page, or to sign-in.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::auth::current_user;

#[component]
pub fn Home() -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let path = match who.await {
                    Ok(Some(me)) => me.home(),
                    _ => "/login".to_string(),
                };
                view! { <Redirect path=path /> }
            })}
        </Suspense>
    }
}
