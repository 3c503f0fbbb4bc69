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

/// Browser entry point: attaches the reactive system to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
