// SPDX-License-Identifier: AGPL-3.0-only
//! QR codes, rendered on the server as SVG and handed to pages as `data:` URLs (the pages'
//! policy allows `data:` images, and nothing else about them runs).

use data_encoding::BASE64;
use qrcode::{EcLevel, QrCode, render::svg};

/// An SVG QR code of `text`, as a `data:image/svg+xml` URL; `None` if the text is too long
/// for a QR code.
pub fn svg_data_url(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#111111"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        BASE64.encode(svg.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_svg_data_url() {
        let url = svg_data_url("otpauth://totp/x:y?secret=ABC").unwrap();
        let svg = BASE64
            .decode(
                url.strip_prefix("data:image/svg+xml;base64,")
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && !svg.contains("<script"));
    }
}
