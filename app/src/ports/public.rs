// SPDX-License-Identifier: AGPL-3.0-only
//! What anyone may ask, signed in or not.

use std::net::IpAddr;

use super::{DomainName, LogoUpload, PendingSignIn, SessionActor, SignIn};
use crate::{
    dto::{Branding, MailServer},
    error::AppError,
};

#[async_trait::async_trait]
pub trait PublicHandle: Send + Sync {
    /// Checks a web login's password (throttled): signs in, or asks for the second factor.
    async fn login(&self, login: &str, password: &str, ip: IpAddr) -> Result<SignIn, AppError>;
    /// Completes a sign-in with a TOTP code or a recovery code (throttled on its own);
    /// returns the identity to keep in the session.
    async fn second_factor(
        &self,
        pending: &PendingSignIn,
        code: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, AppError>;
    /// Where mail clients connect, for their automatic set-up.
    fn mail_server(&self) -> MailServer;
    /// A domain's webmail branding, for its sign-in page.
    async fn branding(&self, domain: &DomainName) -> Result<Branding, AppError>;
    /// The logo of a domain's webmail: bytes and media type.
    async fn logo(&self, domain: &DomainName) -> Result<Option<LogoUpload>, AppError>;
}
