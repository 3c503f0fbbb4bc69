// SPDX-License-Identifier: AGPL-3.0-only
//! Where pages load the browser code and the stylesheet from.
//!
//! The browser build (scripts/build) writes a fingerprint of what it assembled into the site
//! folder (`.stamp`). Pages name the assets under that fingerprint (`/static/<version>/pkg/…`),
//! so a browser may keep them for good and never asks again until a new build changes the
//! name; without a fingerprint they are named `/pkg/…` and revalidated as any file.

use leptos::config::LeptosOptions;
use std::path::Path;

/// The URL folder of fingerprinted assets, before the version.
pub const VERSIONED_PREFIX: &str = "static";

/// Hex digits of the fingerprint that name a version: 64 bits, plenty to tell builds apart.
const VERSION_DIGITS: usize = 16;

/// The version of the assets now in `site_root`, if the browser build left its fingerprint.
/// Read on each call (a few dozen bytes), so a site rebuilt under a running server is named
/// anew at once.
pub fn version(site_root: &Path) -> Option<String> {
    let stamp = std::fs::read_to_string(site_root.join(".stamp")).ok()?;
    let digits = stamp.trim().get(..VERSION_DIGITS)?;
    digits
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| digits.to_ascii_lowercase())
}

/// The options a page is rendered with: the package folder under the current version, when
/// there is one.
pub fn versioned(mut options: LeptosOptions) -> LeptosOptions {
    if let Some(version) = version(Path::new(options.site_root.as_ref())) {
        options.site_pkg_dir = format!(
            "{VERSIONED_PREFIX}/{version}/{}",
            options.site_pkg_dir.trim_matches('/')
        )
        .into();
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh site folder, with or without a fingerprint.
    fn site_with_stamp(stamp: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if let Some(stamp) = stamp {
            std::fs::write(dir.path().join(".stamp"), stamp).unwrap();
        }
        dir
    }

    fn options(site: &Path) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("casella")
            .site_root(site.display().to_string())
            .site_pkg_dir("pkg")
            .build()
    }

    #[test]
    fn a_stamped_site_is_named_by_its_fingerprint() {
        let site = site_with_stamp(Some(
            "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
        ));
        assert_eq!(version(site.path()).as_deref(), Some("0123456789abcdef"));
        assert_eq!(
            versioned(options(site.path())).site_pkg_dir.as_ref(),
            "static/0123456789abcdef/pkg"
        );
    }

    #[test]
    fn without_a_fingerprint_the_plain_folder_is_kept() {
        for stamp in [
            None,
            Some(""),
            Some("short"),
            Some("../../etc/passwd/xxxxxxxxxxxxxxx"),
        ] {
            let site = site_with_stamp(stamp);
            assert_eq!(version(site.path()), None, "{stamp:?}");
            assert_eq!(versioned(options(site.path())).site_pkg_dir.as_ref(), "pkg");
        }
    }
}
