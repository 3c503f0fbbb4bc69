// SPDX-License-Identifier: AGPL-3.0-only
//! Casella's image proxy. When a reader asks to see a message's remote images, the cleaned
//! HTML points them here instead of at the sender, and Casella fetches them: the sender sees
//! Casella's address, never the reader's IP, browser or cookies.
//!
//! It fetches only what Casella signed itself (the addresses are HMAC-signed with the key made
//! at start, which never leaves the process), only from public addresses (a message cannot make Casella reach
//! its own network), follows a few redirects with the same check, and passes on only real
//! images of the common kinds, recognised by their first bytes, up to a size.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{http::error_seal::process_key, mail_html::OWN_PREFIX};

/// The largest image passed on, in bytes.
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;
/// Redirects followed at most.
const MAX_REDIRECTS: usize = 3;
/// The whole fetch, redirects included, at most.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest remote address signed.
const MAX_URL: usize = 4096;

#[derive(Clone, Copy)]
pub struct ImageProxy {
    /// Reach private and loopback addresses too (tests, closed networks).
    allow_private: bool,
}

/// An image fetched for a reader.
#[derive(Debug)]
pub struct Image {
    /// Its type, from its first bytes.
    pub media_type: &'static str,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Not an address this process signed.
    #[error("not a signed image address")]
    Unsigned,
    /// An address the proxy does not reach (not the web, or not public).
    #[error("refused: {0}")]
    Refused(String),
    /// The fetch failed or did not give an image.
    #[error("failed: {0}")]
    Failed(String),
}

/// The proxy's address for a remote image (relative, under [`OWN_PREFIX`]).
pub fn address(remote: &str) -> String {
    let signature = mac(remote)
        .map(|m| hex(&m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{OWN_PREFIX}image?u={}&s={signature}", encode(remote))
}

fn mac(remote: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(process_key()).ok()?;
    mac.update(b"image proxy\0");
    mac.update(remote.as_bytes());
    Some(mac)
}

impl ImageProxy {
    pub fn new(allow_private: bool) -> Self {
        ImageProxy { allow_private }
    }

    /// Fetches a remote image whose address this proxy signed.
    pub async fn fetch(&self, remote: &str, signature: &str) -> Result<Image, ProxyError> {
        let signature = unhex(signature).ok_or(ProxyError::Unsigned)?;
        mac(remote)
            .ok_or(ProxyError::Unsigned)?
            .verify_slice(&signature)
            .map_err(|_| ProxyError::Unsigned)?;
        tokio::time::timeout(TIMEOUT, self.follow(remote))
            .await
            .map_err(|_| ProxyError::Failed("timed out".into()))?
    }

    async fn follow(&self, remote: &str) -> Result<Image, ProxyError> {
        let mut url = parse(remote)?;
        for _ in 0..=MAX_REDIRECTS {
            let (host, addr) = self.resolve(&url).await?;
            // The checked address is the one connected to: no second lookup can point the
            // request elsewhere.
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .resolve(&host, addr)
                .user_agent("Casella image proxy")
                .build()
                .map_err(|err| ProxyError::Failed(err.to_string()))?;
            let mut response = client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "image/*")
                .send()
                .await
                .map_err(|err| ProxyError::Failed(err.without_url().to_string()))?;
            if response.status().is_redirection() {
                let next = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| ProxyError::Failed("a redirect without a place".into()))?;
                url = parse(next.as_str())?;
                continue;
            }
            if !response.status().is_success() {
                return Err(ProxyError::Failed(format!("answer {}", response.status())));
            }
            if response
                .content_length()
                .is_some_and(|n| n > MAX_IMAGE as u64)
            {
                return Err(ProxyError::Refused("too large".into()));
            }
            let mut data = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|err| ProxyError::Failed(err.without_url().to_string()))?
            {
                if data.len() + chunk.len() > MAX_IMAGE {
                    return Err(ProxyError::Refused("too large".into()));
                }
                data.extend_from_slice(&chunk);
            }
            let media_type =
                image_kind(&data).ok_or_else(|| ProxyError::Refused("not an image".into()))?;
            return Ok(Image { media_type, data });
        }
        Err(ProxyError::Failed("too many redirects".into()))
    }

    /// The host to ask for and the checked address to connect to.
    async fn resolve(&self, url: &reqwest::Url) -> Result<(String, SocketAddr), ProxyError> {
        let host = url
            .host_str()
            .ok_or_else(|| ProxyError::Refused("no host".into()))?
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| ProxyError::Refused("no port".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|err| ProxyError::Failed(format!("{host}: {err}")))?
            .collect();
        // Every address the name has must be public, so none can be chosen behind our back.
        let first = *addrs
            .first()
            .ok_or_else(|| ProxyError::Failed(format!("{host}: no address")))?;
        if !self.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
            return Err(ProxyError::Refused(format!(
                "{host} is not a public address"
            )));
        }
        Ok((host, first))
    }
}

fn parse(remote: &str) -> Result<reqwest::Url, ProxyError> {
    if remote.len() > MAX_URL {
        return Err(ProxyError::Refused("address too long".into()));
    }
    let url = reqwest::Url::parse(remote).map_err(|err| ProxyError::Refused(err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
        return Err(ProxyError::Refused("not a web address".into()));
    }
    Ok(url)
}

/// An address on the public internet: not loopback, private, link-local, shared, reserved,
/// documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064
                || first == 0x0100)
        }
    }
}

/// The kind of image the bytes are, by their signature; SVG (which can hold scripts and
/// links) and anything else is none.
pub fn image_kind(data: &[u8]) -> Option<&'static str> {
    match data {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

/// Percent-encodes all but the unreserved characters, for a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reached() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2a00:1450:4001:80b::200e", "8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn only_signed_addresses_are_fetched() {
        let proxy = ImageProxy::new(false);
        let address = address("https://t.test/a.png");
        let signature = address.rsplit_once("&s=").unwrap().1;
        assert!(matches!(
            proxy.fetch("https://t.test/b.png", signature).await,
            Err(ProxyError::Unsigned)
        ));
        assert!(matches!(
            proxy.fetch("https://t.test/a.png", "zz").await,
            Err(ProxyError::Unsigned)
        ));
    }

    #[tokio::test]
    async fn a_signed_private_address_is_still_refused() {
        let proxy = ImageProxy::new(false);
        let remote = "http://127.0.0.1:9/a.png";
        let address = address(remote);
        let signature = address.rsplit_once("&s=").unwrap().1;
        assert!(matches!(
            proxy.fetch(remote, signature).await,
            Err(ProxyError::Refused(_))
        ));
    }

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\n"), Some("image/png"));
        assert_eq!(image_kind(b"GIF89a"), Some("image/gif"));
        assert_eq!(image_kind(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_kind(b"<html>"), None);
    }
}
