// SPDX-License-Identifier: AGPL-3.0-only
//! Casella's configuration: one typed struct, read in layers — built-in defaults, then
//! `casella.toml` (or the file given with `--config`), then `CASELLA_*` environment variables
//! (`__` separates levels, e.g. `CASELLA_PORTS__IMAP=993`), then command-line flags — and
//! checked once at start.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
};

use engine_glue::{CacheConfig, EngineConfig, EnginePorts, PostgresStore, StoreBackend, TlsFiles};
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::notify::Mailer;

/// Quota tiers a mailbox may have, in bytes (seed 002: 8 GB standard, 25, 50, 100 GB).
pub const QUOTA_TIERS: [u64; 4] = [
    8_000_000_000,
    25_000_000_000,
    50_000_000_000,
    100_000_000_000,
];

mod ip_range;
mod xmpp;
pub use ip_range::IpRange;
pub use xmpp::XmppSection;

/// When the daily cost-change notices go out.
#[derive(Debug, Clone, Copy)]
pub enum Schedule {
    /// Once a day at this time (UTC).
    DailyAt(chrono::NaiveTime),
    /// Every so often (tests, or a provider that wants it more often).
    Every(std::time::Duration),
}

/// Everything Casella can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder for the panel database, the engine's store and its configuration.
    pub data_dir: PathBuf,
    /// Address the web panel and every mail listener bind to.
    pub bind_address: IpAddr,
    /// Port of the web panel and webmail.
    pub http_port: u16,
    /// Host name mail clients use to reach this server (also the SMTP greeting name).
    pub hostname: String,
    /// Address the web panel binds to; unset means `bind_address`.
    pub web_bind_address: Option<IpAddr>,
    /// Address the mail listeners bind to; unset means `bind_address`.
    pub mail_bind_address: Option<IpAddr>,
    /// Panel database URL; empty means a SQLite file in the data folder.
    /// PostgreSQL: `postgres://user:password@host/database`.
    pub database_url: Secret,
    /// A file holding the panel database URL (for secrets kept out of the configuration);
    /// read at start and used instead of `database_url`.
    pub database_url_file: Option<PathBuf>,
    /// Folder with the browser assets (`pkg/`, favicon); empty means next to the binary.
    pub site_dir: PathBuf,
    /// Log filter for Casella's own logs (`tracing` syntax, e.g. `info,panel=debug`).
    pub log: String,
    /// Send session cookies only over HTTPS, and tell browsers to keep to HTTPS (HSTS); on
    /// by itself when the panel serves HTTPS or `public_url` is `https://`. Turn on behind a
    /// TLS-terminating proxy.
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges such as
    /// `127.0.0.1` or `10.0.0.0/8`. From anyone else the header is ignored, so the client's
    /// address, which the sign-in throttle and the audit log use, cannot be forged.
    pub trusted_proxies: Vec<String>,
    /// A web session ends this many hours after its sign-in, however active it is.
    pub session_max_hours: u64,
    /// TLS certificate for every mail listener and, with `tls.web`, the panel.
    pub tls: TlsSection,
    /// Mail listener ports.
    pub ports: EnginePorts,
    /// The mail engine.
    pub engine: EngineSection,
    /// The XMPP service for chat clients.
    pub xmpp: XmppSection,
    /// Address of the panel as people reach it (used in e-mails); empty means
    /// `http://<bind_address>:<http_port>`.
    pub public_url: String,
    /// Notification e-mails (credentials, cost changes).
    pub notify: NotifySection,
    /// Daily limits of recipients outside the company's domains a mailbox may be given,
    /// smallest (the default) first.
    pub send_tiers: [u32; 4],
    /// Mailbox quota tiers in bytes, smallest (the default) first.
    pub quota_tiers: [u64; 4],
    /// When the day's cost-change notices are e-mailed to legal representatives (UTC, HH:MM).
    pub cost_notice_time: String,
    /// Send the cost-change notices every this many seconds instead of daily; 0 = daily.
    pub cost_notice_every_seconds: u64,
    /// The DNS server the domains' DNS check asks (`address:port`); unset means the
    /// system's resolvers.
    pub dns_resolver: Option<SocketAddr>,
    /// Days the access log and the message trace are kept.
    pub log_retention_days: u32,
    /// Days the Mail Time Machine keeps each mailbox's daily snapshots.
    pub snapshot_days: u32,
    /// What bringing a mailbox back to a day costs its customer, in cents (0 = free); shown
    /// before the user confirms, and in the monitor.
    pub restore_price_cents: i64,
    /// Seconds between the archive's passes over archived accounts' engine changes (≥ 1).
    pub archive_pass_seconds: u64,
    /// Seconds a message waits before that pass keeps it (its journal copy may be due).
    pub archive_grace_seconds: u64,
    /// Keep what the engine reports: mail clients' sign-ins in the access log, the message
    /// trace, the sent-message counts. Off, none of them is written (the benchmarks measure
    /// what they cost this way).
    pub engine_events: bool,
    /// Let the webmail's image proxy reach private and loopback addresses. Off (the default),
    /// a message's remote image on the provider's own network is refused.
    pub image_proxy_private_addresses: bool,
}

/// The server's TLS certificate (PEM files). Without one, the mail listeners use a
/// self-signed certificate for `hostname` and the panel serves plain HTTP.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// Certificate chain, PEM.
    pub cert: Option<PathBuf>,
    /// Private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// Serve the web panel over HTTPS with the same certificate.
    pub web: bool,
    /// How often the files are checked for a renewed certificate, in seconds; a renewal is
    /// taken without a restart (so is SIGHUP).
    pub reload_seconds: u64,
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            cert: None,
            key: None,
            web: false,
            reload_seconds: 60,
        }
    }
}

/// A configuration value that must not reach a log: `Debug` shows only whether it is set.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "<redacted>"
        })
    }
}

/// Where notification e-mails come from and which SMTP server takes them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySection {
    /// Sender, e.g. `Casella <noreply@mail.example.com>`; empty means
    /// `noreply@<hostname>`.
    pub from: String,
    /// SMTP server host; empty means the embedded engine's MX on this machine.
    pub smtp_host: String,
    /// SMTP server port; 0 means the embedded engine's MX port.
    pub smtp_port: u16,
}

/// Which store the engine keeps mail in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Embedded SQLite file.
    Sqlite,
    /// Embedded RocksDB (the default: faster on IMAP-heavy loads, see `bench/`).
    Rocksdb,
    /// PostgreSQL server (the scale path; needs `engine.postgres`).
    Postgresql,
}

/// The mail engine's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSection {
    /// Mail store.
    pub store: StoreKind,
    /// PostgreSQL connection, when `store = "postgresql"`.
    pub postgres: Option<PostgresSection>,
    /// Message metadata cache in bytes; unset keeps the engine default.
    pub cache_messages_bytes: Option<u64>,
    /// Access token cache in bytes; unset keeps the engine default.
    pub cache_access_tokens_bytes: Option<u64>,
    /// Engine log level (`error`, `warn`, `info`, `debug`, `trace`).
    pub log_level: String,
}

impl Default for EngineSection {
    fn default() -> Self {
        EngineSection {
            store: StoreKind::Rocksdb,
            postgres: None,
            cache_messages_bytes: None,
            cache_access_tokens_bytes: None,
            log_level: "warn".into(),
        }
    }
}

/// A PostgreSQL server for the engine's store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSection {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    #[serde(default)]
    pub password: Secret,
    /// A file holding the password, read at start and used instead of `password`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("casella-data"),
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http_port: 8080,
            hostname: "localhost".into(),
            web_bind_address: None,
            mail_bind_address: None,
            database_url: Secret::default(),
            database_url_file: None,
            site_dir: PathBuf::new(),
            log: "info".into(),
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            session_max_hours: 12,
            tls: TlsSection::default(),
            ports: EnginePorts::default(),
            engine: EngineSection::default(),
            xmpp: XmppSection::default(),
            public_url: String::new(),
            notify: NotifySection::default(),
            send_tiers: engine_glue::SEND_TIERS,
            quota_tiers: QUOTA_TIERS,
            cost_notice_time: "23:30".into(),
            cost_notice_every_seconds: 0,
            dns_resolver: None,
            log_retention_days: crate::services::DEFAULT_LOG_DAYS,
            snapshot_days: crate::services::time_machine::DEFAULT_SNAPSHOT_DAYS,
            restore_price_cents: 0,
            archive_pass_seconds: 600,
            archive_grace_seconds: 180,
            engine_events: true,
            image_proxy_private_addresses: false,
        }
    }
}

/// Settings given on the command line; only those present override the other layers.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_address: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Read(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads the layers and checks the result. `file` is the `--config` path; without it
    /// `casella.toml` in the working folder is read when present.
    pub fn load(file: Option<&Path>, flags: FlagOverrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError::Invalid(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("casella.toml")),
        }
        let mut config: Config = figment
            .merge(Env::prefixed("CASELLA_").split("__"))
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(Box::new)?;
        config.read_secret_files()?;
        config.validate()?;
        Ok(config)
    }

    /// Replaces each secret that has a `*_file` with the file's content (without its final
    /// line break).
    fn read_secret_files(&mut self) -> Result<(), ConfigError> {
        fn read(path: &Path, key: &str) -> Result<Secret, ConfigError> {
            std::fs::read_to_string(path)
                .map(|text| Secret(text.trim_end_matches(['\r', '\n']).to_string()))
                .map_err(|err| {
                    ConfigError::Invalid(format!("{key}: cannot read {}: {err}", path.display()))
                })
        }
        if let Some(path) = &self.database_url_file {
            self.database_url = read(path, "database_url_file")?;
        }
        if let Some(pg) = &mut self.engine.postgres
            && let Some(path) = &pg.password_file
        {
            pg.password = read(path, "engine.postgres.password_file")?;
        }
        Ok(())
    }

    /// The trusted proxies, parsed.
    pub fn trusted_proxies(&self) -> Result<Vec<IpRange>, ConfigError> {
        self.trusted_proxies
            .iter()
            .map(|text| {
                IpRange::parse(text).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "trusted_proxies: {text:?} is not an address or a CIDR range"
                    ))
                })
            })
            .collect()
    }

    /// Where the web panel listens.
    pub fn web_address(&self) -> SocketAddr {
        SocketAddr::new(
            self.web_bind_address.unwrap_or(self.bind_address),
            self.http_port,
        )
    }

    /// Where the mail and chat listeners bind.
    pub fn mail_bind(&self) -> IpAddr {
        self.mail_bind_address.unwrap_or(self.bind_address)
    }

    /// Whether the web panel serves HTTPS itself.
    pub fn web_tls(&self) -> bool {
        self.tls.web && self.tls.cert.is_some()
    }

    /// Whether browsers reach the panel over HTTPS (directly or through a proxy): cookies are
    /// then `Secure` and HSTS is sent.
    pub fn served_over_https(&self) -> bool {
        self.secure_cookies || self.web_tls() || self.public_url.starts_with("https://")
    }

    /// How long a web session lasts at most.
    pub fn session_lifetime(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.session_max_hours.saturating_mul(3600))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.hostname.trim().is_empty() {
            return Err(ConfigError::Invalid("hostname is empty".into()));
        }
        if self.restore_price_cents < 0 {
            return Err(ConfigError::Invalid(
                "restore_price_cents: a price is never negative".into(),
            ));
        }
        let p = &self.ports;
        let mut ports = vec![
            ("http_port", self.http_port),
            ("ports.smtp", p.smtp),
            ("ports.submission", p.submission),
            ("ports.submissions", p.submissions),
            ("ports.imap", p.imap),
            ("ports.imaps", p.imaps),
            ("ports.pop3", p.pop3),
            ("ports.pop3s", p.pop3s),
            ("ports.managesieve", p.managesieve),
        ];
        if self.xmpp.enabled {
            ports.push(("xmpp.port", self.xmpp.port));
            ports.push(("xmpp.tls_port", self.xmpp.tls_port));
            if self.xmpp.max_stanza_bytes < 10_000 || self.xmpp.max_sessions == 0 {
                return Err(ConfigError::Invalid(
                    "xmpp.max_stanza_bytes must be at least 10000 and xmpp.max_sessions above 0"
                        .into(),
                ));
            }
            if self.xmpp.resume_seconds == 0 || self.xmpp.resume_seconds > 86_400 {
                return Err(ConfigError::Invalid(
                    "xmpp.resume_seconds must be between 1 and 86400".into(),
                ));
            }
            if self.xmpp.scram_iterations < 4096 {
                return Err(ConfigError::Invalid(
                    "xmpp.scram_iterations must be at least 4096 (RFC 7677)".into(),
                ));
            }
        }
        ports.sort_by_key(|(_, port)| *port);
        for pair in ports.windows(2) {
            if pair[0].1 == pair[1].1 {
                return Err(ConfigError::Invalid(format!(
                    "{} and {} both use port {}",
                    pair[0].0, pair[1].0, pair[0].1
                )));
            }
        }
        if let Some((name, _)) = ports.iter().find(|(_, port)| *port == 0) {
            return Err(ConfigError::Invalid(format!("{name} is 0")));
        }
        self.cost_schedule()?;
        if self.quota_tiers.windows(2).any(|w| w[0] >= w[1]) || self.quota_tiers[0] == 0 {
            return Err(ConfigError::Invalid(
                "quota_tiers must be four growing sizes above 0".into(),
            ));
        }
        if self.send_tiers.windows(2).any(|w| w[0] >= w[1]) || self.send_tiers[0] == 0 {
            return Err(ConfigError::Invalid(
                "send_tiers must be four growing limits above 0".into(),
            ));
        }
        self.trusted_proxies()?;
        if self.session_max_hours == 0 {
            return Err(ConfigError::Invalid("session_max_hours is 0".into()));
        }
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Invalid(
                    "tls.cert and tls.key go together".into(),
                ));
            }
            (None, None) if self.tls.web => {
                return Err(ConfigError::Invalid(
                    "tls.web needs tls.cert and tls.key".into(),
                ));
            }
            _ => {}
        }
        for path in [&self.tls.cert, &self.tls.key].into_iter().flatten() {
            if !path.is_file() {
                return Err(ConfigError::Invalid(format!(
                    "TLS file {} does not exist",
                    path.display()
                )));
            }
        }
        if self.engine.store == StoreKind::Postgresql && self.engine.postgres.is_none() {
            return Err(ConfigError::Invalid(
                "engine.store = \"postgresql\" needs an [engine.postgres] section".into(),
            ));
        }
        Ok(())
    }

    /// The panel database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("panel.sqlite3").display()
            )
        } else {
            self.database_url.expose().to_string()
        }
    }

    /// The archive journal's envelopes on SQLite (see `db::connect_journal`).
    pub fn journal_path(&self) -> PathBuf {
        self.data_dir.join("journal.sqlite3")
    }

    /// Where kept messages' bytes are (the Time Machine's and the archive's).
    pub fn content_dir(&self) -> PathBuf {
        self.data_dir.join("objects")
    }

    /// The folder with the browser assets.
    pub fn site_dir(&self) -> PathBuf {
        if !self.site_dir.as_os_str().is_empty() {
            return self.site_dir.clone();
        }
        // Built by scripts/build: <target>/site beside <target>/<profile>/casella. A binary
        // in a build folder keeps to it even before the browser build has finished (the demo
        // starts while it runs), so the assets are served as soon as they are there.
        std::env::current_exe()
            .ok()
            .and_then(|exe| {
                let profile = exe.parent()?;
                let built = matches!(
                    profile.file_name().and_then(|n| n.to_str()),
                    Some("debug" | "release")
                );
                let site = profile.parent()?.join("site");
                (built || site.join("pkg").is_dir()).then_some(site)
            })
            .unwrap_or_else(|| PathBuf::from("site"))
    }

    /// The engine's part of the configuration.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            data_dir: self.data_dir.join("engine"),
            hostname: self.hostname.clone(),
            bind_address: self.mail_bind_address.unwrap_or(self.bind_address),
            ports: self.ports,
            tls: match (&self.tls.cert, &self.tls.key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert: absolute(cert),
                    key: absolute(key),
                }),
                _ => None,
            },
            store: match (&self.engine.store, &self.engine.postgres) {
                (StoreKind::Sqlite, _) => StoreBackend::Sqlite,
                (StoreKind::Rocksdb, _) => StoreBackend::RocksDb,
                (StoreKind::Postgresql, Some(pg)) => StoreBackend::Postgres(PostgresStore {
                    host: pg.host.clone(),
                    port: pg.port,
                    database: pg.database.clone(),
                    user: pg.user.clone(),
                    password: pg.password.expose().to_string(),
                }),
                // validate() refuses this combination; fall back to the embedded default.
                (StoreKind::Postgresql, None) => StoreBackend::RocksDb,
            },
            cache: CacheConfig {
                messages: self.engine.cache_messages_bytes,
                access_tokens: self.engine.cache_access_tokens_bytes,
            },
            log_level: self.engine.log_level.clone(),
            send_tiers: self.send_tiers,
            journal: None,
        }
    }

    /// When cost-change notices go out.
    pub fn cost_schedule(&self) -> Result<Schedule, ConfigError> {
        if self.cost_notice_every_seconds > 0 {
            return Ok(Schedule::Every(std::time::Duration::from_secs(
                self.cost_notice_every_seconds,
            )));
        }
        chrono::NaiveTime::parse_from_str(&self.cost_notice_time, "%H:%M")
            .map(Schedule::DailyAt)
            .map_err(|_| {
                ConfigError::Invalid(format!(
                    "cost_notice_time {:?} is not a time such as 23:30",
                    self.cost_notice_time
                ))
            })
    }

    /// The panel's address as people reach it.
    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            let scheme = if self.web_tls() { "https" } else { "http" };
            format!("{scheme}://{}", self.web_address())
        } else {
            self.public_url.clone()
        }
    }

    /// The notification mailer: by default through the engine's own MX on this machine.
    pub fn mailer(&self) -> Result<Mailer, ConfigError> {
        let host = if self.notify.smtp_host.is_empty() {
            match self.mail_bind_address.unwrap_or(self.bind_address) {
                IpAddr::V4(a) if a.is_unspecified() => "127.0.0.1".to_string(),
                IpAddr::V6(a) if a.is_unspecified() => "::1".to_string(),
                other => other.to_string(),
            }
        } else {
            self.notify.smtp_host.clone()
        };
        let port = if self.notify.smtp_port == 0 {
            self.ports.smtp
        } else {
            self.notify.smtp_port
        };
        let from = if self.notify.from.is_empty() {
            format!("Casella <noreply@{}>", self.hostname)
        } else {
            self.notify.from.clone()
        };
        Mailer::new(&host, port, &from, &self.public_url()).map_err(ConfigError::Invalid)
    }
}

/// A path made absolute against the working folder (the engine reads it from elsewhere).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
// figment's `Jail` closures must return `figment::Error`, which is large.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "casella.toml",
                "http_port = 9000\nhostname = \"mail.file.test\"\n[ports]\nimap = 1143\n",
            )?;
            jail.set_env("CASELLA_HTTP_PORT", "9100");
            jail.set_env("CASELLA_ENGINE__STORE", "sqlite");
            let config = Config::load(
                None,
                FlagOverrides {
                    http_port: Some(9200),
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
            assert_eq!(config.http_port, 9200, "flag beats env and file");
            assert_eq!(config.hostname, "mail.file.test", "file beats default");
            assert_eq!(config.ports.imap, 1143);
            assert_eq!(config.ports.pop3, 2110, "defaults fill the rest");
            assert_eq!(
                config.engine.store,
                StoreKind::Sqlite,
                "env sets nested keys"
            );
            Ok(())
        });
    }

    #[test]
    fn secrets_stay_out_of_logs_and_come_from_files() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("db-url", "postgres://casella:hunter2@db/casella\n")?;
            jail.create_file("pg-password", "s3cret-engine\n")?;
            jail.create_file(
                "casella.toml",
                "database_url_file = \"db-url\"\n[engine]\nstore = \"postgresql\"\n\
                 [engine.postgres]\nhost = \"db\"\nport = 5432\ndatabase = \"mail\"\n\
                 user = \"casella\"\npassword_file = \"pg-password\"\n",
            )?;
            let config = Config::load(None, FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                config.database_url(),
                "postgres://casella:hunter2@db/casella"
            );
            match config.engine_config().store {
                StoreBackend::Postgres(pg) => assert_eq!(pg.password, "s3cret-engine"),
                other => panic!("{other:?}"),
            }
            let shown = format!("{config:?}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("s3cret"),
                "{shown}"
            );
            Ok(())
        });
    }

    #[test]
    fn web_and_mail_bind_apart_and_https_follows_the_certificate() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.pem", "x")?;
            jail.create_file("k.pem", "x")?;
            jail.create_file(
                "casella.toml",
                "bind_address = \"0.0.0.0\"\nweb_bind_address = \"127.0.0.1\"\n\
                 [tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\nweb = true\n",
            )?;
            let config = Config::load(None, FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.web_address().to_string(), "127.0.0.1:8080");
            assert_eq!(config.engine_config().bind_address.to_string(), "0.0.0.0");
            assert!(config.web_tls() && config.served_over_https());
            assert!(config.public_url().starts_with("https://"));
            assert!(
                config
                    .engine_config()
                    .tls
                    .is_some_and(|t| t.cert.is_absolute())
            );
            jail.create_file("casella.toml", "[tls]\nweb = true\n")?;
            assert!(
                Config::load(None, FlagOverrides::default()).is_err(),
                "web TLS needs a certificate"
            );
            Ok(())
        });
    }

    #[test]
    fn proxy_ranges_match_what_they_name() {
        let range = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(range.contains("10.200.1.2".parse().unwrap()));
        assert!(!range.contains("11.0.0.1".parse().unwrap()));
        assert!(range.contains("::ffff:10.0.0.9".parse().unwrap()));
        let one = IpRange::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(
            IpRange::parse("::1")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(
            IpRange::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "example.com", "10.0.0/8", ""] {
            assert!(IpRange::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_and_clashing_ports_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("casella.toml", "htp_port = 1\n")?;
            assert!(Config::load(None, FlagOverrides::default()).is_err());
            jail.create_file("casella.toml", "[ports]\nimap = 2110\n")?;
            let err = Config::load(None, FlagOverrides::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("port 2110"), "{err}");
            Ok(())
        });
    }
}
