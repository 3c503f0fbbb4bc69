// SPDX-License-Identifier: AGPL-3.0-only
//! What a domain name and a mailbox's local part may look like.

/// A domain name in lower-case ASCII (IDNs in their `xn--` form), or the reason it is refused.
pub fn domain(input: &str) -> Result<String, String> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err("Enter a domain name, for example example.com.".into());
    }
    if !name.is_ascii() {
        return Err("Write international domain names in their ASCII (xn--) form.".into());
    }
    if name.len() > 253 {
        return Err("A domain name has at most 253 characters.".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err("Use only letters, digits, hyphens and dots.".into());
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err("Enter the full domain name, for example example.com.".into());
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err("Each part of the name has 1 to 63 characters.".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("A part of the name cannot start or end with a hyphen.".into());
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err("The last part of a domain name cannot be a number.".into());
    }
    Ok(name)
}

/// A mailbox's local part (before the @) in lower case, or the reason it is refused.
pub fn local_part(input: &str) -> Result<String, String> {
    let local = input.trim().to_ascii_lowercase();
    if local.is_empty() {
        return Err("Enter the part of the address before the @.".into());
    }
    if local.contains('@') {
        return Err("Enter only the part before the @; the domain is added for you.".into());
    }
    if local.len() > 64 {
        return Err("The part before the @ has at most 64 characters.".into());
    }
    if !local
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err("Use only letters, digits, dots, hyphens and underscores.".into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("Dots cannot start or end the address or stand next to each other.".into());
    }
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(domain(" Example.TEST. ").unwrap(), "example.test");
        assert_eq!(
            domain("xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        for bad in [
            "",
            "localhost",
            "exa mple.com",
            "-a.com",
            "a-.com",
            "a..com",
            "a.123",
            "bücher.de",
        ] {
            assert!(domain(bad).is_err(), "{bad} should be refused");
        }
        assert!(domain(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn local_parts() {
        assert_eq!(local_part("Mario.Rossi").unwrap(), "mario.rossi");
        for bad in ["", "a@b", ".a", "a.", "a..b", "a b", "a+b"] {
            assert!(local_part(bad).is_err(), "{bad} should be refused");
        }
    }
}
