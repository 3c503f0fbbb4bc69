// SPDX-License-Identifier: AGPL-3.0-only
//! Building blocks shared by pages.

mod chat;
mod credentials;
mod field;
mod form;
mod frame;
mod search;

pub use chat::ChatDock;
pub use credentials::{CredentialsNotice, FlashNotice, SecretNotice};
pub use field::{OnOff, ProtocolChecks, TextField};
pub use form::{ErrorMessage, FieldError, FormError, action_error, field_error, reset_on_success};
pub use frame::{Frame, Guarded, LangSwitch, ReloadWithoutScript};
pub use search::{Outcome, SearchForm, choice};
