// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in identity's own things.

use super::SessionActor;
use crate::{
    dto::{
        AccessPage, AccessQuery, AuditPage, ClientAccess, ClientSettings, Me, ProtocolSwitches,
        RecoveryCodes, TwoFactorView,
    },
    error::AppError,
};

#[async_trait::async_trait]
pub trait OwnHandle: Send + Sync {
    /// Who is signed in, as the pages show it.
    async fn me(&self) -> Result<Me, AppError>;
    /// Changes the identity's own password; every other session of the identity ends, and
    /// the returned identity keeps this one signed in.
    async fn change_password(
        &self,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<SessionActor, AppError>;
    /// How to configure a mail client (mailbox owners only).
    async fn client_settings(&self) -> Result<ClientSettings, AppError>;
    /// The audit log as this identity may see it: all of it for operators, a manager's
    /// domains, a postmaster's domain.
    async fn audit_log(&self, page: u64) -> Result<AuditPage, AppError>;

    /// Two-factor sign-in as it stands, with the enrolment of `draft` (an `otpauth://` URL
    /// from [`OwnHandle::begin_two_factor`]) when one is under way.
    async fn two_factor(&self, draft: Option<&str>) -> Result<TwoFactorView, AppError>;
    /// A fresh TOTP secret to enrol, as an `otpauth://` URL; nothing changes until a code
    /// confirms it.
    async fn begin_two_factor(&self) -> Result<String, AppError>;
    /// Turns two-factor sign-in on with the drafted secret once `code` proves the
    /// authenticator has it; returns the recovery codes (shown once) and the identity that
    /// keeps this session signed in (every other session ends).
    async fn confirm_two_factor(
        &self,
        draft: &str,
        code: &str,
    ) -> Result<(RecoveryCodes, SessionActor), AppError>;
    /// Turns two-factor sign-in off; `code` is a current TOTP code or a recovery code.
    async fn disable_two_factor(&self, code: &str) -> Result<SessionActor, AppError>;
    /// Replaces the recovery codes; `code` is a current TOTP code.
    async fn new_recovery_codes(&self, code: &str) -> Result<RecoveryCodes, AppError>;
    /// Ends every session of this identity, this one included.
    async fn sign_out_everywhere(&self) -> Result<(), AppError>;

    /// The mailbox's protocol switches and app passwords (mailboxes only).
    async fn client_access(&self) -> Result<ClientAccess, AppError>;
    /// Switches the mailbox's own IMAP, POP3 and SMTP access (the webmail is not affected).
    async fn set_protocols(&self, protocols: ProtocolSwitches) -> Result<(), AppError>;
    /// Creates an app password under a name; returns the password, shown once.
    async fn create_app_password(&self, name: &str) -> Result<String, AppError>;
    /// Revokes an app password; the next sign-in with it fails.
    async fn revoke_app_password(&self, name: &str) -> Result<(), AppError>;

    /// A page of the identity's own sign-ins.
    async fn access_log(&self, query: &AccessQuery) -> Result<AccessPage, AppError>;
    /// The identity's own sign-ins as CSV.
    async fn access_csv(&self, query: &AccessQuery) -> Result<String, AppError>;
}
