// SPDX-License-Identifier: AGPL-3.0-only
//! One mailbox's handle, for its domain's postmaster and manager. The port hands it out only
//! once the mailbox is found in a domain the caller administers.

use app::{
    dto::{
        ArchiveFolder, ArchiveImport, MailboxArchive, MailboxDetail, MailboxRow,
        OneTimeCredentials, ProtocolSwitches,
    },
    error::AppError,
    ports::{Address, MailboxHandle},
};
use engine_glue::{MailboxState, Protocols};

use super::date_time;
use crate::{db, services::DomainScope};

/// What may be done to one mailbox, as the pages ask it.
pub struct Mailbox<'a> {
    pub scope: DomainScope<'a>,
    pub address: Address,
}

/// A mailbox as the list and its page show it.
pub(super) fn mailbox_row(
    m: db::mailbox::Model,
    state: &MailboxState,
    external_24h: u64,
) -> MailboxRow {
    MailboxRow {
        address: m.address,
        first_name: m.first_name,
        last_name: m.last_name,
        is_postmaster: m.is_postmaster,
        quota_bytes: u64::try_from(m.quota_bytes).unwrap_or_default(),
        used_bytes: state.used_bytes,
        last_login: m.last_login_at.map(date_time),
        external_24h,
        protocols: ProtocolSwitches {
            imap: state.protocols.imap,
            pop3: state.protocols.pop3,
            smtp: state.protocols.smtp,
        },
        chat: state.chat,
        two_factor: state.two_factor,
        send_tier: u32::try_from(m.send_tier).unwrap_or_default(),
    }
}

#[async_trait::async_trait]
impl MailboxHandle for Mailbox<'_> {
    async fn detail(&self) -> Result<MailboxDetail, AppError> {
        let detail = self.scope.mailbox_detail(&self.address).await?;
        let (send_tiers, quota_tiers) = self.scope.tiers();
        let mut archive = None;
        if let Some(a) = self.scope.mailbox_archive(detail.mailbox.id).await? {
            let folders = if a.active && self.scope.is_managed() {
                self.scope
                    .import_folders(&detail.mailbox.address)
                    .await?
                    .into_iter()
                    .map(|f| ArchiveFolder {
                        id: f.id,
                        name: f.name,
                        role: f.role.unwrap_or_default(),
                        messages: f.messages,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let count = |n: i32| u32::try_from(n).unwrap_or(0);
            archive =
                Some(MailboxArchive {
                    active: a.active,
                    retention_years: u32::try_from(a.retention_years).unwrap_or_default(),
                    started_at: a
                        .started_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    messages: a.messages,
                    folders,
                    import: self.scope.latest_import(detail.mailbox.id).await?.map(|i| {
                        ArchiveImport {
                            state: i.state,
                            total: count(i.total),
                            done: count(i.done),
                            added: count(i.added),
                            error: i.error.unwrap_or_default(),
                        }
                    }),
                });
        }
        Ok(MailboxDetail {
            archive,
            domain: self.scope.domain().name.clone(),
            managed: self.scope.is_managed(),
            send_tiers: send_tiers.to_vec(),
            quota_tiers: quota_tiers.to_vec(),
            aliases: detail.aliases.into_iter().map(|a| a.address).collect(),
            row: mailbox_row(detail.mailbox, &detail.state, detail.external_24h),
        })
    }

    async fn update_personal(&self, first_name: &str, last_name: &str) -> Result<(), AppError> {
        Ok(self
            .scope
            .update_personal(&self.address, first_name, last_name)
            .await?)
    }

    async fn reset_password(
        &self,
        password: &str,
        repeat: &str,
    ) -> Result<Option<OneTimeCredentials>, AppError> {
        let generated = self
            .scope
            .reset_password(&self.address, password, repeat)
            .await?;
        Ok(generated.map(|password| OneTimeCredentials {
            login: self.address.to_string(),
            password,
        }))
    }

    async fn set_quota(&self, bytes: u64) -> Result<(), AppError> {
        Ok(self.scope.set_quota(&self.address, bytes).await?)
    }

    async fn set_protocols(&self, protocols: ProtocolSwitches) -> Result<(), AppError> {
        Ok(self
            .scope
            .set_protocols(
                &self.address,
                Protocols {
                    imap: protocols.imap,
                    pop3: protocols.pop3,
                    smtp: protocols.smtp,
                },
            )
            .await?)
    }

    async fn set_chat(&self, enabled: bool) -> Result<(), AppError> {
        Ok(self.scope.set_chat(&self.address, enabled).await?)
    }

    async fn add_alias(&self, local_part: &str) -> Result<(), AppError> {
        self.scope.add_alias(&self.address, local_part).await?;
        Ok(())
    }

    async fn remove_alias(&self, alias: &str) -> Result<(), AppError> {
        Ok(self.scope.remove_alias(&self.address, alias).await?)
    }

    async fn reset_two_factor(&self) -> Result<(), AppError> {
        Ok(self.scope.reset_two_factor(&self.address).await?)
    }

    async fn delete(&self, confirm: &str) -> Result<(), AppError> {
        Ok(self.scope.delete_mailbox(&self.address, confirm).await?)
    }
}
