// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail follows its mailbox live. A page opens one stream of the server's change events
//! (`/webmail/events`: a delivery, an IMAP client, another tab) and counts them; the page's
//! islands (the folder list, the quota, the message list) watch the count and fetch what they
//! show again when it moves. An action taken in the page moves it too. Without JavaScript the
//! page is as fresh as its last load.

use leptos::prelude::*;

/// How many changes this page has seen since it was loaded (0 on the server).
pub fn changes() -> ArcRwSignal<u32> {
    #[cfg(feature = "hydrate")]
    {
        browser::changes()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        ArcRwSignal::new(0)
    }
}

/// Counts a change made by the page itself, so every island shows it at once.
pub fn changed() {
    changes().update(|n| *n = n.wrapping_add(1));
}

/// Runs `fetch` each time the mailbox changes after the page was loaded (not for the state the
/// server rendered, which the island already shows).
pub fn on_change(fetch: impl Fn() + 'static) {
    let changes = changes();
    Effect::new(move |seen: Option<u32>| {
        let now = changes.get();
        if seen.is_some_and(|seen| seen != now) {
            fetch();
        }
        now
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::OnceCell;

    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure};

    thread_local! {
        static CHANGES: OnceCell<ArcRwSignal<u32>> = const { OnceCell::new() };
    }

    /// The page's count, and its event stream, opened the first time it is asked for and kept
    /// for the page's life.
    pub fn changes() -> ArcRwSignal<u32> {
        CHANGES.with(|cell| cell.get_or_init(open).clone())
    }

    fn open() -> ArcRwSignal<u32> {
        let count = ArcRwSignal::new(0u32);
        if let Ok(source) = web_sys::EventSource::new("/webmail/events") {
            let bump = count.clone();
            let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                bump.update(|n| *n = n.wrapping_add(1));
            });
            let _ =
                source.add_event_listener_with_callback("mail", on_change.as_ref().unchecked_ref());
            // Both live as long as the page: the browser closes the stream when it goes.
            on_change.forget();
            std::mem::forget(source);
        }
        count
    }
}
