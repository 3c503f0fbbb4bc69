// SPDX-License-Identifier: AGPL-3.0-only
//! The operator's domains.

mod list_domains;
mod register_domain;

pub use list_domains::*;
pub use register_domain::*;
