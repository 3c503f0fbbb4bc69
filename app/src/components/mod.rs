// SPDX-License-Identifier: AGPL-3.0-only
//! Building blocks shared by pages.

mod credentials;
mod form;
mod frame;

pub use credentials::CredentialsNotice;
pub use form::{ErrorMessage, FieldError, FormError, action_error, field_error};
pub use frame::{Frame, Guarded};
