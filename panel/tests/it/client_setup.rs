// SPDX-License-Identifier: AGPL-3.0-only
//! What mail clients fetch to set themselves up (issue 9, §3): Thunderbird autoconfig and
//! Outlook Autodiscover parsed with lxml, an Apple profile parsed with plistlib and checked
//! against Apple's schemas in `../shared/corpora/client-config/`, the profile link a phone
//! opens from the QR code, and the client parameters of the account page. A hostile address
//! must not break the XML, and the MX port is never offered.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::{
    flows,
    harness::{Casella, Web},
};

/// Runs the independent checker on a served file; panics with its reason if it is broken.
fn check(kind: &str, body: &[u8]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/client_setup_check.py");
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/client-config/apple-device-management");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(kind)
        .arg(schemas)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{kind} is broken: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap()
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn ports_offered(servers: &Value, field: &str) -> Vec<u64> {
    servers
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[field].as_u64().unwrap())
        .collect()
}

#[test]
fn mail_clients_find_their_settings_and_nothing_breaks_the_xml() {
    let casella = Casella::start(true);
    let http = client();
    let p = &casella.ports;
    let mx = u64::from(p.smtp);

    // Thunderbird, by the address's domain (the hostile address is never echoed).
    let url = casella
        .url("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=a%3Cb%3E%26%40demo.test");
    let resp = http.get(url).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let tb = check("autoconfig", &resp.bytes().unwrap());
    assert_eq!(tb["domain"], "demo.test");
    let ports = ports_offered(&tb["servers"], "port");
    for want in [
        p.imaps,
        p.imap,
        p.pop3s,
        p.pop3,
        p.submissions,
        p.submission,
    ] {
        assert!(ports.contains(&u64::from(want)), "{want} in {tb}");
    }
    assert!(!ports.contains(&mx), "the MX port is not for clients: {tb}");
    assert!(
        tb["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["username"] == "%EMAILADDRESS%")
    );
    // As `autoconfig.<domain>`, by the host asked for.
    let resp = http
        .get(casella.url("/mail/config-v1.1.xml"))
        .header("Host", "autoconfig.demo.test")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        check("autoconfig", &resp.bytes().unwrap())["domain"],
        "demo.test"
    );
    // A domain Casella does not host gets nothing.
    let resp = http
        .get(casella.url("/mail/config-v1.1.xml?emailaddress=x%40elsewhere.test"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // Outlook, POX: the address comes back escaped.
    let request = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
        <Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">\
        <Request><EMailAddress>a&lt;b&gt;&amp;@demo.test</EMailAddress>\
        <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\
        </Request></Autodiscover>";
    for path in [
        "/autodiscover/autodiscover.xml",
        "/Autodiscover/Autodiscover.xml",
    ] {
        let resp = http
            .post(casella.url(path))
            .header("Content-Type", "text/xml")
            .body(request)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let ad = check("autodiscover", &resp.bytes().unwrap());
        assert_eq!(ad["address"], "a<b>&@demo.test");
        let ports = ports_offered(&ad["protocols"], "port");
        assert_eq!(
            ports,
            vec![
                u64::from(p.imaps),
                u64::from(p.pop3s),
                u64::from(p.submissions)
            ]
        );
        assert!(!ports.contains(&mx));
    }
    // Autodiscover v2 points to the POX answer; other protocols are refused as Outlook
    // expects.
    let v2: Value =
        http.get(casella.url(
            "/autodiscover/autodiscover.json?Email=alice%40demo.test&Protocol=AutodiscoverV1",
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v2["Protocol"], "AutodiscoverV1");
    assert!(
        v2["Url"]
            .as_str()
            .unwrap()
            .ends_with("/autodiscover/autodiscover.xml")
    );
    let resp = http
        .get(casella.url("/autodiscover/autodiscover.json/v1.0/alice@demo.test?Protocol=Ews"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.json::<Value>().unwrap()["ErrorCode"],
        "InvalidProtocol"
    );

    // The account page's parameters, and the Apple profile for the signed-in browser.
    let alice = casella.printed["alice@demo.test"].clone();
    let web = Web::new(&casella);
    web.login("alice@demo.test", &alice).expect("login");
    let settings = web.call("account/client_settings", &[]).unwrap();
    assert_eq!(settings["address"], "alice@demo.test");
    assert_eq!(settings["server"]["imaps_port"], p.imaps);
    assert_eq!(settings["profiles"].as_array().unwrap().len(), 2);
    let (status, media_type, body) = web.bytes("/account/mobileconfig?protocol=imap");
    assert_eq!(status, 200);
    assert_eq!(media_type, "application/x-apple-aspen-config");
    let profile = check("mobileconfig", &body);
    let mail = &profile["mail"][0];
    assert_eq!(mail["EmailAccountType"], "EmailTypeIMAP");
    assert_eq!(mail["IncomingMailServerPortNumber"], p.imaps);
    assert_eq!(mail["OutgoingMailServerPortNumber"], p.submissions);
    assert_eq!(mail["IncomingMailServerUsername"], "alice@demo.test");
    assert!(
        mail.get("IncomingPassword").is_none(),
        "no password in a profile"
    );
    let (_, _, pop) = web.bytes("/account/mobileconfig?protocol=pop3");
    assert_eq!(
        check("mobileconfig", &pop)["mail"][0]["EmailAccountType"],
        "EmailTypePOP"
    );
    // Not signed in: no profile.
    assert_eq!(Web::new(&casella).bytes("/account/mobileconfig").0, 401);

    // The phone's link (the QR code's) opens the same profile without a session; an
    // altered one opens nothing.
    let link = settings["profiles"][0]["phone_url"].as_str().unwrap();
    let path = &link[link.find("/mobileconfig/").unwrap()..];
    let resp = http.get(casella.url(path)).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let linked = check("mobileconfig", &resp.bytes().unwrap());
    assert_eq!(linked["mail"][0]["EmailAddress"], "alice@demo.test");
    assert!(
        settings["profiles"][0]["qr"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,")
    );
    let forged = format!("{}x", &path[..path.len() - 1]);
    assert_eq!(
        http.get(casella.url(&forged))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        404
    );

    // Staff have no mail clients.
    let operator = flows::operator(&casella);
    let err = operator.call("account/client_settings", &[]).unwrap_err();
    assert_eq!(err, "Forbidden");
}
