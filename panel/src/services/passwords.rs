// SPDX-License-Identifier: AGPL-3.0-only
//! The password policy (seed 004: at least 8 characters with digits, upper and lower case and
//! a special character) and generated passwords that meet it.

use rand::{Rng, seq::SliceRandom};

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SPECIAL: &[u8] = b"!#%+-=?@_";

/// Why a password is refused, in words for the form field.
pub fn check_policy(password: &str) -> Result<(), String> {
    let mut missing = Vec::new();
    if password.chars().count() < 8 {
        missing.push("at least 8 characters");
    }
    if !password.chars().any(|c| c.is_lowercase()) {
        missing.push("a lower-case letter");
    }
    if !password.chars().any(|c| c.is_uppercase()) {
        missing.push("an upper-case letter");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit");
    }
    if !password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        missing.push("a special character such as ! # % + - = ? @ _");
    }
    if password.chars().any(char::is_control) {
        return Err("The password contains a control character.".into());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("The password needs {}.", missing.join(", ")))
    }
}

/// A random 16-character password with every character class, without look-alike characters.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SPECIAL].concat();
    let mut chars: Vec<u8> = [LOWER, UPPER, DIGITS, SPECIAL]
        .iter()
        .map(|set| set[rng.random_range(0..set.len())])
        .collect();
    while chars.len() < 16 {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    chars.into_iter().map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_what_is_missing() {
        assert!(check_policy("Abcdef1!").is_ok());
        let err = check_policy("abcdefgh").unwrap_err();
        assert!(err.contains("upper-case") && err.contains("digit") && err.contains("special"));
        assert!(check_policy("Ab1!").unwrap_err().contains("8 characters"));
        assert!(check_policy("Abcdefg1").unwrap_err().contains("special"));
    }

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..200 {
            let pw = generate();
            assert_eq!(pw.len(), 16);
            check_policy(&pw).unwrap();
        }
    }
}
