// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in person's own account: two-factor sign-in, sessions, and a mailbox's own
//! mail-client access.

mod access_log;
mod begin_two_factor;
mod cancel_two_factor;
mod client_access;
mod client_settings;
mod confirm_two_factor;
mod create_app_password;
mod disable_two_factor;
mod new_recovery_codes;
mod revoke_app_password;
mod set_own_protocols;
mod sign_out_everywhere;
mod two_factor;

pub use access_log::*;
pub use begin_two_factor::*;
pub use cancel_two_factor::*;
pub use client_access::*;
pub use client_settings::*;
pub use confirm_two_factor::*;
pub use create_app_password::*;
pub use disable_two_factor::*;
pub use new_recovery_codes::*;
pub use revoke_app_password::*;
pub use set_own_protocols::*;
pub use sign_out_everywhere::*;
pub use two_factor::*;
