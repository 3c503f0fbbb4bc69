// SPDX-License-Identifier: AGPL-3.0-only
//! Where a page asks for the browser code: next to its islands, once.
//!
//! Casella runs Leptos in islands mode: a page is HTML from the server, and only the
//! components marked `#[island]` are brought to life in the browser. A page that has islands
//! puts `<BrowserCode/>` beside them; the loader it writes fetches the wasm when the browser
//! is idle and wakes every island of the page. A page without islands loads nothing.
//!
//! There are two builds of the browser code (scripts/build): the main one, with every island
//! but the message editor, and the editor's, with it too. A page says which it needs by
//! providing its `Bundle` (the compose page asks for the editor's); the others get the main
//! one, so reading mail never downloads the editor.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use leptos::{config::LeptosOptions, prelude::*};

/// A build of the browser code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    Main,
    Editor,
}

impl Bundle {
    /// Its files' name in the site's package folder (`<name>.js`, `<name>_bg.wasm`).
    pub fn output_name(self) -> &'static str {
        match self {
            Bundle::Main => "casella",
            Bundle::Editor => "casella-editor",
        }
    }
}

/// The page's options for the loader, and whether it has been written yet (provided by the
/// shell for each page).
#[derive(Clone)]
pub struct BrowserCodeOnce {
    options: LeptosOptions,
    written: Arc<AtomicBool>,
}

impl BrowserCodeOnce {
    pub fn new(options: LeptosOptions) -> Self {
        Self {
            options,
            written: Arc::default(),
        }
    }

    /// The options, the first time only.
    fn take(&self) -> Option<LeptosOptions> {
        (!self.written.swap(true, Ordering::Relaxed)).then(|| self.options.clone())
    }
}

/// The loader of the browser code; nothing if the page already has it.
#[component]
pub fn BrowserCode() -> impl IntoView {
    let bundle = use_context::<Bundle>().unwrap_or(Bundle::Main);
    use_context::<BrowserCodeOnce>()
        .and_then(|once| once.take())
        .map(|mut options| {
            options.output_name = bundle.output_name().into();
            view! { <HydrationScripts options islands=true /> }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_is_written_once_a_page() {
        let once = BrowserCodeOnce::new(LeptosOptions::builder().output_name("casella").build());
        let again = once.clone();
        assert!(once.take().is_some());
        assert!(again.take().is_none());
        assert!(once.take().is_none());
    }
}
