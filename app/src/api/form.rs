// SPDX-License-Identifier: AGPL-3.0-only
//! Numbers typed into forms. A form posts text; a wrong number is an error on its field.

use crate::{error::AppError, i18n::Text};

/// A whole number of zero or more.
pub(crate) fn whole(field: &str, text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            AppError::invalid(
                field,
                Text::new(
                    "Enter a whole number of zero or more.",
                    "Inserisci un numero intero, zero o più.",
                ),
            )
        })
}

/// An amount in euro ("12", "12.5", "12,50") as cents.
pub(crate) fn cents(field: &str, text: &str) -> Result<i64, AppError> {
    let text = text.trim().replace(',', ".");
    let wrong = || {
        AppError::invalid(
            field,
            Text::new(
                "Enter an amount in euro, for example 2.50.",
                "Inserisci un importo in euro, per esempio 2,50.",
            ),
        )
    };
    let (units, fraction) = match text.split_once('.') {
        Some((units, fraction)) => (units, fraction),
        None => (text.as_str(), ""),
    };
    if units.is_empty() || fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let units: i64 = units.parse().ok().filter(|u| *u >= 0).ok_or_else(wrong)?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| wrong())?;
    units
        .checked_mul(100)
        .and_then(|c| c.checked_add(fraction))
        .ok_or_else(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euro_amounts() {
        assert_eq!(cents("p", "12").unwrap(), 1200);
        assert_eq!(cents("p", "12,5").unwrap(), 1250);
        assert_eq!(cents("p", " 0.05 ").unwrap(), 5);
        for bad in ["", "-1", "1.234", "abc", ".5", "1.x"] {
            assert!(cents("p", bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(whole("n", "7").unwrap(), 7);
        assert!(whole("n", "-7").is_err());
    }
}
