// SPDX-License-Identifier: AGPL-3.0-only
//! A domain's DNS: the records to publish (MX, SPF, both DKIM keys, DMARC, client set-up and
//! the service records of every client protocol) and a check that resolves each one through
//! the configured resolver and says whether it is there as it should be.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use hickory_resolver::{
    TokioResolver,
    config::{NameServerConfig, ProtocolConfig, ResolverConfig, ResolverOpts},
    name_server::TokioConnectionProvider,
    proto::rr::{RData, RecordType},
};

use super::{DomainScope, ServiceError};

/// Well-known ports of the chat service's records (the XMPP service listens there).
const XMPP_CLIENT_PORT: u16 = 5222;
const XMPP_SERVER_PORT: u16 = 5269;

/// A record type the page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mx,
    Txt,
    Cname,
    Srv,
    A,
    Aaaa,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mx => "MX",
            Kind::Txt => "TXT",
            Kind::Cname => "CNAME",
            Kind::Srv => "SRV",
            Kind::A => "A",
            Kind::Aaaa => "AAAA",
        }
    }

    fn record_type(self) -> RecordType {
        match self {
            Kind::Mx => RecordType::MX,
            Kind::Txt => RecordType::TXT,
            Kind::Cname => RecordType::CNAME,
            Kind::Srv => RecordType::SRV,
            Kind::A => RecordType::A,
            Kind::Aaaa => RecordType::AAAA,
        }
    }
}

/// What a record is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Mx,
    Spf,
    Dkim,
    Dmarc,
    Autoconfig,
    Autodiscover,
    Imap,
    Pop3,
    Submission,
    Xmpp,
}

/// One record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub kind: Kind,
    /// Fully qualified, without the final dot.
    pub name: String,
    pub value: String,
    pub purpose: Purpose,
}

/// What the check found for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Published as it should be.
    Found,
    /// Nothing of its kind at its name.
    Missing,
    /// Something else is there (what the resolver answered).
    Different(Vec<String>),
    /// The resolver did not answer (a timeout, a refusal).
    Unknown(String),
}

/// The resolver the check asks: the one configured, or the system's.
#[derive(Clone)]
pub struct DnsChecker {
    resolver: Arc<TokioResolver>,
}

impl DnsChecker {
    /// A checker asking `nameserver` (UDP, then TCP), or the system's resolvers.
    pub fn new(nameserver: Option<SocketAddr>) -> Result<DnsChecker, String> {
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_secs(3);
        options.attempts = 1;
        // A check must see the zone as it is now, not as it was cached.
        options.cache_size = 0;
        let builder = match nameserver {
            Some(addr) => {
                let mut config = ResolverConfig::from_parts(None, Vec::new(), Vec::new());
                config.add_name_server(NameServerConfig::new(addr, ProtocolConfig::Udp));
                config.add_name_server(NameServerConfig::new(addr, ProtocolConfig::Tcp));
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            }
            None => TokioResolver::builder_tokio().map_err(|err| err.to_string())?,
        };
        Ok(DnsChecker {
            resolver: Arc::new(builder.with_options(options).build()),
        })
    }

    /// Resolves one expected record and compares.
    pub async fn check(&self, expected: &Expected) -> Found {
        let name = format!("{}.", expected.name);
        let answers = match self
            .resolver
            .lookup(name.as_str(), expected.kind.record_type())
            .await
        {
            Ok(lookup) => lookup
                .record_iter()
                .filter_map(|r| text_of(r.data()))
                .collect::<Vec<_>>(),
            Err(err) if err.is_no_records_found() || err.is_nx_domain() => Vec::new(),
            Err(err) => return Found::Unknown(err.to_string()),
        };
        let want = normal(expected.kind, &expected.value);
        // At a shared name (the domain's TXT), only the records of the same sort compete.
        let relevant: Vec<String> = answers
            .into_iter()
            .filter(|a| match expected.purpose {
                Purpose::Spf => a.starts_with("v=spf1"),
                Purpose::Dmarc => a.starts_with("v=DMARC1"),
                _ => true,
            })
            .collect();
        if relevant.iter().any(|a| normal(expected.kind, a) == want) {
            Found::Found
        } else if relevant.is_empty() {
            Found::Missing
        } else {
            Found::Different(relevant)
        }
    }
}

/// The text of a record's data, as the page shows it.
fn text_of(data: &RData) -> Option<String> {
    Some(match data {
        RData::MX(mx) => format!("{} {}", mx.preference(), mx.exchange()),
        RData::TXT(txt) => txt
            .txt_data()
            .iter()
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect::<String>(),
        RData::CNAME(name) => name.to_string(),
        RData::A(a) => a.to_string(),
        RData::AAAA(a) => a.to_string(),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority(),
            srv.weight(),
            srv.port(),
            srv.target()
        ),
        _ => return None,
    })
}

/// A record's value as compared: names without the final dot and in lower case, spaces
/// collapsed.
fn normal(kind: Kind, value: &str) -> String {
    let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
    match kind {
        Kind::Txt => collapsed,
        Kind::Mx | Kind::Cname | Kind::Srv | Kind::A | Kind::Aaaa => collapsed
            .split(' ')
            .map(|part| part.trim_end_matches('.').to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The host (an IPv6 address without its brackets) and port of the panel's public URL.
fn web_host(public_url: &str) -> (String, u16) {
    let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
    let authority = rest.split('/').next().unwrap_or(rest);
    let default = if scheme == "https" { 443 } else { 80 };
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (v6, None),
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    (
        host.to_string(),
        port.and_then(|p| p.parse().ok()).unwrap_or(default),
    )
}

impl DomainScope<'_> {
    /// The records this domain must publish.
    pub async fn dns_records(&self) -> Result<Vec<Expected>, ServiceError> {
        let services = self.services;
        let domain = self.domain.name.clone();
        let mail = services.mail_endpoints();
        let host = mail.hostname.trim_end_matches('.').to_string();
        let (web, web_port) = web_host(&mail.public_url);
        let p = mail.ports;
        let record = |kind, name: String, value: String, purpose| Expected {
            kind,
            name,
            value,
            purpose,
        };
        let mut records = vec![
            record(Kind::Mx, domain.clone(), format!("10 {host}"), Purpose::Mx),
            record(
                Kind::Txt,
                domain.clone(),
                "v=spf1 mx ra=postmaster -all".into(),
                Purpose::Spf,
            ),
        ];
        for (name, value) in services.engine.dkim_records(&domain).await? {
            records.push(record(Kind::Txt, name, value, Purpose::Dkim));
        }
        records.push(record(
            Kind::Txt,
            format!("_dmarc.{domain}"),
            format!("v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}"),
            Purpose::Dmarc,
        ));
        // The set-up names point at the panel: by name, or (a panel reached by address)
        // with address records, which a service record can then name.
        let (alias_kind, srv_target) = match web.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => (Kind::A, format!("autodiscover.{domain}")),
            Ok(std::net::IpAddr::V6(_)) => (Kind::Aaaa, format!("autodiscover.{domain}")),
            Err(_) => (Kind::Cname, web.clone()),
        };
        records.push(record(
            alias_kind,
            format!("autoconfig.{domain}"),
            web.clone(),
            Purpose::Autoconfig,
        ));
        records.push(record(
            alias_kind,
            format!("autodiscover.{domain}"),
            web.clone(),
            Purpose::Autodiscover,
        ));
        records.push(record(
            Kind::Srv,
            format!("_autodiscover._tcp.{domain}"),
            format!("0 0 {web_port} {srv_target}"),
            Purpose::Autodiscover,
        ));
        for (service, port, purpose) in [
            ("_imaps", p.imaps, Purpose::Imap),
            ("_imap", p.imap, Purpose::Imap),
            ("_pop3s", p.pop3s, Purpose::Pop3),
            ("_pop3", p.pop3, Purpose::Pop3),
            ("_submissions", p.submissions, Purpose::Submission),
            ("_submission", p.submission, Purpose::Submission),
            ("_xmpp-client", XMPP_CLIENT_PORT, Purpose::Xmpp),
            ("_xmpp-server", XMPP_SERVER_PORT, Purpose::Xmpp),
        ] {
            records.push(record(
                Kind::Srv,
                format!("{service}._tcp.{domain}"),
                format!("0 1 {port} {host}"),
                purpose,
            ));
        }
        Ok(records)
    }

    /// Resolves every record this domain must publish, a few at a time.
    pub async fn check_dns(&self) -> Result<Vec<(Expected, Found)>, ServiceError> {
        let records = self.dns_records().await?;
        let checker = self.services.dns.clone();
        let mut checks = tokio::task::JoinSet::new();
        for (i, record) in records.into_iter().enumerate() {
            let checker = checker.clone();
            checks.spawn(async move {
                let found = checker.check(&record).await;
                (i, record, found)
            });
        }
        let mut results = Vec::new();
        while let Some(done) = checks.join_next().await {
            results.push(done.map_err(|err| ServiceError::Internal(format!("DNS check: {err}")))?);
        }
        results.sort_by_key(|(i, ..)| *i);
        Ok(results.into_iter().map(|(_, r, f)| (r, f)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_dots_and_case_text_as_written() {
        assert_eq!(web_host("http://[::1]:8080"), ("::1".into(), 8080));
        assert_eq!(
            normal(Kind::Mx, "10  Mail.Example.NET."),
            normal(Kind::Mx, "10 mail.example.net")
        );
        assert_ne!(
            normal(Kind::Txt, "v=spf1 -all"),
            normal(Kind::Txt, "V=SPF1 -all")
        );
        assert_eq!(
            web_host("https://panel.example.net"),
            ("panel.example.net".into(), 443)
        );
        assert_eq!(
            web_host("http://127.0.0.1:8080/"),
            ("127.0.0.1".into(), 8080)
        );
    }
}
