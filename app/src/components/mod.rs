// SPDX-License-Identifier: AGPL-3.0-only
//! Building blocks shared by pages.

mod browser_code;
mod chat;
mod credentials;
mod field;
mod form;
mod frame;
mod search;

pub use browser_code::{BrowserCode, BrowserCodeOnce, Bundle};
pub use chat::ChatDock;
pub use credentials::{CredentialsNotice, FlashNotice, SecretNotice};
pub use field::{OnOff, ProtocolChecks, TextField};
pub use form::{ErrorMessage, FieldError, FormError, action_error, field_error, reset_on_success};
pub use frame::{Frame, Guarded, LangSwitch, ReloadWhileRunning};
pub use search::{Outcome, SearchForm, choice};
