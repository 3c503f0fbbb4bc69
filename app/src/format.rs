// SPDX-License-Identifier: AGPL-3.0-only
//! How numbers read on the pages.

/// A size in decimal units, as quotas are sold: "0 B", "1.2 MB", "8 GB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = u;
    }
    if value.fract() < 0.05 || value >= 100.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// "on" or "off".
pub fn yes_no(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Euro cents as "€ 12.34".
pub fn euros(cents: i64) -> String {
    format!("€ {}.{:02}", cents / 100, (cents % 100).abs())
}

/// Percent-encodes text for a link's query string.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Text with its `%XX` escapes (a path segment, a `cid:` URL) turned back into their bytes;
/// what is not valid UTF-8 afterwards is replaced, and a bad escape is kept as it is.
pub fn urldecode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A textarea's text as the page writes it. An HTML parser drops one line break right after
/// `<textarea>`, so the server writes one more (a reply starts with two empty lines); a
/// textarea the browser builds itself keeps its text as it is.
pub fn textarea(text: &str) -> String {
    if cfg!(feature = "ssr") {
        format!("\n{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_money() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1_500), "1.5 KB");
        assert_eq!(bytes(8_000_000_000), "8 GB");
        assert_eq!(bytes(100_000_000_000), "100 GB");
        assert_eq!(euros(1250), "€ 12.50");
        assert_eq!(euros(5), "€ 0.05");
    }

    #[test]
    fn path_segments_come_back_as_written() {
        for text in ["abc", "a b/c", "Caffè & co", "100%", "%zz"] {
            assert_eq!(urldecode(&urlencode(text)), text);
        }
        assert_eq!(urldecode("%E2%82%AC%2"), "€%2");
    }
}
