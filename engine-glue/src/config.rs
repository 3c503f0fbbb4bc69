// SPDX-License-Identifier: AGPL-3.0-only
//! The engine's configuration, typed, and its rendering into the engine's own TOML dialect.
//!
//! The glue owns the whole engine configuration file: it is rewritten from [`EngineConfig`] at
//! every start and checked before the engine reads it, because the engine ends the process on a
//! file it cannot parse. Everything the engine would otherwise fetch or seed on its first boot
//! (spam rules, queue schedules and routes) is written here, so a boot never touches the network.

use std::{
    fmt::Write as _,
    net::IpAddr,
    path::{Path, PathBuf},
};

use crate::error::GlueError;

/// Everything the engine needs to start, in the product's terms.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Folder that holds the engine's configuration, store and spam-rule stub.
    pub data_dir: PathBuf,
    /// Public host name of the mail server (HELO/EHLO, greeting, self-signed certificate).
    pub hostname: String,
    /// Address every listener binds to.
    pub bind_address: IpAddr,
    /// Listener ports.
    pub ports: EnginePorts,
    /// The certificate of every TLS listener; `None` makes the engine use a self-signed one.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Where messages, the directory and counters are kept.
    pub store: StoreBackend,
    /// Cache sizes; `None` keeps the engine's defaults.
    pub cache: CacheConfig,
    /// Engine log level written to standard output (`error`, `warn`, `info`, `debug`, `trace`).
    pub log_level: String,
    /// Daily limits of recipients outside the company's domains, smallest (the default)
    /// first; normally [`SEND_TIERS`].
    pub send_tiers: [u32; 4],
    /// Where the archive's transport journal goes; `None` archives nothing.
    pub journal: Option<JournalConfig>,
}

/// The archive's transport journal: for every message it is about to accept, the engine asks
/// Casella's hook (HTTP, loopback) which parties are archived; the hook answers with one more
/// recipient (or a few), `journal+<…>@`[`JOURNAL_DOMAIN`], and the engine's own durable queue
/// carries that copy to Casella's journal receiver (LMTP, loopback), retrying until it is
/// taken.
#[derive(Clone)]
pub struct JournalConfig {
    /// Loopback port of the hook endpoint.
    pub hook_port: u16,
    /// Loopback port of the journal receiver.
    pub lmtp_port: u16,
    /// Password the engine gives the hook (HTTP Basic, user `engine`); new at every start.
    pub hook_secret: String,
}

impl std::fmt::Debug for JournalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalConfig")
            .field("hook_port", &self.hook_port)
            .field("lmtp_port", &self.lmtp_port)
            .finish_non_exhaustive()
    }
}

/// The domain of journal recipients: reserved (RFC 2606), never a real destination, and
/// refused as a recipient to every client, so only the hook can name it.
pub const JOURNAL_DOMAIN: &str = "archive.invalid";

/// Whether an address is a journal recipient (its domain is [`JOURNAL_DOMAIN`]).
pub fn is_journal_address(address: &str) -> bool {
    address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(JOURNAL_DOMAIN))
}

/// The host name the engine relays journal copies to. The engine looks a relay's address up
/// through its own resolver, which answers an IP literal (and, in this build, every name it
/// has not cached) with "no record": a *permanent* failure that would drop the copy. So the
/// name is pinned in the resolver's cache ([`pin_journal_host`]); under `.localhost`
/// (RFC 6761) it can never mean another machine.
pub const JOURNAL_HOST: &str = "journal.casella.localhost";

/// The address pinned for [`JOURNAL_HOST`]: 127.0.0.1 written as an IPv4-mapped IPv6 address.
/// The engine refuses to relay to a loopback address (`is_loopback`, which for IPv6 is `::1`
/// alone); the mapped form reaches the receiver's 127.0.0.1 socket all the same (a
/// dual-stack socket connects to it over IPv4), and nothing else can be named by it.
pub const JOURNAL_ADDRESS: std::net::Ipv6Addr = std::net::Ipv4Addr::LOCALHOST.to_ipv6_mapped();

/// How long a pinned entry lasts; the panel pins it again well before.
const JOURNAL_PIN: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Puts [`JOURNAL_HOST`] → [`JOURNAL_ADDRESS`] into the engine's resolver cache.
pub(crate) fn pin_journal_host(inner: &stalwart_lib::common::Inner) {
    inner.cache.dns_ipv4.insert(
        format!("{JOURNAL_HOST}."),
        std::sync::Arc::new(Vec::new()),
        JOURNAL_PIN,
    );
    inner.cache.dns_ipv6.insert(
        format!("{JOURNAL_HOST}."),
        std::sync::Arc::new(vec![JOURNAL_ADDRESS]),
        JOURNAL_PIN,
    );
}

/// Listener ports (unprivileged defaults; production uses 25, 587, 465, 143, 993, 110, 995).
/// Implicit-TLS listeners are the `*s` ones. This is also the `[ports]` section of Casella's
/// configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnginePorts {
    /// Inbound MX (no authentication, local domains only).
    pub smtp: u16,
    /// Submission with STARTTLS.
    pub submission: u16,
    /// Submission over implicit TLS.
    pub submissions: u16,
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAP over implicit TLS.
    pub imaps: u16,
    /// POP3 with STLS.
    pub pop3: u16,
    /// POP3 over implicit TLS.
    pub pop3s: u16,
    /// ManageSieve.
    pub managesieve: u16,
}

impl Default for EnginePorts {
    fn default() -> Self {
        Self {
            smtp: 2525,
            submission: 2587,
            submissions: 2465,
            imap: 2143,
            imaps: 2993,
            pop3: 2110,
            pop3s: 2995,
            managesieve: 4190,
        }
    }
}

/// The engine's data store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreBackend {
    /// Embedded SQLite file in the data folder.
    Sqlite,
    /// Embedded RocksDB folder in the data folder.
    RocksDb,
    /// PostgreSQL server (the scale path).
    Postgres(PostgresStore),
}

impl StoreBackend {
    /// The short name used in configuration files and logs.
    pub fn name(&self) -> &'static str {
        match self {
            StoreBackend::Sqlite => "sqlite",
            StoreBackend::RocksDb => "rocksdb",
            StoreBackend::Postgres(_) => "postgresql",
        }
    }
}

/// Connection settings for a PostgreSQL engine store.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresStore {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Engine cache sizes in bytes; `None` leaves the engine's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheConfig {
    /// Per-account message metadata cache (`cache.message.size`).
    pub messages: Option<u64>,
    /// Access token cache (`cache.access-token.size`).
    pub access_tokens: Option<u64>,
}

/// Daily limits of recipients outside the sender's own domains that a mailbox may be given.
/// Each tier becomes one engine rate limiter; an account picks its tier through a lookup key.
pub const SEND_TIERS: [u32; 4] = [250, 1000, 2000, 5000];

impl EngineConfig {
    /// Path of the engine configuration file the glue writes.
    pub fn config_path(&self) -> PathBuf {
        self.data_dir.join("config.toml")
    }

    fn spam_rules_path(&self) -> PathBuf {
        self.data_dir.join("spam-filter.toml")
    }

    /// Renders the engine configuration file.
    pub fn render(&self) -> Result<String, GlueError> {
        let mut out = String::new();
        let mut w = Writer { out: &mut out };
        w.str("server.hostname", &self.hostname);

        let p = &self.ports;
        for (id, port, protocol, implicit_tls) in [
            ("smtp", p.smtp, "smtp", false),
            ("submission", p.submission, "smtp", false),
            ("submissions", p.submissions, "smtp", true),
            ("imap", p.imap, "imap", false),
            ("imaps", p.imaps, "imap", true),
            ("pop3", p.pop3, "pop3", false),
            ("pop3s", p.pop3s, "pop3", true),
            ("sieve", p.managesieve, "managesieve", false),
        ] {
            let bind = std::net::SocketAddr::new(self.bind_address, port).to_string();
            w.raw(
                &format!("server.listener.{id}.bind"),
                &format!("[{}]", quote(&bind)),
            );
            w.str(&format!("server.listener.{id}.protocol"), protocol);
            if implicit_tls {
                w.raw(&format!("server.listener.{id}.tls.implicit"), "true");
            }
        }

        // The certificate as references to its files, so a reload reads them again.
        if let Some(tls) = &self.tls {
            w.str(
                "certificate.casella.cert",
                &format!("%{{file:{}}}%", path_str(&tls.cert)?),
            );
            w.str(
                "certificate.casella.private-key",
                &format!("%{{file:{}}}%", path_str(&tls.key)?),
            );
            w.raw("certificate.casella.default", "true");
        }

        // Stores: one data store for everything, and the internal directory on it.
        for kind in ["data", "fts", "blob", "lookup"] {
            w.str(&format!("storage.{kind}"), "db");
        }
        w.str("storage.directory", "internal");
        w.str("directory.internal.type", "internal");
        w.str("directory.internal.store", "db");
        // The engine caches recipient lookups (a day for known addresses, an hour for unknown
        // ones): a deleted mailbox or removed alias would keep receiving and a new one be
        // refused. The internal directory is a local store read, so no cache is needed.
        w.str("directory.internal.cache.size", "false");
        match &self.store {
            StoreBackend::Sqlite => {
                w.str("store.db.type", "sqlite");
                w.str(
                    "store.db.path",
                    &path_str(&self.data_dir.join("mail.sqlite3"))?,
                );
            }
            StoreBackend::RocksDb => {
                w.str("store.db.type", "rocksdb");
                w.str(
                    "store.db.path",
                    &path_str(&self.data_dir.join("mail.rocksdb"))?,
                );
            }
            StoreBackend::Postgres(pg) => {
                w.str("store.db.type", "postgresql");
                w.str("store.db.host", &pg.host);
                w.raw("store.db.port", &pg.port.to_string());
                w.str("store.db.database", &pg.database);
                w.str("store.db.user", &pg.user);
                w.str("store.db.password", &pg.password);
                w.raw("store.db.tls.enable", "false");
            }
        }
        if let Some(size) = self.cache.messages {
            w.raw("cache.message.size", &size.to_string());
        }
        if let Some(size) = self.cache.access_tokens {
            w.raw("cache.access-token.size", &size.to_string());
        }

        w.str("tracer.stdout.type", "stdout");
        w.str("tracer.stdout.level", &self.log_level);
        w.raw("tracer.stdout.ansi", "false");
        w.raw("tracer.stdout.enable", "true");

        // Spam rules come from a local stub; with a version present the engine neither
        // downloads rules nor seeds its defaults, so the queue settings below are the only ones.
        w.str(
            "spam-filter.resource",
            &format!("file://{}", path_str(&self.spam_rules_path())?),
        );
        w.raw("spam-filter.enable", "false");
        w.raw("spam-filter.auto-update", "false");
        // Pyzor is looked up by name at every boot; offline, that lookup fails the boot.
        w.raw("spam-filter.pyzor.enable", "false");
        w.str("version.spam-filter", "2.0.0");
        w.raw("session.data.spam-filter", "false");

        // The MX is the listener called `smtp`, on whatever port: the engine's defaults tie
        // "inbound MX" to port 25, which the unprivileged default does not use.
        let mx = "listener == 'smtp'";
        w.str("session.auth.require", "listener != 'smtp'");
        w.raw(
            "session.auth.mechanisms",
            &format!(
                "[{{ if = {}, then = {} }}, {{ else = false }}]",
                quote("listener != 'smtp' && is_tls"),
                quote("[plain, login]")
            ),
        );
        w.raw(
            "session.auth.directory",
            &format!(
                "[{{ if = {}, then = {} }}, {{ else = false }}]",
                quote("listener != 'smtp'"),
                quote("'*'")
            ),
        );
        w.raw("session.ehlo.reject-non-fqdn", "false");
        for header in ["received", "received-spf", "return-path", "auth-results"] {
            w.str(&format!("session.data.add-headers.{header}"), mx);
        }
        // Submission always adds a Message-ID and Date when a client left them out.
        w.str("session.data.add-headers.message-id", "true");
        w.str("session.data.add-headers.date", "true");
        w.raw("session.rcpt.max-recipients", "100");
        // No ARC seal on mail received: the engine's default asks every inbound message for a
        // key named after `report.domain`, which Casella never makes (its DKIM keys are the
        // hosted domains'), and reports one `arc.sealer-not-found` warning per message.
        w.raw("auth.arc.seal", "false");

        // The Mail Time Machine keeps each mailbox as it stood at 00:00 (local time, as the
        // engine's own schedules): the engine's purge of Trash and Junk runs an hour later,
        // so what it expunges is in that night's snapshot. The change log keeps enough
        // changes that a busy day is still read as changes, not as a whole mailbox.
        w.str("account.purge.frequency", "0 1 *");
        w.raw("changes.max-history", "50000");

        // Queue: local and remote delivery with the engine's usual schedules, and the archive's
        // journal copies to Casella's receiver ahead of both.
        let journal = format!("rcpt_domain == '{JOURNAL_DOMAIN}'");
        w.raw(
            "queue.strategy.route",
            &format!(
                "[{{ if = {}, then = \"'journal'\" }}, {{ if = {}, then = \"'local'\" }}, {{ else = \"'mx'\" }}]",
                quote(&journal),
                quote("is_local_domain('*', rcpt_domain)")
            ),
        );
        w.raw(
            "queue.strategy.schedule",
            &format!(
                "[{{ if = {}, then = \"'journal'\" }}, {{ if = {}, then = \"'local'\" }}, \
                 {{ if = \"source == 'dsn'\", then = \"'dsn'\" }}, \
                 {{ if = \"source == 'report'\", then = \"'report'\" }}, {{ else = \"'remote'\" }}]",
                quote(&journal),
                quote("is_local_domain('*', rcpt_domain)")
            ),
        );
        if let Some(j) = &self.journal {
            w.str(
                "session.hook.archive.url",
                &format!("http://127.0.0.1:{}/archive/hook", j.hook_port),
            );
            w.raw("session.hook.archive.stages", "[\"data\"]");
            w.raw("session.hook.archive.enable", "true");
            w.str("session.hook.archive.timeout", "10s");
            // Casella not answering delays the message (451), never loses its archive copy.
            w.raw("session.hook.archive.options.tempfail-on-error", "true");
            w.str("session.hook.archive.auth.username", "engine");
            w.str("session.hook.archive.auth.secret", &j.hook_secret);
            w.str("queue.route.journal.type", "relay");
            w.str("queue.route.journal.address", JOURNAL_HOST);
            w.raw("queue.route.journal.port", &j.lmtp_port.to_string());
            w.str("queue.route.journal.protocol", "lmtp");
            w.raw("queue.route.journal.tls.implicit", "false");
        } else {
            // Nothing is sent there without the hook; a route must still exist for the name.
            w.str("queue.route.journal.type", "local");
        }
        // A journal copy rides in the local queue: the message's one delivery attempt hands
        // it to the receiver beside its local delivery (a queue of its own made every
        // archived message a two-queue message: a second lock, read and read-modify-write of
        // the queued message per delivery). Its own retries and expiry stay its own; the
        // `journal` queue remains for copies queued by an earlier version.
        w.raw("queue.virtual.journal.threads-per-node", "25");
        w.str("queue.schedule.journal.queue-name", "local");
        for (i, retry) in ["30s", "1m", "5m", "15m", "1h"].iter().enumerate() {
            w.str(&format!("queue.schedule.journal.retry.{i}"), retry);
        }
        w.str("queue.schedule.journal.expire-type", "ttl");
        w.str("queue.schedule.journal.expire", "30d");
        // Local deliveries wait more than they compute (the journal copy's relay above all):
        // 25 at once (the engine's default) held archived mail back in its queue.
        for (queue, threads) in [("local", 100), ("remote", 50), ("dsn", 5), ("report", 5)] {
            w.raw(
                &format!("queue.virtual.{queue}.threads-per-node"),
                &threads.to_string(),
            );
        }
        for queue in ["local", "remote"] {
            let s = format!("queue.schedule.{queue}");
            w.str(&format!("{s}.queue-name"), queue);
            for (i, retry) in ["2m", "5m", "10m", "15m", "30m", "1h", "2h"]
                .iter()
                .enumerate()
            {
                w.str(&format!("{s}.retry.{i}"), retry);
            }
            w.str(&format!("{s}.notify.0"), "1d");
            w.str(&format!("{s}.notify.1"), "3d");
            w.str(&format!("{s}.expire-type"), "ttl");
            w.str(&format!("{s}.expire"), "3d");
        }
        for (queue, retries, attempts) in [
            ("dsn", &["15m", "30m", "1h", "2h"][..], "10"),
            ("report", &["30m", "1h", "2h"][..], "8"),
        ] {
            let s = format!("queue.schedule.{queue}");
            w.str(&format!("{s}.queue-name"), queue);
            for (i, retry) in retries.iter().enumerate() {
                w.str(&format!("{s}.retry.{i}"), retry);
            }
            w.str(&format!("{s}.expire-type"), "attempts");
            w.raw(&format!("{s}.max-attempts"), attempts);
        }
        w.raw("queue.tls.default.allow-invalid-certs", "false");
        w.str("queue.route.local.type", "local");
        w.str("queue.route.mx.type", "mx");
        w.raw("queue.route.mx.limits.multihomed", "2");
        w.raw("queue.route.mx.limits.mx", "5");
        w.str("queue.route.mx.ip-lookup", "ipv4_then_ipv6");
        w.str("queue.connection.default.timeout.connect", "5m");
        w.raw("queue.quota.size.messages", "100000");
        w.raw("queue.quota.size.size", "10737418240");
        w.raw("queue.quota.size.enable", "true");

        // Daily external-recipient limits, one limiter per tier. The smallest tier takes every
        // account whose key names none of the larger ones: no key, or a tier that is no longer
        // configured, still gets a limit, never none.
        let tier_key = "key_get('', 'send-tier:' + authenticated_as)";
        for (i, tier) in self.send_tiers.iter().enumerate() {
            let key = format!("queue.limiter.inbound.send-{tier}");
            let selected = if i == 0 {
                let larger = self.send_tiers[1..]
                    .iter()
                    .map(|t| format!("{tier_key} == '{t}'"))
                    .collect::<Vec<_>>()
                    .join(" || ");
                format!("!({larger})")
            } else {
                format!("{tier_key} == '{tier}'")
            };
            w.str(&format!("{key}.key"), "authenticated_as");
            w.str(&format!("{key}.rate"), &format!("{tier}/1d"));
            w.str(
                &format!("{key}.match"),
                &format!(
                    "!is_empty(authenticated_as) && !is_local_domain('*', rcpt_domain) && rcpt_domain != '{JOURNAL_DOMAIN}' && {selected}"
                ),
            );
            w.raw(&format!("{key}.enable"), "true");
        }

        // Mail handed to the MX from this machine (Casella's own notifications) may go to any
        // domain, as Postfix allows its `mynetworks`; everyone else relays only after AUTH.
        // Nobody may name a journal recipient: only the hook adds them.
        w.raw(
            "session.rcpt.relay",
            &format!(
                "[{{ if = {}, then = false }}, {{ if = {}, then = true }}, {{ else = false }}]",
                quote(&journal),
                quote("!is_empty(authenticated_as) || (listener == 'smtp' && (remote_ip == '127.0.0.1' || remote_ip == '::1'))")
            ),
        );

        // Loopback is Casella itself (and the host's own tools): never ban it for protocol
        // errors or failed logins, or one noisy local client would lock out every local user.
        w.raw("server.allowed-ip.\"127.0.0.1\"", "\"\"");
        w.raw("server.allowed-ip.\"::1\"", "\"\"");

        // Never accept plain-text logins before TLS.
        w.raw("imap.auth.allow-plain-text", "false");

        // The glue checks the file itself: the engine exits the process on invalid TOML.
        toml::from_str::<toml::Table>(&out).map_err(|err| GlueError::Config {
            reason: format!("rendered engine configuration is not valid TOML: {err}"),
        })?;
        Ok(out)
    }

    /// Writes the configuration and the spam-rule stub into the data folder.
    pub fn write(&self) -> Result<PathBuf, GlueError> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|err| GlueError::io(&self.data_dir, err))?;
        let rules = self.spam_rules_path();
        std::fs::write(
            &rules,
            "version.spam-filter = \"2.0.0\"\nversion.server = \"0.16.0\"\n",
        )
        .map_err(|err| GlueError::io(&rules, err))?;
        let path = self.config_path();
        let text = self.render()?;
        // Write then rename, so a crash never leaves a half-written file for the next boot.
        let tmp = path.with_extension("toml.tmp");
        write_private(&tmp, &text).map_err(|err| GlueError::io(&tmp, err))?;
        std::fs::rename(&tmp, &path).map_err(|err| GlueError::io(&path, err))?;
        Ok(path)
    }
}

struct Writer<'a> {
    out: &'a mut String,
}

impl Writer<'_> {
    fn str(&mut self, key: &str, value: &str) {
        self.raw(key, &quote(value));
    }

    fn raw(&mut self, key: &str, value: &str) {
        // `let _`: writing to a String cannot fail.
        let _ = writeln!(self.out, "{key} = {value}");
    }
}

/// Writes a file only its owner may read: it can hold the store's password.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// A TOML basic string.
fn quote(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

fn path_str(path: &Path) -> Result<String, GlueError> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| GlueError::Config {
            reason: format!("path is not UTF-8: {}", path.display()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(store: StoreBackend) -> EngineConfig {
        EngineConfig {
            data_dir: PathBuf::from("/tmp/casella \"quoted\"/engine"),
            hostname: "mail.example.test".into(),
            tls: None,
            bind_address: "127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1])),
            ports: EnginePorts::default(),
            store,
            cache: CacheConfig {
                messages: Some(1 << 20),
                access_tokens: None,
            },
            log_level: "warn".into(),
            send_tiers: SEND_TIERS,
            journal: None,
        }
    }

    #[test]
    fn renders_valid_toml_for_every_store() {
        let pg = PostgresStore {
            host: "127.0.0.1".into(),
            port: 5432,
            database: "casella".into(),
            user: "casella".into(),
            password: "p\"w\\".into(),
        };
        for store in [
            StoreBackend::Sqlite,
            StoreBackend::RocksDb,
            StoreBackend::Postgres(pg),
        ] {
            let text = sample(store.clone()).render().unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap();
            let db = &table["store"]["db"];
            assert_eq!(db["type"].as_str(), Some(store.name()));
        }
    }

    #[test]
    fn listeners_and_mx_rules_are_written() {
        let table: toml::Table =
            toml::from_str(&sample(StoreBackend::Sqlite).render().unwrap()).unwrap();
        let listeners = table["server"]["listener"].as_table().unwrap();
        assert_eq!(listeners.len(), 8);
        assert_eq!(
            listeners["imaps"]["bind"][0].as_str(),
            Some("127.0.0.1:2993")
        );
        assert_eq!(listeners["imaps"]["tls"]["implicit"].as_bool(), Some(true));
        assert_eq!(
            table["session"]["auth"]["require"].as_str(),
            Some("listener != 'smtp'")
        );
        assert_eq!(
            table["version"]["spam-filter"].as_str(),
            Some("2.0.0"),
            "without a version the engine downloads spam rules at boot"
        );
        assert_eq!(
            table["spam-filter"]["pyzor"]["enable"].as_bool(),
            Some(false),
            "Pyzor's host lookup fails an offline boot"
        );
        assert_eq!(
            table["auth"]["arc"]["seal"].as_bool(),
            Some(false),
            "the default seal names a key Casella never makes: a warning per inbound message"
        );
        let allowed = table["server"]["allowed-ip"].as_table().unwrap();
        assert!(allowed.contains_key("127.0.0.1") && allowed.contains_key("::1"));
        let limiters = table["queue"]["limiter"]["inbound"].as_table().unwrap();
        assert_eq!(limiters.len(), SEND_TIERS.len());
        // The smallest tier takes whatever names none of the larger ones.
        let smallest = limiters["send-250"]["match"].as_str().unwrap();
        assert!(smallest.contains("!(key_get('', 'send-tier:' + authenticated_as) == '1000' ||"));
        assert!(!smallest.contains("== '250'"));
    }

    #[test]
    fn the_journal_is_routed_to_its_receiver_and_never_to_a_client() {
        let mut config = sample(StoreBackend::Sqlite);
        config.journal = Some(JournalConfig {
            hook_port: 4001,
            lmtp_port: 4002,
            hook_secret: "s3cret".into(),
        });
        assert!(!format!("{:?}", config.journal).contains("s3cret"));
        let table: toml::Table = toml::from_str(&config.render().unwrap()).unwrap();
        let hook = &table["session"]["hook"]["archive"];
        assert_eq!(
            hook["url"].as_str(),
            Some("http://127.0.0.1:4001/archive/hook")
        );
        assert_eq!(hook["options"]["tempfail-on-error"].as_bool(), Some(true));
        let route = &table["queue"]["route"]["journal"];
        assert_eq!(route["protocol"].as_str(), Some("lmtp"));
        assert_eq!(route["address"].as_str(), Some(JOURNAL_HOST));
        assert_eq!(route["port"].as_integer(), Some(4002));
        assert_eq!(route["tls"]["implicit"].as_bool(), Some(false));
        let routes = table["queue"]["strategy"]["route"].as_array().unwrap();
        assert_eq!(
            routes[0]["if"].as_str(),
            Some("rcpt_domain == 'archive.invalid'"),
            "the journal is matched before the local domains"
        );
        let relay = table["session"]["rcpt"]["relay"].as_array().unwrap();
        assert_eq!(relay[0]["then"].as_bool(), Some(false));
        let limiters = table["queue"]["limiter"]["inbound"].as_table().unwrap();
        assert!(
            limiters.values().all(|l| l["match"]
                .as_str()
                .unwrap()
                .contains("!= 'archive.invalid'")),
            "a journal copy is not an external recipient"
        );
    }

    #[test]
    fn secrets_do_not_leak_into_debug_output() {
        let pg = PostgresStore {
            host: "h".into(),
            port: 1,
            database: "d".into(),
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{pg:?}").contains("hunter2"));
    }
}
