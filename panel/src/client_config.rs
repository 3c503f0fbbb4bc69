// SPDX-License-Identifier: AGPL-3.0-only
//! What mail clients read to set themselves up, generated from the running configuration:
//! Thunderbird's autoconfig XML, Outlook's Autodiscover (POX, and the JSON v2 redirect to it)
//! and Apple's `.mobileconfig` profile.
//!
//! Only the client ports are ever offered (IMAP, POP3, submission); the MX port is for other
//! mail servers. Every value that came from a user or a request (an address, a company name)
//! is XML-escaped; the host name and ports come from the configuration.

use engine_glue::EnginePorts;
use sha2::{Digest, Sha256};

/// Where mail clients connect.
#[derive(Debug, Clone)]
pub struct ClientEndpoints {
    pub hostname: String,
    pub ports: EnginePorts,
}

/// The incoming protocol a profile sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    Imap,
    Pop3,
}

impl Incoming {
    pub fn parse(text: &str) -> Option<Incoming> {
        match text {
            "imap" => Some(Incoming::Imap),
            "pop3" => Some(Incoming::Pop3),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Incoming::Imap => "imap",
            Incoming::Pop3 => "pop3",
        }
    }
}

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Thunderbird's autoconfig file for a hosted domain (`config-v1.1.xml`). The user name is
/// Thunderbird's own placeholder for the typed address, so nothing from the request is echoed.
pub fn thunderbird(domain: &str, display_name: &str, at: &ClientEndpoints) -> String {
    let host = xml_escape(&at.hostname);
    let domain = xml_escape(domain);
    let name = xml_escape(display_name);
    let server = |kind: &str, tag: &str, port: u16, socket: &str| {
        format!(
            "    <{tag} type=\"{kind}\">\n      <hostname>{host}</hostname>\n      <port>{port}</port>\n      \
             <socketType>{socket}</socketType>\n      <authentication>password-cleartext</authentication>\n      \
             <username>%EMAILADDRESS%</username>\n    </{tag}>\n"
        )
    };
    let p = &at.ports;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n  \
         <emailProvider id=\"{domain}\">\n    <domain>{domain}</domain>\n    \
         <displayName>{name}</displayName>\n    <displayShortName>{name}</displayShortName>\n{}{}{}{}{}{}  \
         </emailProvider>\n</clientConfig>\n",
        server("imap", "incomingServer", p.imaps, "SSL"),
        server("imap", "incomingServer", p.imap, "STARTTLS"),
        server("pop3", "incomingServer", p.pop3s, "SSL"),
        server("pop3", "incomingServer", p.pop3, "STARTTLS"),
        server("smtp", "outgoingServer", p.submissions, "SSL"),
        server("smtp", "outgoingServer", p.submission, "STARTTLS"),
    )
}

/// The e-mail address in an Outlook Autodiscover (POX) request, if the request is one.
pub fn autodiscover_request_address(body: &str) -> Option<String> {
    let start = body.find("<EMailAddress>")? + "<EMailAddress>".len();
    let end = start + body[start..].find("</EMailAddress>")?;
    let raw = body[start..end].trim();
    // The request is XML: undo its five predefined entities (nothing else is expected in an
    // address).
    let text = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text)
}

/// Outlook's Autodiscover (POX, [MS-OXDISCO]) answer for an address of a hosted domain.
pub fn autodiscover(address: &str, at: &ClientEndpoints) -> String {
    let host = xml_escape(&at.hostname);
    let address = xml_escape(address);
    let protocol = |kind: &str, port: u16| {
        format!(
            "      <Protocol>\n        <Type>{kind}</Type>\n        <Server>{host}</Server>\n        \
             <Port>{port}</Port>\n        <LoginName>{address}</LoginName>\n        \
             <DomainRequired>off</DomainRequired>\n        <SPA>off</SPA>\n        <SSL>on</SSL>\n        \
             <AuthRequired>on</AuthRequired>\n      </Protocol>\n"
        )
    };
    let p = &at.ports;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n  \
         <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a\">\n    \
         <User>\n      <DisplayName>{address}</DisplayName>\n      \
         <AutoDiscoverSMTPAddress>{address}</AutoDiscoverSMTPAddress>\n    </User>\n    \
         <Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n{}{}{}    \
         </Account>\n  </Response>\n</Autodiscover>\n",
        protocol("IMAP", p.imaps),
        protocol("POP3", p.pop3s),
        protocol("SMTP", p.submissions),
    )
}

/// A UUID (version 4 layout) derived from `seed`, so the same account's profile keeps its
/// identity: installing it again replaces the one on the device.
fn stable_uuid(seed: &str) -> String {
    let d = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Apple's configuration profile (`.mobileconfig`, an XML property list) with one Mail
/// account. It carries no password: the device asks for it (the main password, or an app
/// password where 2FA is on) when the profile is installed.
pub fn mobileconfig(
    address: &str,
    display_name: &str,
    incoming: Incoming,
    at: &ClientEndpoints,
) -> String {
    let host = xml_escape(&at.hostname);
    let reverse: String = at.hostname.split('.').rev().collect::<Vec<_>>().join(".");
    let digest: String = Sha256::digest(format!("{address}|{}", incoming.code()).as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let identifier = xml_escape(&format!("{reverse}.casella.mail.{digest}"));
    let outer_uuid = stable_uuid(&format!("profile|{address}|{}", incoming.code()));
    let mail_uuid = stable_uuid(&format!("mail|{address}|{}", incoming.code()));
    let email = xml_escape(address);
    let name = xml_escape(display_name);
    let (kind, port) = match incoming {
        Incoming::Imap => ("EmailTypeIMAP", at.ports.imaps),
        Incoming::Pop3 => ("EmailTypePOP", at.ports.pop3s),
    };
    let submissions = at.ports.submissions;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>EmailAccountDescription</key>
      <string>{email}</string>
      <key>EmailAccountName</key>
      <string>{name}</string>
      <key>EmailAccountType</key>
      <string>{kind}</string>
      <key>EmailAddress</key>
      <string>{email}</string>
      <key>IncomingMailServerAuthentication</key>
      <string>EmailAuthPassword</string>
      <key>IncomingMailServerHostName</key>
      <string>{host}</string>
      <key>IncomingMailServerPortNumber</key>
      <integer>{port}</integer>
      <key>IncomingMailServerUseSSL</key>
      <true/>
      <key>IncomingMailServerUsername</key>
      <string>{email}</string>
      <key>OutgoingMailServerAuthentication</key>
      <string>EmailAuthPassword</string>
      <key>OutgoingMailServerHostName</key>
      <string>{host}</string>
      <key>OutgoingMailServerPortNumber</key>
      <integer>{submissions}</integer>
      <key>OutgoingMailServerUseSSL</key>
      <true/>
      <key>OutgoingMailServerUsername</key>
      <string>{email}</string>
      <key>OutgoingPasswordSameAsIncomingPassword</key>
      <true/>
      <key>PayloadDisplayName</key>
      <string>{email}</string>
      <key>PayloadIdentifier</key>
      <string>{identifier}.account</string>
      <key>PayloadType</key>
      <string>com.apple.mail.managed</string>
      <key>PayloadUUID</key>
      <string>{mail_uuid}</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
    </dict>
  </array>
  <key>PayloadDescription</key>
  <string>{email}</string>
  <key>PayloadDisplayName</key>
  <string>{email}</string>
  <key>PayloadIdentifier</key>
  <string>{identifier}</string>
  <key>PayloadOrganization</key>
  <string>{host}</string>
  <key>PayloadRemovalDisallowed</key>
  <false/>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadUUID</key>
  <string>{outer_uuid}</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
</dict>
</plist>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> ClientEndpoints {
        ClientEndpoints {
            hostname: "mail.example.net".into(),
            ports: EnginePorts {
                smtp: 25,
                submission: 587,
                submissions: 465,
                imap: 143,
                imaps: 993,
                pop3: 110,
                pop3s: 995,
                managesieve: 4190,
            },
        }
    }

    #[test]
    fn nothing_from_a_user_breaks_the_xml_and_the_mx_port_is_never_offered() {
        let at = endpoints();
        let hostile = "a<b>&\"'@demo.test";
        let tb = thunderbird("demo.test", "Rossi & <Figli>", &at);
        assert!(tb.contains("Rossi &amp; &lt;Figli&gt;"));
        assert!(!tb.contains("<port>25</port>"));
        let ad = autodiscover(hostile, &at);
        assert!(ad.contains("a&lt;b&gt;&amp;&quot;&apos;@demo.test"));
        assert!(!ad.contains("<Port>25</Port>"));
        let mc = mobileconfig(hostile, "<x>", Incoming::Imap, &at);
        assert!(!mc.contains("<b>") && mc.contains("<integer>993</integer>"));
        assert_eq!(xml_escape("ok\u{1}text"), "oktext");
    }

    #[test]
    fn the_autodiscover_request_gives_its_address() {
        let body = "<?xml version=\"1.0\"?><Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\"><Request><EMailAddress>a&amp;b@demo.test</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>";
        assert_eq!(
            autodiscover_request_address(body).as_deref(),
            Some("a&b@demo.test")
        );
        assert_eq!(autodiscover_request_address("<x/>"), None);
    }

    #[test]
    fn profile_identity_is_stable_per_account_and_protocol() {
        let at = endpoints();
        let a = mobileconfig("a@demo.test", "A", Incoming::Imap, &at);
        assert_eq!(a, mobileconfig("a@demo.test", "A", Incoming::Imap, &at));
        assert_ne!(a, mobileconfig("a@demo.test", "A", Incoming::Pop3, &at));
        let uuid = stable_uuid("x");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
}
