// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail follows its mailbox live. A page opens one stream of the server's change events
//! (`/webmail/events`: a delivery, an IMAP client, another tab) and counts them; the page's
//! islands (the folder list, the quota, the message list) watch the count and fetch what they
//! show again when it moves. An action taken in the page moves it too. Each event also says
//! how much space the mailbox uses now, which the quota bar shows without asking. Without
//! JavaScript the page is as fresh as its last load.

use leptos::prelude::*;

use crate::dto::{MailFolder, MailQuota};

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

/// The space the mailbox used at the last change this page was told of (`None` before one).
pub fn quota() -> ArcRwSignal<Option<MailQuota>> {
    #[cfg(feature = "hydrate")]
    {
        browser::quota()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        ArcRwSignal::new(None)
    }
}

/// The folder list as the folder column last fetched it after a change (`None` before one):
/// the message list's island takes it from there rather than asking for it again.
pub fn folders() -> ArcRwSignal<Option<Vec<MailFolder>>> {
    #[cfg(feature = "hydrate")]
    {
        browser::folders()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        ArcRwSignal::new(None)
    }
}

/// Runs `show` with each value `told` takes after the calling island started (one taken
/// before is older than what the server rendered for it).
fn after_start<T: Clone + Send + Sync + 'static>(
    told: ArcRwSignal<Option<T>>,
    show: impl Fn(T) + 'static,
) {
    Effect::new(move |started: Option<()>| {
        let value = told.get();
        if let (Some(()), Some(value)) = (started, value) {
            show(value);
        }
    });
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

/// Runs `show` with each quota the change stream tells of after the calling island started.
pub fn on_quota(show: impl Fn(MailQuota) + 'static) {
    after_start(quota(), show);
}

/// Runs `show` with each folder list fetched after a change once the calling island started.
pub fn on_folders(show: impl Fn(Vec<MailFolder>) + 'static) {
    after_start(folders(), show);
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::OnceCell;

    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure};

    use crate::dto::{MailFolder, MailQuota};

    /// What the stream has told: how many changes, and the quota at the last one; and the
    /// folders fetched after the last one.
    #[derive(Clone)]
    struct Told {
        changes: ArcRwSignal<u32>,
        quota: ArcRwSignal<Option<MailQuota>>,
        folders: ArcRwSignal<Option<Vec<MailFolder>>>,
    }

    thread_local! {
        static TOLD: OnceCell<Told> = const { OnceCell::new() };
    }

    /// The page's count, and its event stream, opened the first time it is asked for and kept
    /// for the page's life.
    pub fn changes() -> ArcRwSignal<u32> {
        TOLD.with(|cell| cell.get_or_init(open).changes.clone())
    }

    pub fn quota() -> ArcRwSignal<Option<MailQuota>> {
        TOLD.with(|cell| cell.get_or_init(open).quota.clone())
    }

    pub fn folders() -> ArcRwSignal<Option<Vec<MailFolder>>> {
        TOLD.with(|cell| cell.get_or_init(open).folders.clone())
    }

    fn open() -> Told {
        let told = Told {
            changes: ArcRwSignal::new(0u32),
            quota: ArcRwSignal::new(None),
            folders: ArcRwSignal::new(None),
        };
        if let Ok(source) = web_sys::EventSource::new("/webmail/events") {
            let Told { changes, quota, .. } = told.clone();
            let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    let figure = event
                        .data()
                        .as_string()
                        .and_then(|data| serde_json::from_str::<MailQuota>(&data).ok());
                    if figure.is_some() {
                        quota.set(figure);
                    }
                    changes.update(|n| *n = n.wrapping_add(1));
                },
            );
            let _ =
                source.add_event_listener_with_callback("mail", on_change.as_ref().unchecked_ref());
            // Both live as long as the page: the browser closes the stream when it goes.
            on_change.forget();
            std::mem::forget(source);
        }
        told
    }
}
