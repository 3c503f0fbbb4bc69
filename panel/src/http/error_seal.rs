// SPDX-License-Identifier: AGPL-3.0-only
//! Form errors in the address bar, sealed. Without JavaScript, a failed form post is sent back
//! to its page with the error in the query string (`__err`, `__path`), and the page shows it.
//! Anyone could write such a link with text of their choosing (“your account is blocked, call
//! …”) and have Casella's own page show it. So the redirect that carries an error gets a seal
//! (`__seal`, an HMAC under a key that lives only in this process), and a page asked for with
//! an error but without a valid seal is sent to the same address without it.

use std::sync::OnceLock;

use axum::{
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SEAL: &str = "__seal";
/// The logo upload's error, which comes back to the domain page the same way.
const LOGO_ERROR: &str = "logo_error";
const ERROR_KEYS: [&str; 4] = ["__err", "__path", SEAL, LOGO_ERROR];

fn key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(rand::random)
}

/// A key made at start that never leaves this process: what the seals, and other short-lived
/// signed links, are made with (each use adds its own label).
pub(crate) fn process_key() -> &'static [u8; 32] {
    key()
}

/// The seal of an error and the server function (or form) it came from.
pub fn seal(err: &str, path: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key()) else {
        return String::new();
    };
    mac.update(err.as_bytes());
    mac.update(&[0]);
    mac.update(path.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The decoded query pairs of a URL or path.
fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    url_pairs(query)
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last value of `key` (a later one was added after an earlier one).
fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `url` without the query pairs whose key is in `drop`.
fn without(url: &str, drop: &[&str]) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = decode(pair.split_once('=').map_or(*pair, |(k, _)| k));
            !pair.is_empty() && !drop.contains(&key.as_str())
        })
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Seals the error a server function's redirect carries back to a form's page.
pub async fn seal_redirects(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if !res.status().is_redirection() {
        return res;
    }
    let Some(location) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return res;
    };
    let pairs = query_pairs(&location);
    if let (Some(err), Some(path)) = (get(&pairs, "__err"), get(&pairs, "__path")) {
        // An older seal may ride along from the page's address; only the new one counts.
        let sealed = format!("{}&{SEAL}={}", without(&location, &[SEAL]), seal(err, path));
        if let Ok(value) = HeaderValue::from_str(&sealed) {
            res.headers_mut().insert(header::LOCATION, value);
        }
    }
    res
}

/// Sends a page asked for with an unsealed (or wrongly sealed) error to its address without
/// the error.
pub async fn check_page_errors(req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("");
    if req.method() != axum::http::Method::GET
        || (!query.contains("__err") && !query.contains(LOGO_ERROR))
    {
        return next.run(req).await;
    }
    let pairs = url_pairs(query);
    let sealed = |err: Option<&str>, path: Option<&str>| match (err, path, get(&pairs, SEAL)) {
        (Some(err), Some(path), Some(given)) => {
            let expected = seal(err, path);
            !expected.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes())
        }
        _ => false,
    };
    let valid = if get(&pairs, "__err").is_some() {
        sealed(get(&pairs, "__err"), get(&pairs, "__path"))
    } else {
        sealed(
            get(&pairs, LOGO_ERROR),
            Some(crate::branding::LOGO_ERROR_SEAL),
        )
    };
    if valid {
        return next.run(req).await;
    }
    let clean = without(&format!("{}?{query}", req.uri().path()), &ERROR_KEYS);
    (StatusCode::SEE_OTHER, [(header::LOCATION, clean)]).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_belongs_to_its_error() {
        let a = seal("{\"Invalid\":1}", "/api/auth/login");
        assert_eq!(a.len(), 64);
        assert_ne!(a, seal("{\"Invalid\":2}", "/api/auth/login"));
        assert_ne!(a, seal("{\"Invalid\":1}", "/api/auth/logout"));
        let pairs = query_pairs("/login?x=1&__err=%7B%22a%22%3A1%7D&__path=%2Fapi%2Fauth%2Flogin");
        assert_eq!(get(&pairs, "__err"), Some("{\"a\":1}"));
        assert_eq!(get(&pairs, "__path"), Some("/api/auth/login"));
        assert_eq!(decode("a+b%20c%2"), "a b c%2");
        assert_eq!(
            without("/p?a=1&__seal=x&b=2&__err=y", &ERROR_KEYS),
            "/p?a=1&b=2"
        );
        assert_eq!(without("/p?__seal=x", &[SEAL]), "/p");
    }
}
