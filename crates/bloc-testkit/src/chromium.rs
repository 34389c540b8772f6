//! Headless Chromium for the browser tests (the Debian package `chromium`).
//!
//! One policy for every browser test: a missing Chromium fails the test with a message that
//! says how to install it; `BLOC_SKIP_BROWSER=1` skips the test and says so. `BLOC_CHROMIUM`
//! names the browser when it is not `chromium`, `chromium-browser` or `google-chrome` on
//! `PATH` (or `/usr/bin/chromium`).
//!
//! With the feature `browser`, [`Page`] starts it and watches a page over the DevTools
//! protocol (what the page logs and requests, screenshots), as the report's and the
//! dashboard's browser tests both do. A feature, so that the crates whose tests use only the
//! rest of this kit do not build `headless_chrome`.

#[cfg(feature = "browser")]
mod page;
#[cfg(feature = "browser")]
pub use page::{Message, Page, Seen};

use std::ffi::OsString;
use std::path::PathBuf;

/// The flags every test starts Chromium with: no sandbox (tests may run as root), no GPU, and
/// nothing that would reach the network on its own (QUIC, first-run pages, background
/// updates, sync), so that a page's own requests are the only ones.
pub const FLAGS: &[&str] = &[
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The names looked for on `PATH`, in order.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// Where Debian installs it, for a `PATH` without `/usr/bin`.
const DEBIAN: &str = "/usr/bin/chromium";

/// The Chromium binary, or why there is none.
pub fn find() -> Result<PathBuf, String> {
    find_in(std::env::var_os("BLOC_CHROMIUM"), std::env::var_os("PATH"))
}

fn find_in(named: Option<OsString>, path: Option<OsString>) -> Result<PathBuf, String> {
    if let Some(p) = named {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("BLOC_CHROMIUM={} is not a file", p.display()))
        };
    }
    let on_path = path
        .iter()
        .flat_map(std::env::split_paths)
        .flat_map(|dir| NAMES.iter().map(move |n| dir.join(n)));
    on_path
        .chain(std::iter::once(PathBuf::from(DEBIAN)))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("none of {} on PATH, nor {DEBIAN}", NAMES.join(", ")))
}

/// Whether `BLOC_SKIP_BROWSER=1` is set.
pub fn skip_requested() -> bool {
    std::env::var("BLOC_SKIP_BROWSER").as_deref() == Ok("1")
}

/// The Chromium for the browser test of `what`, or `None` when the test is to be skipped
/// (`BLOC_SKIP_BROWSER=1`), which it prints. Panics, saying how to install it, when there
/// is no Chromium and no skip was asked for.
pub fn for_test(what: &str) -> Option<PathBuf> {
    if skip_requested() {
        let found = match find() {
            Ok(p) => format!("Chromium at {}", p.display()),
            Err(why) => format!("no Chromium: {why}"),
        };
        println!("SKIPPED: {what} in Chromium, because BLOC_SKIP_BROWSER=1 is set ({found})");
        return None;
    }
    match find() {
        Ok(p) => Some(p),
        Err(why) => panic!(
            "headless Chromium not found for {what}: {why} (install the Debian package \
             `chromium`, or set BLOC_CHROMIUM=/path/to/chromium; BLOC_SKIP_BROWSER=1 skips \
             this test)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_browser_must_exist() {
        let e = find_in(Some("/no/such/chromium".into()), None).unwrap_err();
        assert_eq!(e, "BLOC_CHROMIUM=/no/such/chromium is not a file");
    }

    #[test]
    fn a_browser_on_path_is_found_first() {
        let dir = std::env::temp_dir().join(format!("bloc-testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("chromium-browser"), "").unwrap();
        let got = find_in(None, Some(dir.clone().into_os_string()));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(got, Ok(dir.join("chromium-browser")));
    }
}
