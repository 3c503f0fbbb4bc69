// SPDX-License-Identifier: AGPL-3.0-only
//! What domain names, local parts, e-mail addresses, staff logins and free text may look like.

use app::i18n::Text;

use super::ServiceError;

/// A domain name in lower-case ASCII (IDNs in their `xn--` form), or the reason it is refused.
pub fn domain(input: &str) -> Result<String, Text> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err(Text::new(
            "Enter a domain name, for example example.com.",
            "Inserisci un nome di dominio, per esempio esempio.it.",
        ));
    }
    if !name.is_ascii() {
        return Err(Text::new(
            "Write international domain names in their ASCII (xn--) form.",
            "Scrivi i nomi di dominio internazionali nella loro forma ASCII (xn--).",
        ));
    }
    if name.len() > 253 {
        return Err(Text::new(
            "A domain name has at most 253 characters.",
            "Un nome di dominio ha al massimo 253 caratteri.",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(Text::new(
            "Use only letters, digits, hyphens and dots.",
            "Usa solo lettere, cifre, trattini e punti.",
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(Text::new(
            "Enter the full domain name, for example example.com.",
            "Inserisci il nome di dominio completo, per esempio esempio.it.",
        ));
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err(Text::new(
                "Each part of the name has 1 to 63 characters.",
                "Ogni parte del nome ha da 1 a 63 caratteri.",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Text::new(
                "A part of the name cannot start or end with a hyphen.",
                "Una parte del nome non può iniziare o finire con un trattino.",
            ));
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Text::new(
            "The last part of a domain name cannot be a number.",
            "L'ultima parte di un nome di dominio non può essere un numero.",
        ));
    }
    Ok(name)
}

/// A mailbox's local part (before the @) in lower case, or the reason it is refused.
pub fn local_part(input: &str) -> Result<String, Text> {
    let local = input.trim().to_ascii_lowercase();
    if local.is_empty() {
        return Err(Text::new(
            "Enter the part of the address before the @.",
            "Inserisci la parte dell'indirizzo prima della @.",
        ));
    }
    if local.contains('@') {
        return Err(Text::new(
            "Enter only the part before the @; the domain is added for you.",
            "Inserisci solo la parte prima della @; il dominio viene aggiunto da sé.",
        ));
    }
    if local.len() > 64 {
        return Err(Text::new(
            "The part before the @ has at most 64 characters.",
            "La parte prima della @ ha al massimo 64 caratteri.",
        ));
    }
    if !local
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err(Text::new(
            "Use only letters, digits, dots, hyphens and underscores.",
            "Usa solo lettere, cifre, punti, trattini e trattini bassi.",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(Text::new(
            "Dots cannot start or end the address or stand next to each other.",
            "I punti non possono aprire o chiudere l'indirizzo né stare uno accanto all'altro.",
        ));
    }
    Ok(local)
}

/// An e-mail address somewhere (a legal representative's, a manager's), in lower case.
pub fn email(input: &str) -> Result<String, Text> {
    let address = input.trim().to_lowercase();
    let Some((local, domain_part)) = address.rsplit_once('@') else {
        return Err(Text::new(
            "Enter an e-mail address such as name@example.com.",
            "Inserisci un indirizzo e-mail come nome@esempio.it.",
        ));
    };
    if local.is_empty()
        || local.len() > 64
        || local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
    {
        return Err(Text::new(
            "The part before the @ is not valid.",
            "La parte prima della @ non è valida.",
        ));
    }
    domain(domain_part).map_err(|_| {
        Text::new(
            "The part after the @ is not a valid domain.",
            "La parte dopo la @ non è un dominio valido.",
        )
    })?;
    Ok(address)
}

/// A manager's login: 3 to 64 letters, digits, dots, hyphens or underscores, no @ (so it can
/// never clash with a mailbox address).
pub fn staff_login(input: &str) -> Result<String, Text> {
    let login = input.trim().to_ascii_lowercase();
    if login.len() < 3 || login.len() > 64 {
        return Err(Text::new(
            "A login has 3 to 64 characters.",
            "Un nome utente ha da 3 a 64 caratteri.",
        ));
    }
    if !login
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err(Text::new(
            "Use only letters, digits, dots, hyphens and underscores.",
            "Usa solo lettere, cifre, punti, trattini e trattini bassi.",
        ));
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
            Text::new(
                format!("At most {max} characters."),
                format!("Al massimo {max} caratteri."),
            ),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            Text::new(
                "Control characters are not allowed.",
                "I caratteri di controllo non sono ammessi.",
            ),
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
