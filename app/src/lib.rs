// SPDX-License-Identifier: AGPL-3.0-only
//! `app`: Casella's pages, components, wire types and server functions.
//!
//! Built twice: with `ssr` into the server (where server functions run and call the service
//! ports that `panel` provides), and with `hydrate` into the browser's wasm. Nothing here names
//! a database or engine type, and no business rule lives here.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod assets;
pub mod chat_wire;
pub mod components;
pub mod dto;
pub mod error;
pub mod format;
pub mod i18n;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ports;
mod shell;

pub use shell::{App, shell};

/// Browser entry point. The pages are rendered on the server and stay as they came; only
/// their islands (`#[island]` components: the chat, the live message list, the editor…) are
/// brought to life, each by its own exported function, which the loader calls for every
/// island it finds right after this. Pages without islands ship no browser code at all.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // The webmail moves between its pages in place (the compose page's build leaves by page
    // loads).
    #[cfg(not(feature = "editor"))]
    pages::mail_nav::install();
    // The loader walks the page and calls each island's function in promise callbacks,
    // all of which run before a timer's: the mark goes up once every island is alive
    // (browser tests wait for it; it also helps anyone debugging).
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
