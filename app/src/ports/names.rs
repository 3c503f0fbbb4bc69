// SPDX-License-Identifier: AGPL-3.0-only
//! Names of things that exist, as a request names them: trimmed and lower-case once, here,
//! so no layer below lowercases again. A text that cannot be such a name names nothing
//! (`NotFound`). The rules for *new* names (what a domain or local part may look like) are
//! the services' business.

use crate::error::AppError;

/// A domain's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(text: &str) -> Result<DomainName, AppError> {
        let name = text.trim().to_ascii_lowercase();
        let plausible = !name.is_empty()
            && name.len() <= 253
            && !name.contains('@')
            && !name.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(DomainName(name))
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mailbox's (or alias's) address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address(String);

impl Address {
    pub fn parse(text: &str) -> Result<Address, AppError> {
        let address = text.trim().to_lowercase();
        match address.rsplit_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !local.contains('@')
                    && DomainName::parse(domain).is_ok()
                    && !local.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(Address(address))
            }
            _ => Err(AppError::NotFound),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain the address is in.
    pub fn domain(&self) -> DomainName {
        DomainName(
            self.0
                .rsplit_once('@')
                .map(|(_, domain)| domain.to_string())
                .unwrap_or_default(),
        )
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_once_and_nonsense_names_nothing() {
        let a = Address::parse("  Alice@Demo.TEST ").unwrap();
        assert_eq!(a.as_str(), "alice@demo.test");
        assert_eq!(a.domain().as_str(), "demo.test");
        for bad in [
            "",
            "alice",
            "@demo.test",
            "alice@",
            "al ice@demo.test",
            "a@b@c",
        ] {
            assert_eq!(Address::parse(bad), Err(AppError::NotFound), "{bad}");
        }
        assert_eq!(
            DomainName::parse(" Demo.Test").unwrap().as_str(),
            "demo.test"
        );
        assert!(DomainName::parse("a b").is_err());
    }
}
