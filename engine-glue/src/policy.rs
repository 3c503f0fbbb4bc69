// SPDX-License-Identifier: AGPL-3.0-only
//! Per-mailbox policy as the engine enforces it: protocol switches (disabled permissions),
//! quota usage (the used-quota counter), the daily external send tier and the chat switch
//! (keys in the lookup store, read by the rate limiters and the chat service), aliases (extra
//! e-mail addresses of the principal), and each domain's DKIM keys.

use stalwart_lib::{
    directory::{
        Permission, PrincipalData, QueryParams, Type,
        backend::internal::lookup::DirectoryStore,
        backend::internal::{
            PrincipalField, PrincipalUpdate, PrincipalValue,
            manage::{ManageDirectory, UpdatePrincipal},
        },
    },
    http::management::dkim::{Algorithm, DkimManagement},
    store::dispatch::lookup::KeyValue,
};

use crate::{directory::engine_err, engine::Engine, error::GlueError};

/// The permission that gates each mail protocol's sign-in. Switching SMTP off revokes
/// `email-send`, which only SMTP AUTH checks: the webmail keeps sending.
const IMAP: &str = "imap-authenticate";
const POP3: &str = "pop3-authenticate";
const SMTP: &str = "email-send";

/// Which mail protocols a mailbox may sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocols {
    pub imap: bool,
    pub pop3: bool,
    pub smtp: bool,
}

impl Default for Protocols {
    fn default() -> Self {
        Protocols {
            imap: true,
            pop3: true,
            smtp: true,
        }
    }
}

/// A DKIM key algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimKind {
    /// RSA 2048: what every receiver verifies; slow to generate.
    Rsa,
    /// Ed25519: fast, verified by fewer receivers.
    Ed25519,
}

/// What the engine knows of a mailbox's policy and usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxState {
    pub quota_bytes: u64,
    pub used_bytes: u64,
    pub protocols: Protocols,
    pub chat: bool,
    pub two_factor: bool,
    /// The send tier's key, if one was set (none means the smallest tier).
    pub send_tier: Option<u32>,
}

/// Lookup-store key of an account's send tier; the rate limiters read it (see config.rs).
pub(crate) fn send_tier_key(account: &str) -> String {
    format!("send-tier:{account}")
}

/// Lookup-store key of an account's chat switch.
fn chat_key(account: &str) -> String {
    format!("chat:{account}")
}

impl Engine {
    /// A mailbox's quota, usage, protocol switches, chat switch, 2FA and send tier.
    pub async fn mailbox_state(&self, address: &str) -> Result<MailboxState, GlueError> {
        let server = self.server();
        let address = address.to_lowercase();
        let principal = server
            .store()
            .query(QueryParams::name(&address).with_return_member_of(false))
            .await
            .map_err(engine_err)?
            .filter(|p| p.typ == Type::Individual)
            .ok_or_else(|| GlueError::NotFound {
                what: address.clone(),
            })?;
        let mut state = MailboxState {
            quota_bytes: 0,
            used_bytes: 0,
            protocols: Protocols::default(),
            chat: false,
            two_factor: false,
            send_tier: None,
        };
        for item in principal.data.iter().cloned() {
            match item {
                PrincipalData::DiskQuota(quota) => state.quota_bytes = quota,
                PrincipalData::OtpAuth(_) => state.two_factor = true,
                PrincipalData::Permission {
                    permission_id,
                    grant: false,
                } => match Permission::from_id(permission_id).map(|p| p.name()) {
                    Some(IMAP) => state.protocols.imap = false,
                    Some(POP3) => state.protocols.pop3 = false,
                    Some(SMTP) => state.protocols.smtp = false,
                    _ => {}
                },
                _ => {}
            }
        }
        state.used_bytes = u64::try_from(
            server
                .get_used_quota(principal.id)
                .await
                .map_err(engine_err)?,
        )
        .unwrap_or_default();
        state.chat = self.chat_enabled(&address).await?;
        state.send_tier = self
            .lookup_get(&send_tier_key(&address))
            .await?
            .and_then(|tier| tier.parse().ok());
        Ok(state)
    }

    /// Which protocols an account may sign in with (all, for an account the directory does
    /// not know as a mailbox).
    pub async fn protocols(&self, address: &str) -> Result<Protocols, GlueError> {
        let principal = self
            .server()
            .store()
            .query(QueryParams::name(&address.to_lowercase()).with_return_member_of(false))
            .await
            .map_err(engine_err)?;
        let mut protocols = Protocols::default();
        for item in principal.into_iter().flat_map(|p| p.data) {
            if let PrincipalData::Permission {
                permission_id,
                grant: false,
            } = item
            {
                match Permission::from_id(permission_id).map(|p| p.name()) {
                    Some(IMAP) => protocols.imap = false,
                    Some(POP3) => protocols.pop3 = false,
                    Some(SMTP) => protocols.smtp = false,
                    _ => {}
                }
            }
        }
        Ok(protocols)
    }

    /// Switches a mailbox's IMAP, POP3 and SMTP sign-in on or off.
    pub async fn set_protocols(
        &self,
        address: &str,
        protocols: Protocols,
    ) -> Result<(), GlueError> {
        let current = self.mailbox_state(address).await?.protocols;
        let mut updates = Vec::new();
        for (permission, was, wanted) in [
            (IMAP, current.imap, protocols.imap),
            (POP3, current.pop3, protocols.pop3),
            (SMTP, current.smtp, protocols.smtp),
        ] {
            let value = PrincipalValue::String(permission.to_string());
            match (was, wanted) {
                (true, false) => updates.push(PrincipalUpdate::add_item(
                    PrincipalField::DisabledPermissions,
                    value,
                )),
                (false, true) => updates.push(PrincipalUpdate::remove_item(
                    PrincipalField::DisabledPermissions,
                    value,
                )),
                _ => {}
            }
        }
        self.update_principal(address, updates).await
    }

    /// Sets a mailbox's daily external-recipient tier. The engine reads it at every RCPT, so
    /// it applies at once; a new tier starts a fresh daily count.
    pub async fn set_send_tier(&self, address: &str, tier: u32) -> Result<(), GlueError> {
        if !self.config().send_tiers.contains(&tier) {
            return Err(GlueError::Invalid {
                reason: format!("{tier} is not a configured send tier"),
            });
        }
        self.lookup_set(&send_tier_key(&address.to_lowercase()), &tier.to_string())
            .await
    }

    /// Switches chat on or off for a mailbox.
    pub async fn set_chat(&self, address: &str, enabled: bool) -> Result<(), GlueError> {
        let value = if enabled { "1" } else { "0" };
        self.lookup_set(&chat_key(&address.to_lowercase()), value)
            .await
    }

    /// Whether chat is on for a mailbox (off unless switched on).
    pub async fn chat_enabled(&self, address: &str) -> Result<bool, GlueError> {
        Ok(self
            .lookup_get(&chat_key(&address.to_lowercase()))
            .await?
            .is_some_and(|v| v == "1"))
    }

    /// Adds an alias address that delivers to the mailbox. Its domain must exist.
    pub async fn add_alias(&self, address: &str, alias: &str) -> Result<(), GlueError> {
        let alias = alias.to_lowercase();
        let server = self.server();
        if server
            .store()
            .get_principal_id(&alias)
            .await
            .map_err(engine_err)?
            .is_some()
        {
            return Err(GlueError::AlreadyExists { what: alias });
        }
        self.update_principal(
            address,
            vec![PrincipalUpdate::add_item(
                PrincipalField::Emails,
                PrincipalValue::String(alias),
            )],
        )
        .await
    }

    /// Removes an alias address from the mailbox; removing one it does not have is a no-op.
    pub async fn remove_alias(&self, address: &str, alias: &str) -> Result<(), GlueError> {
        self.update_principal(
            address,
            vec![PrincipalUpdate::remove_item(
                PrincipalField::Emails,
                PrincipalValue::String(alias.to_lowercase()),
            )],
        )
        .await
    }

    /// Creates the domain's DKIM key of this kind unless it exists (the ids are the ones the
    /// engine's default signing rule looks for), then reloads the engine's settings so
    /// outgoing mail is signed with it at once. An RSA key takes a while to generate: callers
    /// run it off the request path.
    pub async fn ensure_dkim_key(&self, domain: &str, kind: DkimKind) -> Result<(), GlueError> {
        let server = self.server();
        let domain = domain.to_lowercase();
        let (algorithm, prefix) = match kind {
            DkimKind::Rsa => (Algorithm::Rsa, "rsa"),
            DkimKind::Ed25519 => (Algorithm::Ed25519, "ed25519"),
        };
        let id = format!("{prefix}-{domain}");
        let exists = server
            .core
            .storage
            .config
            .get(&format!("signature.{id}.private-key"))
            .await
            .map_err(engine_err)?
            .is_some();
        if exists {
            return Ok(());
        }
        server
            .create_dkim_key(algorithm, &id, domain.clone(), format!("casella{prefix}"))
            .await
            .map_err(engine_err)?;
        self.reload_settings().await
    }

    /// Applies settings written to the engine's database. The engine's telemetry is left as
    /// it is, so in-process event subscribers stay registered.
    pub(crate) async fn reload_settings(&self) -> Result<(), GlueError> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let result = self.server().reload().await.map_err(engine_err)?;
        if let Some(err) = GlueError::from_config_errors(&result.config.errors) {
            return Err(err);
        }
        if let Some(core) = result.new_core {
            self.inner.shared_core.store(core.into());
        }
        Ok(())
    }

    pub(crate) async fn update_principal(
        &self,
        address: &str,
        updates: Vec<PrincipalUpdate>,
    ) -> Result<(), GlueError> {
        if updates.is_empty() {
            return Ok(());
        }
        let server = self.server();
        let address = address.to_lowercase();
        let changed = server
            .store()
            .update_principal(UpdatePrincipal::by_name(&address).with_updates(updates))
            .await
            .map_err(|err| crate::directory::manage_err(err, &address))?;
        server.invalidate_principal_caches(changed).await;
        Ok(())
    }

    async fn lookup_set(&self, key: &str, value: &str) -> Result<(), GlueError> {
        self.server()
            .in_memory_store()
            .key_set(KeyValue::new(
                key.as_bytes().to_vec(),
                value.as_bytes().to_vec(),
            ))
            .await
            .map_err(engine_err)
    }

    async fn lookup_get(&self, key: &str) -> Result<Option<String>, GlueError> {
        self.server()
            .in_memory_store()
            .key_get::<String>(key)
            .await
            .map_err(engine_err)
    }
}

impl Engine {
    /// The DKIM records a domain must publish: `(name, TXT content)` for each of its keys,
    /// from the engine's own keys.
    pub async fn dkim_records(&self, domain: &str) -> Result<Vec<(String, String)>, GlueError> {
        use stalwart_lib::http::management::dns::DnsManagement;
        let domain = domain.to_lowercase();
        let records = self
            .server()
            .build_dns_records(&domain)
            .await
            .map_err(engine_err)?;
        // The engine's record type keeps its fields to itself; its serialized form is public.
        let records = serde_json::to_value(&records).map_err(|err| GlueError::Engine {
            reason: format!("DNS records: {err}"),
        })?;
        Ok(records
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let name = r.get("name")?.as_str()?;
                let content = r.get("content")?.as_str()?;
                (r.get("type")?.as_str()? == "TXT" && name.contains("._domainkey."))
                    .then(|| (name.trim_end_matches('.').to_string(), content.to_string()))
            })
            .collect())
    }
}
