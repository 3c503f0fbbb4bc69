// SPDX-License-Identifier: AGPL-3.0-only
//! The password policy (seed 004: at least 8 characters with digits, upper and lower case and
//! a special character) and generated passwords that meet it.

use app::i18n::Text;
use rand::{Rng, seq::SliceRandom};

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SPECIAL: &[u8] = b"!#%+-=?@_";

/// Why a password is refused, in words for the form field.
pub fn check_policy(password: &str) -> Result<(), Text> {
    if password.chars().any(char::is_control) {
        return Err(Text::new(
            "The password contains a control character.",
            "La password contiene un carattere di controllo.",
        ));
    }
    let checks: [(bool, &str, &str); 5] = [
        (
            password.chars().count() >= 8,
            "at least 8 characters",
            "almeno 8 caratteri",
        ),
        (
            password.chars().any(|c| c.is_lowercase()),
            "a lower-case letter",
            "una lettera minuscola",
        ),
        (
            password.chars().any(|c| c.is_uppercase()),
            "an upper-case letter",
            "una lettera maiuscola",
        ),
        (
            password.chars().any(|c| c.is_ascii_digit()),
            "a digit",
            "una cifra",
        ),
        (
            password
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
            "a special character such as ! # % + - = ? @ _",
            "un carattere speciale come ! # % + - = ? @ _",
        ),
    ];
    let missing: Vec<(&str, &str)> = checks
        .iter()
        .filter(|(met, ..)| !met)
        .map(|(_, en, it)| (*en, *it))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let en: Vec<&str> = missing.iter().map(|m| m.0).collect();
    let it: Vec<&str> = missing.iter().map(|m| m.1).collect();
    Err(Text::new(
        format!("The password needs {}.", en.join(", ")),
        format!("La password deve contenere {}.", it.join(", ")),
    ))
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
        assert!(
            err.en.contains("upper-case") && err.en.contains("digit") && err.en.contains("special")
        );
        assert!(
            err.it.contains("maiuscola") && err.it.contains("cifra") && err.it.contains("speciale")
        );
        assert!(
            check_policy("Ab1!")
                .unwrap_err()
                .en
                .contains("8 characters")
        );
        assert!(check_policy("Ab1!").unwrap_err().it.contains("8 caratteri"));
        assert!(check_policy("Abcdefg1").unwrap_err().en.contains("special"));
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
