// SPDX-License-Identifier: AGPL-3.0-only
//! What domain names, local parts, e-mail addresses, staff logins and free text may look like.

use super::ServiceError;

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

/// An e-mail address somewhere (a legal representative's, a manager's), in lower case.
pub fn email(input: &str) -> Result<String, String> {
    let address = input.trim().to_lowercase();
    let Some((local, domain_part)) = address.rsplit_once('@') else {
        return Err("Enter an e-mail address such as name@example.com.".into());
    };
    if local.is_empty()
        || local.len() > 64
        || local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
    {
        return Err("The part before the @ is not valid.".into());
    }
    domain(domain_part).map_err(|_| "The part after the @ is not a valid domain.".to_string())?;
    Ok(address)
}

/// A manager's login: 3 to 64 letters, digits, dots, hyphens or underscores, no @ (so it can
/// never clash with a mailbox address).
pub fn staff_login(input: &str) -> Result<String, String> {
    let login = input.trim().to_ascii_lowercase();
    if login.len() < 3 || login.len() > 64 {
        return Err("A login has 3 to 64 characters.".into());
    }
    if !login
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err("Use only letters, digits, dots, hyphens and underscores.".into());
    }
    Ok(login)
}

/// Free text for a form field (a name, a company): inner runs of spaces collapsed, at most
/// `max` characters, no control characters. May be empty.
pub fn clean_text(input: &str, field: &'static str, max: usize) -> Result<String, ServiceError> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("At most {max} characters."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            "Control characters are not allowed.",
        ));
    }
    Ok(text)
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

    #[test]
    fn emails_logins_and_text() {
        assert_eq!(email(" Legal@ACME.it ").unwrap(), "legal@acme.it");
        for bad in [
            "",
            "acme.it",
            "@acme.it",
            "a b@acme.it",
            "a@localhost",
            "a<b@acme.it",
        ] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(staff_login("M.Rossi").unwrap(), "m.rossi");
        for bad in ["ab", "a@b.it", "mario rossi"] {
            assert!(staff_login(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            clean_text("  Acme   S.r.l. ", "f", 20).unwrap(),
            "Acme S.r.l."
        );
        assert!(clean_text(&"x".repeat(21), "f", 20).is_err());
    }
}
