// SPDX-License-Identifier: AGPL-3.0-only
//! What anyone may ask, signed in or not.

use std::net::IpAddr;

use super::{DomainName, LogoUpload, SessionActor};
use crate::{dto::Branding, error::AppError};

#[async_trait::async_trait]
pub trait PublicHandle: Send + Sync {
    /// Checks a web login (throttled); returns the identity to keep in the session.
    async fn login(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, AppError>;
    /// A domain's webmail branding, for its sign-in page.
    async fn branding(&self, domain: &DomainName) -> Result<Branding, AppError>;
    /// The logo of a domain's webmail: bytes and media type.
    async fn logo(&self, domain: &DomainName) -> Result<Option<LogoUpload>, AppError>;
}
