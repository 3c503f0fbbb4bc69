// SPDX-License-Identifier: AGPL-3.0-only
//! Signing in and out, and who is signed in.

mod change_password;
mod current_user;
mod login;
mod logout;
mod take_credentials;
mod take_notice;

pub use change_password::*;
pub use current_user::*;
pub use login::*;
pub use logout::*;
pub use take_credentials::*;
pub use take_notice::*;
