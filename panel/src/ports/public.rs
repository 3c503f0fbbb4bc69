// SPDX-License-Identifier: AGPL-3.0-only
//! What anyone may ask: signing in, a domain's branding and logo.

use std::net::IpAddr;

use app::{
    dto::{Branding, MailServer},
    error::AppError,
    ports::{DomainName, LogoUpload, PendingSignIn, PublicHandle, SessionActor, SignIn},
};

use crate::services::Services;

#[async_trait::async_trait]
impl PublicHandle for Services {
    async fn login(&self, login: &str, password: &str, ip: IpAddr) -> Result<SignIn, AppError> {
        Ok(Services::login(self, login, password, ip).await?)
    }

    async fn second_factor(
        &self,
        pending: &PendingSignIn,
        code: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, AppError> {
        Ok(self.complete_sign_in(pending, code, ip).await?)
    }

    fn mail_server(&self) -> MailServer {
        let mail = self.mail_endpoints();
        let p = &mail.ports;
        MailServer {
            hostname: mail.hostname.clone(),
            imaps_port: p.imaps,
            imap_port: p.imap,
            pop3s_port: p.pop3s,
            pop3_port: p.pop3,
            submissions_port: p.submissions,
            submission_port: p.submission,
        }
    }

    async fn branding(&self, domain: &DomainName) -> Result<Branding, AppError> {
        let found = self.public_domain(domain).await?;
        Ok(Branding {
            logo_url: found
                .brand_logo
                .as_ref()
                .map(|_| format!("/branding/{}/logo", found.name)),
            company_name: found.brand_name,
            domain: found.name,
        })
    }

    async fn logo(&self, domain: &DomainName) -> Result<Option<LogoUpload>, AppError> {
        let found = self.public_domain(domain).await?;
        Ok(match (found.brand_logo, found.brand_logo_type) {
            (Some(bytes), Some(media_type)) => Some(LogoUpload { bytes, media_type }),
            _ => None,
        })
    }
}
