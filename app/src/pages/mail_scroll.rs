// SPDX-License-Identifier: AGPL-3.0-only
//! A long folder scrolls on: with JavaScript, the pages after the one shown are fetched as the
//! end of the list comes near and added below it, and pages far above the screen are taken
//! out again, a spacer of their height keeping everything else where it was. A folder of
//! 50,000 messages so never has more than a few pages of rows in the document, however far
//! it is scrolled; scrolling back up brings the pages back. Without JavaScript the list is
//! paged with its Newer / Older links, which the scrolling list replaces.
//!
//! The rows added are the list's own `Row`s, inside the list's form: selecting, the toolbar,
//! dragging and the keyboard work on them as on the first page. When the list is drawn again
//! (after an action, a delivery, or coming back from a message), the pages that were there
//! are fetched again and the window scrolls back to where it was.

use crate::dto::MessageList;

/// Starts following the window's scrolling for `list`, a page of a folder or of a search
/// shown in the `<ul>` of `list_ref`.
pub fn follow_scroll(
    list: &MessageList,
    drafts: bool,
    list_ref: leptos::prelude::NodeRef<leptos::html::Ul>,
) {
    #[cfg(feature = "hydrate")]
    if list.page + 1 < list.pages && !list.rows.is_empty() {
        browser::follow(
            list.folder.id.clone(),
            list.query.clone(),
            list.page,
            list.pages,
            drafts,
            list_ref,
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (list, drafts, list_ref);
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{
        any::Any,
        cell::{Cell, RefCell},
        collections::VecDeque,
        rc::Rc,
    };

    use leptos::{mount::mount_to, prelude::*, task::spawn_local};
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};

    use crate::{api::mail::list_messages, dto::MessageRow, i18n::use_lang, pages::mail::Row};

    /// Pages kept in the document below the one the server rendered, at least: a page is
    /// taken out only when it is well away from the screen, so short pages may keep more.
    const WINDOW: usize = 3;
    /// How near (in pixels) the end of what is loaded may come to the bottom of the screen
    /// before the next page is fetched.
    const BELOW: f64 = 1200.0;
    /// How near the end of the spacer may come to the top of the screen before the page it
    /// stands for is fetched back.
    const ABOVE: f64 = 400.0;
    /// How much farther than that a page must be to be taken out, so that taking one out
    /// never calls it straight back.
    const SLACK: f64 = 300.0;
    /// A page's selection boxes are numbered from page × this (a page has at most 200 rows),
    /// so every box of the form has its own name.
    const INDEX_SPAN: usize = 1000;

    /// A page added to the list: its own `<ul>`, and the rows mounted in it.
    struct Added {
        number: u64,
        list: Element,
        _rows: Box<dyn Any>,
    }

    /// Where a list was, kept when it goes, for the same list drawn again.
    #[derive(Clone)]
    struct Memory {
        key: (String, String, u64),
        pages: Vec<u64>,
        spacer_height: f64,
        scroll_y: f64,
    }

    thread_local! {
        static MEMORY: RefCell<Option<Memory>> = const { RefCell::new(None) };
    }

    struct State {
        folder: String,
        query: String,
        drafts: bool,
        lang: crate::i18n::Lang,
        /// The page the server rendered; pages before it stay behind the Newer link.
        first: u64,
        pages: u64,
        /// The spacer after the server-rendered list, standing for the pages taken out.
        spacer: HtmlElement,
        spacer_height: f64,
        added: VecDeque<Added>,
        busy: bool,
        /// The list's page ended (a page came back empty, or a fetch failed).
        stopped: bool,
        /// Pages to fetch again, in order, then where to scroll: the list as it was.
        restore: VecDeque<u64>,
        scroll_to: Option<f64>,
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Place {
        Below,
        Above,
    }

    impl State {
        fn below(&self) -> Option<u64> {
            let next = self.added.back().map_or(self.first, |a| a.number) + 1;
            (next < self.pages).then_some(next)
        }

        fn above(&self) -> Option<u64> {
            let front = self.added.front()?.number;
            (front > self.first + 1).then_some(front - 1)
        }

        fn set_spacer(&mut self, height: f64) {
            self.spacer_height = height.max(0.0);
            let _ = self
                .spacer
                .style()
                .set_property("height", &format!("{}px", self.spacer_height));
        }

        /// Where the next page goes: after the last page added, or after the spacer.
        fn last(&self) -> &Element {
            self.added.back().map_or(&self.spacer, |a| &a.list)
        }

        fn key(&self) -> (String, String, u64) {
            (self.folder.clone(), self.query.clone(), self.first)
        }

        /// Keeps where the list is, for when it is drawn again (after an action, a delivery,
        /// or coming back from a message).
        fn remember(&self) {
            let memory = (!self.added.is_empty()).then(|| Memory {
                key: self.key(),
                pages: self.added.iter().map(|a| a.number).collect(),
                spacer_height: self.spacer_height,
                scroll_y: window().scroll_y().unwrap_or(0.0),
            });
            MEMORY.with(|m| *m.borrow_mut() = memory);
        }
    }

    /// What a list starts from.
    struct Init {
        folder: String,
        query: String,
        first: u64,
        pages: u64,
        drafts: bool,
        lang: crate::i18n::Lang,
    }

    pub fn follow(
        folder: String,
        query: String,
        first: u64,
        pages: u64,
        drafts: bool,
        list_ref: NodeRef<leptos::html::Ul>,
    ) {
        let lang = use_lang();
        let alive = Rc::new(Cell::new(true));
        let state: Rc<RefCell<Option<State>>> = Rc::default();
        let init = Rc::new(Init {
            folder,
            query,
            first,
            pages,
            drafts,
            lang,
        });
        // The rows are in the document once the view is mounted, which, when the list
        // comes in place of another, is a little after the component ran.
        Effect::new({
            let state = state.clone();
            let alive = alive.clone();
            move |_| attach(state.clone(), alive.clone(), init.clone(), list_ref, 0)
        });
        let scrolled = {
            let state = state.clone();
            let alive = alive.clone();
            window_event_listener(leptos::ev::scroll, move |_| check(&state, &alive))
        };
        let resized = {
            let state = state.clone();
            let alive = alive.clone();
            window_event_listener(leptos::ev::resize, move |_| check(&state, &alive))
        };
        let kept = send_wrapper::SendWrapper::new((scrolled, resized, state, alive));
        on_cleanup(move || {
            let (scrolled, resized, state, alive) = kept.take();
            alive.set(false);
            scrolled.remove();
            resized.remove();
            // Takes out what this list added: a list drawn again may reuse the same elements
            // for its first page. Where the list was is already kept.
            if let Some(s) = state.borrow_mut().take() {
                for added in &s.added {
                    added.list.remove();
                }
                s.spacer.remove();
            }
        });
    }

    /// Puts the spacer after the list once the list is in the document, and starts.
    fn attach(
        state: Rc<RefCell<Option<State>>>,
        alive: Rc<Cell<bool>>,
        init: Rc<Init>,
        list_ref: NodeRef<leptos::html::Ul>,
        tries: u32,
    ) {
        if !alive.get() {
            return;
        }
        let Some(list) = list_ref.get_untracked().filter(|l| l.is_connected()) else {
            // Given up after ten seconds: the pager stays.
            if tries < 200 {
                set_timeout(
                    move || attach(state, alive, init, list_ref, tries + 1),
                    std::time::Duration::from_millis(50),
                );
            }
            return;
        };
        let Ok(spacer) = document().create_element("div") else {
            return;
        };
        spacer.set_class_name("list-spacer");
        let _ = spacer.set_attribute("aria-hidden", "true");
        let _ = list.after_with_node_1(&spacer);
        let Ok(spacer) = spacer.dyn_into::<HtmlElement>() else {
            return;
        };
        // The scrolling list takes the place of the Older link.
        pager(init.first > 0);
        let mut s = State {
            folder: init.folder.clone(),
            query: init.query.clone(),
            drafts: init.drafts,
            lang: init.lang,
            first: init.first,
            pages: init.pages,
            spacer,
            spacer_height: 0.0,
            added: VecDeque::new(),
            busy: false,
            stopped: false,
            restore: VecDeque::new(),
            scroll_to: None,
        };
        // Kept until this list's own place replaces it: a list drawn twice in a row (its
        // resources answering one after the other) finds it both times.
        if let Some(memory) = MEMORY.with(|m| m.borrow().clone())
            && memory.key == s.key()
        {
            s.set_spacer(memory.spacer_height);
            s.restore = memory.pages.into();
            s.scroll_to = Some(memory.scroll_y);
        }
        *state.borrow_mut() = Some(s);
        check(&state, &alive);
    }

    /// Hides the Older link, and the whole pager when the list starts at the first page (a
    /// list opened at a later page keeps its Newer link).
    fn pager(keep_newer: bool) {
        let selector = if keep_newer {
            "#messages #mail-older"
        } else {
            "#messages .pager"
        };
        if let Ok(Some(el)) = document().query_selector(selector) {
            let _ = el.set_attribute("hidden", "");
        }
    }

    /// Shows the pager again, when the scrolling list cannot go on.
    fn pager_back() {
        for selector in ["#messages .pager", "#messages #mail-older"] {
            if let Ok(Some(el)) = document().query_selector(selector) {
                let _ = el.remove_attribute("hidden");
            }
        }
    }

    /// Fetches a page when the end of the list, or of the spacer, comes near the screen.
    fn check(state: &Rc<RefCell<Option<State>>>, alive: &Rc<Cell<bool>>) {
        let wanted = {
            let mut cell = state.borrow_mut();
            let Some(s) = cell.as_mut() else { return };
            // A list on its way out (another is drawn in its place) does nothing more.
            if !s.spacer.is_connected() {
                return;
            }
            if s.busy || s.stopped {
                return;
            }
            if let Some(&page) = s.restore.front() {
                drop(cell);
                load(state.clone(), alive.clone(), page, Place::Below);
                return;
            }
            if let Some(y) = s.scroll_to.take() {
                window().scroll_to_with_x_and_y(0.0, y);
            }
            s.remember();
            let height = window()
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(800.0);
            let end = s.last().get_bounding_client_rect().bottom();
            let spacer_end = s.spacer.get_bounding_client_rect().bottom();
            match (s.below(), s.above()) {
                (_, Some(page)) if spacer_end > -ABOVE => Some((page, Place::Above)),
                (Some(page), _) if end < height + BELOW => Some((page, Place::Below)),
                _ => None,
            }
        };
        if let Some((page, place)) = wanted {
            load(state.clone(), alive.clone(), page, place);
        }
    }

    fn load(state: Rc<RefCell<Option<State>>>, alive: Rc<Cell<bool>>, page: u64, place: Place) {
        let (folder, query) = {
            let mut cell = state.borrow_mut();
            let Some(s) = cell.as_mut() else { return };
            s.busy = true;
            (s.folder.clone(), s.query.clone())
        };
        spawn_local(async move {
            let result = list_messages(folder, page, query).await;
            if !alive.get() {
                return;
            }
            {
                let mut cell = state.borrow_mut();
                let Some(s) = cell.as_mut() else { return };
                s.busy = false;
                if s.restore.front() == Some(&page) {
                    s.restore.pop_front();
                }
                match result {
                    Ok(list) if !list.rows.is_empty() => {
                        s.pages = list.pages;
                        add(s, page, list.rows, place);
                    }
                    // The folder got shorter, or the server could not answer: the pager
                    // is there again for the rest.
                    _ => {
                        s.stopped = true;
                        s.restore.clear();
                        pager_back();
                    }
                }
            }
            check(&state, &alive);
        });
    }

    fn add(s: &mut State, number: u64, rows: Vec<MessageRow>, place: Place) {
        let Ok(list) = document().create_element("ul") else {
            return;
        };
        list.set_class_name("message-list more");
        let placed = match place {
            Place::Below => s.last().after_with_node_1(&list),
            Place::Above => s.spacer.after_with_node_1(&list),
        };
        if placed.is_err() {
            return;
        }
        let Ok(parent) = list.clone().dyn_into::<HtmlElement>() else {
            return;
        };
        let (folder, drafts, lang) = (s.folder.clone(), s.drafts, s.lang);
        let base = usize::try_from(number)
            .unwrap_or(0)
            .saturating_mul(INDEX_SPAN);
        let handle = mount_to(parent, move || {
            provide_context(lang);
            rows.into_iter()
                .enumerate()
                .map(|(i, r)| view! { <Row r index=base + i folder=folder.clone() drafts /> })
                .collect_view()
        });
        let added = Added {
            number,
            list,
            _rows: Box::new(handle),
        };
        match place {
            Place::Below => {
                s.added.push_back(added);
                // Pages far above give their place to the spacer, at their height.
                while s.added.len() > WINDOW
                    && s.added.front().is_some_and(|a| {
                        a.list.get_bounding_client_rect().bottom() < -(ABOVE + SLACK)
                    })
                {
                    if let Some(gone) = s.added.pop_front() {
                        let height = gone.list.get_bounding_client_rect().height();
                        s.set_spacer(s.spacer_height + height);
                        gone.list.remove();
                    }
                }
            }
            Place::Above => {
                let height = added.list.get_bounding_client_rect().height();
                s.added.push_front(added);
                // Every page above is back: nothing left for the spacer to stand for.
                let left = if s.above().is_some() {
                    s.spacer_height - height
                } else {
                    0.0
                };
                s.set_spacer(left);
                let screen = window()
                    .inner_height()
                    .ok()
                    .and_then(|h| h.as_f64())
                    .unwrap_or(800.0);
                while s.added.len() > WINDOW
                    && s.added.back().is_some_and(|a| {
                        a.list.get_bounding_client_rect().top() > screen + BELOW + SLACK
                    })
                {
                    if let Some(gone) = s.added.pop_back() {
                        gone.list.remove();
                    }
                }
            }
        }
    }
}
