// SPDX-License-Identifier: AGPL-3.0-only
//! Server functions, one per file, grouped by area. Each resolves the caller, calls the port and
//! maps the error; nothing else.

pub mod account;
pub mod auth;
#[cfg(feature = "ssr")]
pub(crate) mod context;
pub mod delegates;
#[cfg(feature = "ssr")]
pub use context::{RequestScope, keep_for_compose};
pub mod domain;
#[cfg(feature = "ssr")]
pub(crate) mod form;
pub mod mail;
pub mod mailboxes;
pub mod operator;
