// SPDX-License-Identifier: AGPL-3.0-only
//! Signing in and out, and who is signed in.

mod current_user;
mod login;
mod logout;
mod take_credentials;

pub use current_user::*;
pub use login::*;
pub use logout::*;
pub use take_credentials::*;
