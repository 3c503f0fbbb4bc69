// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in person's own account.

mod client_settings;

pub use client_settings::*;
