// SPDX-License-Identifier: AGPL-3.0-only
//! Signing in and out, and who is signed in.

mod change_password;
mod current_user;
mod login;
mod logout;
mod second_factor;
mod take_credentials;
mod take_notice;
mod take_shown_once;

pub use change_password::*;
pub use current_user::*;
pub use login::*;
pub use logout::*;
pub use second_factor::*;
pub use take_credentials::*;
pub use take_notice::*;
pub use take_shown_once::*;
