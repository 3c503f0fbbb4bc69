// SPDX-License-Identifier: AGPL-3.0-only
//! The domain's DNS page against a real authoritative DNS server (Knot DNS) on loopback: the
//! records Casella asks for are published in a zone, some right, one wrong, some left out,
//! and the check tells which is which.

use std::{
    net::{TcpListener, UdpSocket},
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    flows,
    harness::{Casella, Web},
};

/// A Knot DNS server for one zone, stopped on drop.
struct Knot {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free for both UDP and TCP on loopback.
fn free_dns_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A TXT value as zone-file strings of at most 255 bytes each.
fn txt_strings(value: &str) -> String {
    value
        .as_bytes()
        .chunks(255)
        .map(|chunk| {
            format!(
                "\"{}\"",
                String::from_utf8_lossy(chunk).replace('"', "\\\"")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn start_knot(port: u16, zone: &str, records: &str) -> Knot {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let conf = format!(
        "server:\n    listen: 127.0.0.1@{port}\n    rundir: {run}\n    user: root:root\n\
         database:\n    storage: {run}\n\
         template:\n  - id: default\n    storage: {run}\n    semantic-checks: off\n\
         zone:\n  - domain: {zone}\n    file: {zone}.zone\n\
         log:\n  - target: stderr\n    any: warning\n",
        run = path.display()
    );
    std::fs::write(path.join("knot.conf"), conf).unwrap();
    let zone_file = format!(
        "$ORIGIN {zone}.\n$TTL 60\n@ IN SOA ns.{zone}. hostmaster.{zone}. 1 60 60 600 60\n\
         @ IN NS ns.{zone}.\nns IN A 127.0.0.1\n{records}"
    );
    std::fs::write(path.join(format!("{zone}.zone")), zone_file).unwrap();
    let knotd = ["/usr/sbin/knotd", "/usr/bin/knotd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("knotd (Debian's knot package; scripts/setup installs it)");
    let child = Command::new(knotd)
        .arg("-c")
        .arg(path.join("knot.conf"))
        .spawn()
        .expect("knotd");
    // Ready once it answers on TCP.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "knotd did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Knot { child, _dir: dir }
}

fn rows(web: &Web, check: bool) -> Vec<Value> {
    web.call(
        "domain/dns_records",
        &[
            ("domain", "dns.test"),
            ("check", if check { "true" } else { "false" }),
        ],
    )
    .expect("dns records")
    .as_array()
    .unwrap()
    .clone()
}

#[test]
fn the_dns_check_reads_a_real_zone() {
    let port = free_dns_port();
    let resolver = format!("127.0.0.1:{port}");
    let casella = Casella::start_with(true, &[("CASELLA_DNS_RESOLVER", &resolver)]);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "dns.test", 5);

    // The RSA key is made in the background (slow without optimisation): wait for both.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut expected = rows(&postmaster, false);
    while expected.iter().filter(|r| r["purpose"] == "dkim").count() < 2 {
        assert!(
            Instant::now() < deadline,
            "the RSA DKIM key never came: {expected:?}"
        );
        std::thread::sleep(Duration::from_secs(2));
        expected = rows(&postmaster, false);
    }
    let kinds: Vec<(&str, &str)> = expected
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["purpose"].as_str().unwrap()))
        .collect();
    for wanted in [
        ("MX", "mx"),
        ("TXT", "spf"),
        ("TXT", "dmarc"),
        // The test panel is reached by address: address records, not aliases.
        ("A", "autoconfig"),
        ("A", "autodiscover"),
        ("SRV", "autodiscover"),
        ("SRV", "imap"),
        ("SRV", "pop3"),
        ("SRV", "submission"),
        ("SRV", "xmpp"),
    ] {
        assert!(kinds.contains(&wanted), "{wanted:?} in {kinds:?}");
    }
    let dkim: Vec<&Value> = expected.iter().filter(|r| r["purpose"] == "dkim").collect();
    assert_eq!(dkim.len(), 2, "an RSA and an Ed25519 key: {expected:?}");
    assert!(
        !expected.iter().any(|r| r["value"]
            .as_str()
            .unwrap()
            .contains(&format!(" {} ", casella.ports.smtp))),
        "the MX port is never offered to clients"
    );

    // Publish: everything but the DMARC record and the XMPP ones, and a wrong MX.
    let mut zone = String::new();
    for row in &expected {
        let (kind, name, value) = (
            row["kind"].as_str().unwrap(),
            row["name"].as_str().unwrap(),
            row["value"].as_str().unwrap(),
        );
        match row["purpose"].as_str().unwrap() {
            "dmarc" | "xmpp" => continue,
            "mx" => zone.push_str(&format!("{name}. IN MX 20 other.example.net.\n")),
            _ if kind == "TXT" => {
                zone.push_str(&format!("{name}. IN TXT {}\n", txt_strings(value)))
            }
            _ if kind == "A" => zone.push_str(&format!("{name}. IN A {value}\n")),
            _ if kind == "CNAME" || kind == "SRV" => {
                zone.push_str(&format!("{name}. IN {kind} {value}.\n"))
            }
            _ => unreachable!("{row}"),
        }
    }
    let _knot = start_knot(port, "dns.test", &zone);

    let checked = rows(&postmaster, true);
    assert_eq!(checked.len(), expected.len());
    for row in &checked {
        let status = &row["status"];
        match row["purpose"].as_str().unwrap() {
            "mx" => {
                let seen = &status["Different"];
                assert!(
                    seen.as_array()
                        .is_some_and(|s| s[0].as_str().unwrap().contains("other.example.net")),
                    "{row}"
                );
            }
            "dmarc" | "xmpp" => assert_eq!(status, "Missing", "{row}"),
            _ => assert_eq!(status, "Found", "{row}"),
        }
    }

    // The page shows them with copy buttons and, after a check, the findings.
    let (status, page) = postmaster.page("/domains/dns.test/dns?check=1");
    assert_eq!(status, 200);
    assert!(
        page.contains("dns-records") && page.contains("data-copy="),
        "{page}"
    );
    assert!(page.contains("other.example.net"));
}
