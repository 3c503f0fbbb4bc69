// SPDX-License-Identifier: AGPL-3.0-only
//! Moving through the webmail without leaving the document.
//!
//! Every webmail page is HTML from the server, and every link and search form works as one
//! without JavaScript. With it, a click on a link to another webmail page (a folder, a
//! message, the next page of a list) and a search fetch that page's HTML and put its main
//! area in place of the current one: the document stays, and with it the header, the chat
//! (its socket and open conversations), the mailbox's change stream and the browser code
//! already running. Only the new main area's islands are woken. The fetch asks for that part
//! of the page only (`PagePart::Main`): the server leaves out the header and the head's links,
//! which the document already has.
//!
//! Anything else is an ordinary page load: a link with a modifier key, a target or a
//! download; a page outside the webmail; a page that needs another build of the browser code
//! (the compose page), a newer release of it, or a refresh; a page that could not be fetched.
//!
//! The islands of the main area go with it: each calls [`owned_by_page`] when it starts, and
//! its reactive owner is cleaned up (listeners removed, effects stopped) when its page is
//! replaced.

/// Ties the calling island to the page it is on: its owner is cleaned up when the page's
/// main area is replaced. Every island inside the main area calls it first; the header's
/// (the chat) do not, and live as long as the document.
pub fn owned_by_page() {
    #[cfg(feature = "hydrate")]
    if let Some(owner) = leptos::prelude::Owner::current() {
        browser::PAGE_OWNERS.with(|owners| owners.borrow_mut().push(owner));
    }
}

/// Whether `path` (an address's path) is a webmail page this module may fetch and show in
/// place: the Inbox, a folder, a message, a search (never the compose page, which has its own
/// build of the browser code, nor a file served under `/mail/`).
pub fn in_place(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/mail") else {
        return false;
    };
    match rest.strip_prefix('/') {
        None => rest.is_empty(),
        // Folder and message ids have no dot; the files served under `/mail/` have one.
        Some(rest) => !rest.contains('.'),
    }
}

#[cfg(feature = "hydrate")]
pub use browser::install;

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};

    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue, closure::Closure, prelude::wasm_bindgen};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Document, Element, HtmlElement, Url};

    thread_local! {
        /// The owners of the islands in the main area shown now.
        pub(super) static PAGE_OWNERS: RefCell<Vec<Owner>> = const { RefCell::new(Vec::new()) };
        /// The latest navigation; an older one's answer is dropped when it comes.
        static LATEST: Cell<u32> = const { Cell::new(0) };
        /// The path and query of the page shown (a change of `#fragment` alone is not a
        /// navigation).
        static SHOWN: RefCell<String> = const { RefCell::new(String::new()) };
    }

    #[wasm_bindgen]
    extern "C" {
        /// The loader's: wakes one island of the page with its function from the browser code.
        #[wasm_bindgen(js_name = __hydrateIsland, catch)]
        fn hydrate_island(el: &HtmlElement, id: &str) -> Result<JsValue, JsValue>;
    }

    /// Starts following clicks, searches and the history's back and forward (once, from the
    /// main build's entry point: the compose page's build does not navigate in place).
    pub fn install() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let document = leptos::prelude::document();
        // Only a page with a main area to replace, and the code that can replace it.
        if document
            .query_selector("main.page")
            .ok()
            .flatten()
            .is_none()
            || bundle(&document).is_none()
        {
            return;
        }
        SHOWN.with(|shown| *shown.borrow_mut() = here());

        let on_click = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(|ev: web_sys::MouseEvent| {
            if let Some(url) = clicked(&ev) {
                ev.prevent_default();
                go(url, Step::Push);
            }
        });
        let on_submit =
            Closure::<dyn FnMut(web_sys::SubmitEvent)>::new(|ev: web_sys::SubmitEvent| {
                if let Some(url) = searched(&ev) {
                    ev.prevent_default();
                    go(url, Step::Push);
                }
            });
        let on_pop = Closure::<dyn FnMut(web_sys::Event)>::new(|_| {
            let now = here();
            if SHOWN.with(|shown| *shown.borrow() != now)
                && let Ok(href) = web_sys::window()
                    .map(|w| w.location().href())
                    .unwrap_or(Ok(String::new()))
                && let Ok(url) = Url::new(&href)
            {
                go(url, Step::Traverse);
            }
        });
        // Bubbling: a handler inside the page that takes the click (selection, dragging) has
        // prevented it by the time it gets here.
        let _ =
            document.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        let _ =
            document.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
        let _ =
            window.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
        // They serve as long as the document.
        on_click.forget();
        on_submit.forget();
        on_pop.forget();
    }

    /// How a navigation enters the history.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Step {
        /// A new entry (a link or a search).
        Push,
        /// Back or forward: the entry is already there.
        Traverse,
    }

    /// The path and query of the address shown.
    fn here() -> String {
        web_sys::window()
            .and_then(|w| w.location().href().ok())
            .and_then(|href| Url::new(&href).ok())
            .map(|url| path_and_query(&url))
            .unwrap_or_default()
    }

    /// What names a page: the path and query, without the `#fragment`.
    fn path_and_query(url: &Url) -> String {
        format!("{}{}", url.pathname(), url.search())
    }

    /// The webmail address a plain click on a link goes to, if this module takes it.
    fn clicked(ev: &web_sys::MouseEvent) -> Option<Url> {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return None;
        }
        let link = ev
            .target()?
            .dyn_into::<Element>()
            .ok()?
            .closest("a[href]")
            .ok()??
            .dyn_into::<web_sys::HtmlAnchorElement>()
            .ok()?;
        if !link.target().is_empty()
            || link.has_attribute("download")
            || link.rel().split_whitespace().any(|r| r == "external")
        {
            return None;
        }
        let url = Url::new(&link.href()).ok()?;
        // A jump within the page shown stays the browser's.
        if !url.hash().is_empty() && SHOWN.with(|s| *s.borrow() == path_and_query(&url)) {
            return None;
        }
        ours(url)
    }

    /// The webmail address a search form (a form that gets a page) goes to.
    fn searched(ev: &web_sys::SubmitEvent) -> Option<Url> {
        if ev.default_prevented() {
            return None;
        }
        let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
        if !form.method().eq_ignore_ascii_case("get") || !form.target().is_empty() {
            return None;
        }
        let data = web_sys::FormData::new_with_form(&form).ok()?;
        // The button pressed counts when it has a name, as in a page load.
        if let Some(button) = ev.submitter()
            && let Some(name) = button.get_attribute("name").filter(|n| !n.is_empty())
        {
            let value = button.get_attribute("value").unwrap_or_default();
            let _ = data.append_with_str(&name, &value);
        }
        let query = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        let url = Url::new(&form.action()).ok()?;
        url.set_search(&String::from(query.to_string()));
        url.set_hash("");
        ours(url)
    }

    /// `url`, if it is a webmail page of this origin.
    fn ours(url: Url) -> Option<Url> {
        let origin = web_sys::window()?.location().origin().ok()?;
        (url.origin() == origin && super::in_place(&url.pathname())).then_some(url)
    }

    /// Shows the page at `url` in place, or loads it if it cannot be.
    fn go(url: Url, step: Step) {
        let number = LATEST.with(|latest| {
            latest.set(latest.get().wrapping_add(1));
            latest.get()
        });
        mark_busy(true);
        leptos::task::spawn_local(async move {
            let href = url.href();
            let shown = fetch_page(&href).await;
            if LATEST.with(Cell::get) != number {
                return; // a later click won
            }
            mark_busy(false);
            match shown {
                Ok((final_href, new)) => {
                    if !replace_main(&new) {
                        load(&final_href);
                        return;
                    }
                    let target = match Url::new(&final_href) {
                        Ok(to) => {
                            to.set_hash(&url.hash());
                            to.href()
                        }
                        Err(_) => href,
                    };
                    if step == Step::Push
                        && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
                    {
                        let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&target));
                    }
                    SHOWN.with(|s| *s.borrow_mut() = here());
                    arrive(&url.hash(), step);
                }
                Err(href) => load(&href),
            }
        });
    }

    /// The page's HTML parsed, with its final address (after any redirect); or the address to
    /// load as a page instead (what came was not a webmail page, or nothing came).
    async fn fetch_page(href: &str) -> Result<(String, Document), String> {
        let window = web_sys::window().ok_or_else(|| href.to_string())?;
        let init = web_sys::RequestInit::new();
        let headers = web_sys::Headers::new().map_err(|_| href.to_string())?;
        let _ = headers.set("Accept", "text/html");
        let (part, main) = crate::shell::PagePart::HEADER;
        let _ = headers.set(part, main);
        init.set_headers(&headers);
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(href, &init))
                .await
                .ok()
                .and_then(|r| r.dyn_into().ok())
                .ok_or_else(|| href.to_string())?;
        let final_href = response.url();
        let final_href = if final_href.is_empty() {
            href.to_string()
        } else {
            final_href
        };
        let html = response
            .headers()
            .get("content-type")
            .ok()
            .flatten()
            .is_some_and(|t| t.starts_with("text/html"));
        let path = Url::new(&final_href)
            .map(|u| u.pathname())
            .unwrap_or_default();
        if !html || !super::in_place(&path) {
            return Err(final_href);
        }
        let text = JsFuture::from(response.text().map_err(|_| final_href.clone())?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| final_href.clone())?;
        let doc = web_sys::DomParser::new()
            .and_then(|p| p.parse_from_string(&text, web_sys::SupportedType::TextHtml))
            .map_err(|_| final_href.clone())?;
        Ok((final_href, doc))
    }

    /// Puts the new page's main area, language links and title in place of the current ones,
    /// after cleaning up the islands that go; false (nothing touched) if the new page needs
    /// a page load: another build of the browser code, a refresh, or no main area.
    fn replace_main(new: &Document) -> bool {
        let document = leptos::prelude::document();
        let (Some(old_main), Some(new_main)) = (
            document.query_selector("main.page").ok().flatten(),
            new.query_selector("main.page").ok().flatten(),
        ) else {
            return false;
        };
        if bundle(&document) != bundle(new)
            || new
                .query_selector("meta[http-equiv=refresh]")
                .ok()
                .flatten()
                .is_some()
        {
            return false;
        }
        let focused_inside = document
            .active_element()
            .is_some_and(|el| old_main.contains(Some(&el)));
        for owner in PAGE_OWNERS.with(|owners| std::mem::take(&mut *owners.borrow_mut())) {
            owner.cleanup();
        }
        document.set_title(&new.title());
        if let (Ok(Some(old)), Ok(Some(fresh))) = (
            document.query_selector("nav.lang"),
            new.query_selector("nav.lang"),
        ) {
            let _ = old.replace_with_with_node_1(&fresh);
        }
        let _ = old_main.replace_with_with_node_1(&new_main);
        // Wake the new islands, in the order of the page (as the loader does).
        if let Ok(islands) = new_main.query_selector_all("leptos-island") {
            for i in 0..islands.length() {
                if let Some(island) = islands
                    .item(i)
                    .and_then(|n| n.dyn_into::<HtmlElement>().ok())
                {
                    let id = island.get_attribute("data-component").unwrap_or_default();
                    let _ = hydrate_island(&island, &id);
                }
            }
        }
        // Someone on the keyboard (or a screen reader) goes on from the new main area.
        if focused_inside && let Ok(main) = new_main.dyn_into::<HtmlElement>() {
            main.set_tab_index(-1);
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = main.focus_with_options(&options);
        }
        true
    }

    /// Scrolls as a page load would: to the `#fragment`, or to the top.
    fn arrive(hash: &str, step: Step) {
        let document = leptos::prelude::document();
        let target = hash
            .strip_prefix('#')
            .filter(|id| !id.is_empty())
            .and_then(|id| document.get_element_by_id(id));
        match target {
            Some(el) => el.scroll_into_view(),
            None if step == Step::Push => {
                if let Some(window) = web_sys::window() {
                    window.scroll_to_with_x_and_y(0.0, 0.0);
                }
            }
            // Back to a list: the list puts itself where it was.
            None => {}
        }
    }

    /// The browser code a page loads (its loader's module, with the release in its path).
    fn bundle(document: &Document) -> Option<String> {
        document
            .query_selector("link[rel=modulepreload]")
            .ok()
            .flatten()
            .and_then(|link| link.get_attribute("href"))
    }

    /// Marks the document while a page is being fetched (the style shows it; tests wait on it).
    fn mark_busy(busy: bool) {
        if let Some(root) = leptos::prelude::document().document_element() {
            let _ = if busy {
                root.set_attribute("aria-busy", "true")
            } else {
                root.remove_attribute("aria-busy")
            };
        }
    }

    /// An ordinary page load.
    fn load(href: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(href);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_place;

    #[test]
    fn only_the_webmail_views_are_shown_in_place() {
        for path in [
            "/mail",
            "/mail/",
            "/mail/inbox-id",
            "/mail/a1b2/m3",
            "/mail/rules",
            "/mail/settings",
        ] {
            assert!(in_place(path), "{path}");
        }
        for path in [
            "/",
            "/mailx",
            "/compose",
            "/account",
            "/folders",
            "/time-machine",
            "/mail/config-v1.1.xml",
            "/webmail/blob/x",
            "/login",
        ] {
            assert!(!in_place(path), "{path}");
        }
    }
}
