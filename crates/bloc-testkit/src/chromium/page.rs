//! A page in a fresh headless Chromium driven over the DevTools protocol (`headless_chrome`),
//! watched from before it loads: every console call, uncaught exception and log entry, and
//! every request it makes. The browser tests of the report (`bloc-cli`) and of the dashboard
//! (`bloc-serve`) check different things on their pages, but start the browser, watch it and
//! take screenshots the same way; that part is here, once.

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Network, Page as CdpPage};
use headless_chrome::{Browser, LaunchOptions, Tab};
use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The tallest screenshot taken, in CSS pixels: Chromium draws nothing beyond about 16,384.
const MAX_SHOT_HEIGHT: f64 = 16000.0;

/// What a page said: a console call, an uncaught exception or a log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `console`, `exception` or `log`.
    pub kind: &'static str,
    /// The level, in lower case: `log`, `info`, `warning`, `error`, `assert`, … (`error` for
    /// an exception).
    pub level: String,
    /// What it said.
    pub text: String,
}

impl Message {
    /// Whether it is a warning, an error, a failed assertion or an exception (not a plain
    /// `console.log` or an info entry).
    pub fn is_warning_or_error(&self) -> bool {
        ["error", "warn", "assert"]
            .iter()
            .any(|l| self.level.contains(l))
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            "console" => write!(f, "console.{}: {}", self.level, self.text),
            "exception" => write!(f, "exception: {}", self.text),
            _ => write!(f, "{} {}: {}", self.kind, self.level, self.text),
        }
    }
}

/// What a page said and asked for since it was opened.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Every console call, uncaught exception and log entry, in order.
    pub messages: Vec<Message>,
    /// The URL of every request, in order (the page itself first).
    pub requests: Vec<String>,
}

impl Seen {
    /// The requests whose URL `allowed` refuses.
    pub fn requests_outside(&self, allowed: impl Fn(&str) -> bool) -> Vec<&str> {
        self.requests
            .iter()
            .map(String::as_str)
            .filter(|u| !allowed(u))
            .collect()
    }
}

/// A page open in its own headless Chromium (its own temporary profile), watched from before
/// it was loaded. Dropping it closes the browser.
pub struct Page {
    tab: Arc<Tab>,
    seen: Arc<Mutex<Seen>>,
    width: u32,
    _browser: Browser,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("url", &self.tab.get_url())
            .field("width", &self.width)
            .finish_non_exhaustive()
    }
}

impl Page {
    /// Starts `chrome` headless with [`super::FLAGS`], a window of `width` × `height`, and
    /// loads `url` in a tab that is watched before it navigates. Panics, saying which step,
    /// when Chromium cannot be started or the page cannot be loaded.
    pub fn open(chrome: &Path, url: &str, (width, height): (u32, u32)) -> Page {
        let profile = tempfile::tempdir().expect("a temporary Chromium profile");
        let args: Vec<&OsStr> = super::FLAGS.iter().map(OsStr::new).collect();
        let opts = LaunchOptions::default_builder()
            .path(Some(chrome.to_path_buf()))
            .headless(true)
            .sandbox(false)
            .user_data_dir(Some(profile.path().to_path_buf()))
            .window_size(Some((width, height)))
            .idle_browser_timeout(Duration::from_secs(120))
            .args(args)
            .build()
            .expect("launch options");
        let browser = Browser::new(opts).expect("start Chromium");
        let tab = browser.new_tab().expect("a tab");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let into = Arc::clone(&seen);
        tab.add_event_listener(Arc::new(move |e: &Event| {
            let mut s = into.lock().unwrap_or_else(|e| e.into_inner());
            let message = |kind, level: String, text| Message { kind, level, text };
            match e {
                Event::RuntimeConsoleAPICalled(c) => {
                    let values: Vec<_> = c
                        .params
                        .args
                        .iter()
                        .map(|a| a.value.clone().unwrap_or_default())
                        .collect();
                    let level = format!("{:?}", c.params.Type).to_lowercase();
                    s.messages
                        .push(message("console", level, format!("{values:?}")));
                }
                Event::RuntimeExceptionThrown(x) => s.messages.push(message(
                    "exception",
                    "error".to_string(),
                    format!("{:?}", x.params.exception_details),
                )),
                Event::LogEntryAdded(l) => {
                    let level = format!("{:?}", l.params.entry.level).to_lowercase();
                    let text = format!("{} {:?}", l.params.entry.text, l.params.entry.url);
                    s.messages.push(message("log", level, text));
                }
                Event::NetworkRequestWillBeSent(r) => {
                    s.requests.push(r.params.request.url.clone());
                }
                _ => {}
            }
        }))
        .expect("listen to the tab");
        tab.enable_runtime().expect("Runtime.enable");
        tab.enable_log().expect("Log.enable");
        tab.call_method(Network::Enable {
            max_total_buffer_size: None,
            max_resource_buffer_size: None,
            max_post_data_size: None,
            report_direct_socket_traffic: None,
            enable_durable_messages: None,
        })
        .expect("Network.enable");
        tab.navigate_to(url)
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"))
            .wait_until_navigated()
            .unwrap_or_else(|e| panic!("load {url}: {e}"));
        Page {
            tab,
            seen,
            width,
            _browser: browser,
            _profile: profile,
        }
    }

    /// The tab, for what the tests do with it themselves (wait for an element, …).
    pub fn tab(&self) -> &Tab {
        &self.tab
    }

    /// Evaluates `js`, an expression whose value is a JSON string (`JSON.stringify(…)`), and
    /// parses that string.
    pub fn eval_json(&self, js: &str) -> serde_json::Value {
        let got = self.tab.evaluate(js, false).expect("evaluate");
        let text = got
            .value
            .as_ref()
            .and_then(|v| v.as_str())
            .expect("the expression's value is a string");
        serde_json::from_str(text).expect("the expression's string is JSON")
    }

    /// Writes a PNG of the page's top `height` CSS pixels (at most 16,000), the window's
    /// width wide, parts below the window included, to `to`; returns its size in bytes.
    pub fn screenshot(&self, height: f64, to: &Path) -> usize {
        let data = self
            .tab
            .call_method(CdpPage::CaptureScreenshot {
                format: Some(CdpPage::CaptureScreenshotFormatOption::Png),
                quality: None,
                clip: Some(CdpPage::Viewport {
                    x: 0.0,
                    y: 0.0,
                    width: f64::from(self.width),
                    height: height.min(MAX_SHOT_HEIGHT),
                    scale: 1.0,
                }),
                from_surface: Some(true),
                capture_beyond_viewport: Some(true),
                optimize_for_speed: None,
            })
            .expect("screenshot")
            .data;
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
            .expect("base64 PNG");
        std::fs::write(to, &png).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        png.len()
    }

    /// What the page said and asked for so far.
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
