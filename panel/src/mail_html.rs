// SPDX-License-Identifier: AGPL-3.0-only
//! A message's HTML made safe to show: cleaned here by an allowlist (ammonia, on the same
//! HTML5 parser as browsers), then served on its own into a sandboxed frame with its own
//! content policy (`http::webmail`), so a mistake here still runs no script and loads nothing
//! from the sender.
//!
//! What stays: the tags and attributes of ordinary mail layout (tables, fonts, colours, lists,
//! images); inline styles with layout and colour properties only. What goes: scripts, frames,
//! forms, `<style>` sheets, event handlers, and every URL that is not a link a reader clicks
//! (`http`, `https`, `mailto`), an image of the message itself (`cid:`, rewritten to
//! Casella's part address), a small inline picture (`data:image/…`), or — only when the reader
//! asked for images — a remote image, rewritten to Casella's image proxy.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use ammonia::{Builder, UrlRelative};

/// The prefix of every address the cleaned HTML may load from: Casella's own part and image
/// addresses. Anything else relative is dropped.
pub const OWN_PREFIX: &str = "/webmail/";

/// How remote images are treated.
#[derive(Clone, Copy)]
pub enum Remote {
    /// Removed (the default): the sender learns nothing of the reader.
    Blocked,
    /// Kept, loaded through Casella's image proxy: the function gives a remote URL's proxy
    /// address (under [`OWN_PREFIX`]).
    Proxied(fn(&str) -> String),
}

/// What the cleaning needs to know of the message.
pub struct Policy {
    /// The message's own parts by content id (without `<>`): where each is served.
    pub parts: HashMap<String, String>,
    pub remote: Remote,
}

/// Cleaned HTML, with how many remote images it held back.
#[derive(Debug)]
pub struct Clean {
    pub html: String,
    pub blocked_images: usize,
}

/// Tags kept beyond ammonia's default allowlist (which has no script, style, frame, form,
/// object, embed, base, meta or link).
const EXTRA_TAGS: [&str; 2] = ["font", "big"];

/// Attributes any kept tag may have.
const GENERIC_ATTRIBUTES: [&str; 9] = [
    "style", "align", "valign", "dir", "width", "height", "bgcolor", "lang", "title",
];

/// Per-tag attributes beyond ammonia's defaults.
const TAG_ATTRIBUTES: [(&str, &[&str]); 6] = [
    ("a", &["href", "name"]),
    ("font", &["color", "face", "size"]),
    (
        "table",
        &[
            "border",
            "cellpadding",
            "cellspacing",
            "summary",
            "rules",
            "frame",
        ],
    ),
    ("td", &["colspan", "rowspan", "nowrap"]),
    ("th", &["colspan", "rowspan", "nowrap", "scope"]),
    ("img", &["alt", "src", "border", "hspace", "vspace"]),
];

/// Elements dropped with everything inside them.
const DROPPED_WITH_CONTENT: [&str; 6] = ["script", "style", "title", "noscript", "template", "xmp"];

/// Inline style properties kept: layout, spacing, colour and type. No property here can load
/// anything once its value has passed [`style_value_is_plain`].
const STYLE_PROPERTIES: [&str; 58] = [
    "background-color",
    "border",
    "border-bottom",
    "border-bottom-color",
    "border-bottom-style",
    "border-bottom-width",
    "border-collapse",
    "border-color",
    "border-left",
    "border-left-color",
    "border-left-style",
    "border-left-width",
    "border-radius",
    "border-right",
    "border-right-color",
    "border-right-style",
    "border-right-width",
    "border-spacing",
    "border-style",
    "border-top",
    "border-top-color",
    "border-top-style",
    "border-top-width",
    "border-width",
    "clear",
    "color",
    "direction",
    "display",
    "float",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style-type",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-width",
    "min-width",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "table-layout",
    "text-align",
    "text-decoration",
    "text-transform",
    "vertical-align",
    "white-space",
    "width",
];

/// Properties kept under a condition: `background` only as a colour (its value passes the same
/// check, which refuses `url(`).
const STYLE_PROPERTIES_TOO: [&str; 4] = ["background", "word-break", "word-wrap", "overflow-wrap"];

/// Cleans a message's HTML by the policy.
pub fn clean(html: &str, policy: Policy) -> Clean {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counted = blocked.clone();
    let mut builder = Builder::default();
    builder
        .add_tags(EXTRA_TAGS)
        .add_clean_content_tags(DROPPED_WITH_CONTENT)
        .add_generic_attributes(GENERIC_ATTRIBUTES)
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid", "data"]))
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .url_relative(UrlRelative::Custom(Box::new(own_only)));
    for (tag, attributes) in TAG_ATTRIBUTES {
        builder.add_tag_attributes(tag, attributes);
    }
    builder.attribute_filter(move |element, attribute, value| match attribute {
        "style" => clean_style(value).map(Cow::Owned),
        "href" => link(value).then_some(Cow::Borrowed(value)),
        "src" if element == "img" => image(value, &policy, &counted),
        "src" => None,
        // Only the value set above: a link opens outside the frame.
        "target" => (value == "_blank").then_some(Cow::Borrowed(value)),
        _ => Some(Cow::Borrowed(value)),
    });
    let html = builder.clean(html).to_string();
    Clean {
        html,
        blocked_images: blocked.load(Ordering::Relaxed),
    }
}

/// What the webmail's editor makes: its toolbar's formatting, paragraphs and links.
const WRITTEN_TAGS: [&str; 14] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "p",
    "br",
    "div",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
];

/// HTML written in the webmail's editor, kept to what its toolbar makes (the tags above, a
/// link's `href` to the web or an address, nothing else), as a document of its own: the
/// formatted body of a message sent. Whatever else a browser or a paste put there is gone.
pub fn written(html: &str) -> String {
    let body = written_body(html);
    if body.trim().is_empty() {
        return String::new();
    }
    format!("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{body}</body></html>")
}

/// The body of a document made by [`written`] (or any HTML), cleaned the same way, for the
/// editor to take up again.
pub fn written_body(html: &str) -> String {
    let mut builder = Builder::default();
    builder
        .tags(HashSet::from(WRITTEN_TAGS))
        .add_clean_content_tags(DROPPED_WITH_CONTENT)
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"));
    builder.clean(html).to_string()
}

/// A message's HTML as plain text, for quoting it in a reply or forward: the text of the
/// document, a line break where a block or `<br>` starts, markup and entities gone.
pub fn to_text(html: &str) -> String {
    // A line break before each block that starts a line; the markup itself is dropped below.
    let mut marked = String::with_capacity(html.len() + 64);
    let lower = html.to_ascii_lowercase();
    let mut last = 0;
    for (i, _) in lower.match_indices('<') {
        let rest = &lower[i + 1..];
        // Opening tags only: `</p><p>` is one line break, not two.
        let name: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p"
                | "div"
                | "li"
                | "tr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "blockquote"
        ) {
            marked.push_str(&html[last..i]);
            marked.push('\n');
            last = i;
        }
    }
    marked.push_str(&html[last..]);
    let text = Builder::empty()
        .add_clean_content_tags(["head", "style", "script", "title"])
        .clean(&marked)
        .to_string();
    let text = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines().map(|l| l.trim_end().replace('\u{a0}', " ")) {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_start_matches(['\t']));
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// Relative addresses: the sender's are dropped by the attribute filter before this; what
/// reaches this point relative is Casella's own.
fn own_only(url: &str) -> Option<Cow<'_, str>> {
    url.starts_with(OWN_PREFIX).then_some(Cow::Borrowed(url))
}

/// A link a reader may follow: the web or a new message.
fn link(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// An image's source, rewritten by the policy, or `None` to drop it.
fn image<'v>(value: &'v str, policy: &Policy, blocked: &AtomicUsize) -> Option<Cow<'v, str>> {
    let trimmed = value.trim();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("cid:") {
        // A `cid:` URL escapes its content id (RFC 2392).
        let id = app::format::urldecode(&trimmed[4..]);
        return policy
            .parts
            .get(id.trim_matches(['<', '>']))
            .map(|url| Cow::Owned(url.clone()));
    }
    if ["png", "gif", "jpeg", "jpg", "webp"]
        .iter()
        .any(|kind| lower.starts_with(&format!("data:image/{kind};base64,")))
    {
        return Some(Cow::Borrowed(trimmed));
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return match policy.remote {
            Remote::Blocked => {
                blocked.fetch_add(1, Ordering::Relaxed);
                None
            }
            Remote::Proxied(proxy) => Some(Cow::Owned(proxy(trimmed))),
        };
    }
    None
}

/// An inline style with only the allowed properties, each with a plain value; `None` when
/// nothing is left.
fn clean_style(style: &str) -> Option<String> {
    let kept: Vec<String> = declarations(style)
        .filter_map(|declaration| {
            let (name, value) = declaration.split_once(':')?;
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            let allowed = STYLE_PROPERTIES.contains(&name.as_str())
                || STYLE_PROPERTIES_TOO.contains(&name.as_str());
            (allowed && style_value_is_plain(value)).then(|| format!("{name}: {value}"))
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// The declarations of an inline style: split at the semicolons outside quotes and
/// parentheses.
fn declarations(style: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0u32, None::<char>, 0);
    for (i, c) in style.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ';') if depth == 0 => {
                parts.push(&style[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&style[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty())
}

/// A CSS value that cannot load, run or hide anything: no escapes or comments (which could
/// spell a function out of sight), no at-rules or markup, and no function but colours and
/// `calc`.
fn style_value_is_plain(value: &str) -> bool {
    if value.is_empty()
        || value
            .chars()
            .any(|c| matches!(c, '\\' | '<' | '>' | '@' | '{' | '}' | '&') || c.is_control())
        || value.contains("/*")
    {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    // Every `(` must open one of the allowed functions.
    let allowed = ["rgb(", "rgba(", "hsl(", "hsla(", "calc("];
    lower.match_indices('(').all(|(at, _)| {
        let before = &lower[..=at];
        allowed.iter().any(|f| before.ends_with(f))
    }) && !lower.contains("expression")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_quoted_as_text() {
        let html = "<html><head><style>p{color:red}</style><title>T</title></head><body>\
            <p>Buongiorno,</p><p>ecco l&#39;offerta &amp; il <b>listino</b>.<br>Grazie</p>\
            <script>alert(1)</script><div>&lt;fine&gt;</div></body></html>";
        assert_eq!(
            to_text(html),
            "Buongiorno,\necco l'offerta & il listino.\nGrazie\n<fine>"
        );
    }

    fn blocked(html: &str) -> Clean {
        clean(
            html,
            Policy {
                parts: HashMap::new(),
                remote: Remote::Blocked,
            },
        )
    }

    #[test]
    fn scripts_handlers_and_frames_go() {
        let out = blocked(
            "<p onclick=\"x()\">hi<script>alert(1)</script></p><iframe src=\"https://e.test\"></iframe>\
             <a href=\"javascript:alert(1)\">a</a><form action=\"https://e.test\"><input></form>",
        );
        let html = out.html.to_lowercase();
        for bad in [
            "script",
            "onclick",
            "iframe",
            "javascript",
            "form",
            "input",
            "alert",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("<p>hi</p>"), "{html}");
    }

    #[test]
    fn remote_images_are_held_back_and_counted() {
        let out =
            blocked("<img src=\"https://t.test/p.gif\" alt=\"logo\"><img src=\"http://t.test/x\">");
        assert_eq!(out.blocked_images, 2);
        assert!(!out.html.contains("t.test"), "{}", out.html);
        assert!(out.html.contains("alt=\"logo\""), "{}", out.html);
    }

    #[test]
    fn remote_images_go_through_the_proxy_when_asked() {
        let proxy = |url: &str| format!("{OWN_PREFIX}image?u={}", url.len());
        let out = clean(
            "<img src=\"https://t.test/p.gif\">",
            Policy {
                parts: HashMap::new(),
                remote: Remote::Proxied(proxy),
            },
        );
        assert_eq!(out.blocked_images, 0);
        assert!(
            out.html.contains("src=\"/webmail/image?u=20\""),
            "{}",
            out.html
        );
    }

    #[test]
    fn own_parts_by_content_id_and_nothing_else_relative() {
        let parts = HashMap::from([("logo@x".to_string(), "/webmail/m/1/parts/b".to_string())]);
        let out = clean(
            "<img src=\"cid:logo%40x\"><img src=\"cid:other\"><img src=\"/webmail/evil\">\
             <a href=\"/logout\">x</a>",
            Policy {
                parts,
                remote: Remote::Blocked,
            },
        );
        assert!(
            out.html.contains("src=\"/webmail/m/1/parts/b\""),
            "{}",
            out.html
        );
        assert_eq!(out.html.matches("src=").count(), 1, "{}", out.html);
        assert!(!out.html.contains("href"), "{}", out.html);
    }

    #[test]
    fn links_open_outside_without_referrer() {
        let out = blocked("<a href=\"https://shop.test/a\" target=\"_top\">shop</a>");
        assert!(out.html.contains("target=\"_blank\""), "{}", out.html);
        assert!(
            out.html.contains("rel=\"noopener noreferrer\""),
            "{}",
            out.html
        );
        assert!(!out.html.contains("_top"), "{}", out.html);
    }

    #[test]
    fn styles_keep_layout_and_lose_anything_that_loads() {
        let out = blocked(
            "<table><tr><td style=\"color: red; background: url(https://t.test/b.png); \
             width: calc(100% - 2px); position: fixed; font-family: 'A;B', serif; \
             background-color: rgb(1,2,3)\">x</td></tr></table>",
        );
        assert!(!out.html.contains("t.test"), "{}", out.html);
        assert!(!out.html.contains("fixed"), "{}", out.html);
        assert!(out.html.contains("color: red"), "{}", out.html);
        assert!(out.html.contains("width: calc(100% - 2px)"), "{}", out.html);
        assert!(
            out.html.contains("background-color: rgb(1,2,3)"),
            "{}",
            out.html
        );
        for sneaky in [
            "color: red; background-image: u\\72l(https://t.test)",
            "width: expression(alert(1))",
            "color: red/**/; background: image-set('https://t.test' 1x)",
            "-moz-binding: url(https://t.test/x.xml#x)",
        ] {
            let out = blocked(&format!("<p style=\"{sneaky}\">x</p>"));
            assert!(!out.html.contains("t.test"), "{sneaky}: {}", out.html);
            assert!(!out.html.contains("expression"), "{sneaky}: {}", out.html);
        }
    }

    #[test]
    fn style_sheets_and_titles_go_with_their_content() {
        let out = blocked(
            "<html><head><title>T</title><style>body{background:url(https://t.test)}</style>\
             </head><body><p>kept</p></body></html>",
        );
        assert_eq!(out.html, "<p>kept</p>");
    }

    /// The shared corpus (`../shared/corpora/html-sanitizer`, see its README for the oracle):
    /// every XSS vector and every DOMPurify case, cleaned, holds nothing that runs, frames,
    /// submits or loads; HTTPLeaks, whole and by section, loads nothing from its leak host.
    /// The corpus must be there: a missing corpus fails, it does not skip.
    mod corpus {
        use std::{cell::RefCell, path::PathBuf};

        use html5ever::{
            tendril::StrTendril,
            tokenizer::{
                BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
            },
        };
        use serde_json::Value;

        use super::*;

        fn corpus(file: &str) -> String {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/corpora/html-sanitizer")
                .join(file);
            std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("the corpus {}: {err}", path.display()))
        }

        /// A start tag: its name and its attributes.
        type StartTag = (String, Vec<(String, String)>);

        #[derive(Default)]
        struct Tags(RefCell<Vec<StartTag>>);

        impl TokenSink for Tags {
            type Handle = ();
            fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
                if let Token::TagToken(tag) = token
                    && tag.kind == TagKind::StartTag
                {
                    let attrs = tag
                        .attrs
                        .iter()
                        .map(|a| (a.name.local.to_string(), a.value.to_string()))
                        .collect();
                    self.0.borrow_mut().push((tag.name.to_string(), attrs));
                }
                TokenSinkResult::Continue
            }
        }

        /// The start tags of cleaned HTML, as an HTML5 tokenizer reads them (entities decoded).
        fn tags(html: &str) -> Vec<StartTag> {
            let input = BufferQueue::default();
            input.push_back(StrTendril::from_slice(html));
            let tokenizer = Tokenizer::new(Tags::default(), TokenizerOpts::default());
            let _ = tokenizer.feed(&input);
            tokenizer.end();
            tokenizer.sink.0.take()
        }

        /// A URL as a browser reads it: tabs and newlines anywhere and surrounding spaces and
        /// controls ignored, scheme in any case.
        fn as_browser_reads(url: &str) -> String {
            url.chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .trim_matches(|c: char| c <= ' ')
                .to_ascii_lowercase()
        }

        const NEVER: [&str; 20] = [
            "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta",
            "link", "form", "portal", "style", "svg", "math", "input", "button", "textarea",
            "select", "video",
        ];

        /// What the README's oracle refuses in cleaned HTML, or `None`.
        fn unsafe_in(html: &str) -> Option<String> {
            for (tag, attrs) in tags(html) {
                if NEVER.contains(&tag.as_str()) {
                    return Some(format!("<{tag}>"));
                }
                for (name, value) in attrs {
                    let url = as_browser_reads(&value);
                    let bad = name.starts_with("on")
                        || [
                            "formaction",
                            "ping",
                            "srcdoc",
                            "xlink:href",
                            "href:xlink",
                            "background",
                            "action",
                            "srcset",
                            "poster",
                            "attributionsrc",
                        ]
                        .contains(&name.as_str())
                        || (name == "href"
                            && !["http://", "https://", "mailto:"]
                                .iter()
                                .any(|s| url.starts_with(s)))
                        || (name == "src"
                            && !(url.starts_with(OWN_PREFIX)
                                || ["png", "gif", "jpeg", "jpg", "webp"]
                                    .iter()
                                    .any(|k| url.starts_with(&format!("data:image/{k};base64,")))))
                        || (name == "style"
                            && [
                                "expression",
                                "behavior",
                                "-moz-binding",
                                "@import",
                                "url(",
                                "image-set",
                                "\\",
                            ]
                            .iter()
                            .any(|b| url.contains(b)));
                    if bad {
                        return Some(format!("<{tag} {name}=\"{value}\">"));
                    }
                }
            }
            None
        }

        /// Every URL-bearing value of cleaned HTML that names `host`, links aside (a link
        /// loads nothing until it is followed).
        fn loads_from(html: &str, host: &str) -> Vec<String> {
            tags(html)
                .into_iter()
                .flat_map(|(tag, attrs)| {
                    attrs
                        .into_iter()
                        .filter(move |(name, _)| !((tag == "a" || tag == "area") && name == "href"))
                        .filter(|(_, value)| value.contains(host))
                        .map(|(name, value)| format!("{name}={value}"))
                        .collect::<Vec<_>>()
                })
                .collect()
        }

        #[test]
        fn the_xss_vectors_leave_nothing_that_runs() {
            let mut checked = 0;
            let mut failures = Vec::new();
            for line in corpus("xss-vectors.jsonl")
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                let case: Value = serde_json::from_str(line).unwrap();
                let vector = case["vector"].as_str().unwrap();
                let out = blocked(vector);
                if let Some(bad) = unsafe_in(&out.html) {
                    failures.push(format!("{}: {bad}", case["ref"]));
                }
                checked += 1;
            }
            assert!(checked > 1000, "only {checked} vectors read");
            assert!(
                failures.is_empty(),
                "{} unsafe: {:#?}",
                failures.len(),
                failures
            );
        }

        #[test]
        fn the_dompurify_cases_leave_nothing_that_runs() {
            let cases: Vec<Value> = serde_json::from_str(&corpus("dompurify/expect.json")).unwrap();
            assert!(cases.len() > 200);
            let failures: Vec<String> = cases
                .iter()
                .filter_map(|case| {
                    let out = blocked(case["payload"].as_str()?);
                    unsafe_in(&out.html).map(|bad| format!("{}: {bad}", case["title"]))
                })
                .collect();
            assert!(failures.is_empty(), "{failures:#?}");
        }

        #[test]
        fn http_leaks_load_nothing_with_remote_content_blocked() {
            let whole = blocked(&corpus("httpleaks/leak.html"));
            assert_eq!(loads_from(&whole.html, "leaking.via"), Vec::<String>::new());
            assert!(
                unsafe_in(&whole.html).is_none(),
                "{:?}",
                unsafe_in(&whole.html)
            );
            assert!(whole.blocked_images > 0);
            let sections: Vec<Value> =
                serde_json::from_str(&corpus("httpleaks/leak-sections.json")).unwrap();
            assert!(sections.len() >= 29);
            for section in &sections {
                let out = blocked(section["html"].as_str().unwrap());
                assert_eq!(
                    loads_from(&out.html, "leaking.via"),
                    Vec::<String>::new(),
                    "section {}",
                    section["section"]
                );
            }
        }

        #[test]
        fn http_leaks_with_images_shown_load_only_through_the_proxy() {
            let proxy = |url: &str| format!("{OWN_PREFIX}image?u={}", url.len());
            let out = clean(
                &corpus("httpleaks/leak.html"),
                Policy {
                    parts: HashMap::new(),
                    remote: Remote::Proxied(proxy),
                },
            );
            assert_eq!(loads_from(&out.html, "leaking.via"), Vec::<String>::new());
            assert!(out.html.contains("/webmail/image?u="));
        }
    }

    #[test]
    fn written_html_keeps_only_what_the_editor_makes() {
        let html = super::written(
            "<p onclick=\"x()\" style=\"color:red\"><b>Bold</b> <i>it</i> \
             <a href=\"javascript:alert(1)\">bad</a> <a href=\"https://e.test/\">good</a>\
             <img src=\"https://t.test/p.gif\"><script>alert(1)</script></p><ul><li>one</li></ul>",
        );
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<p><b>Bold</b> <i>it</i>"), "{html}");
        assert!(
            html.contains("<a href=\"https://e.test/\" rel=\"noopener noreferrer\">good</a>"),
            "{html}"
        );
        for gone in ["onclick", "style", "javascript", "<img", "script", "alert"] {
            assert!(!html.contains(gone), "{gone} in {html}");
        }
        assert!(html.contains("<ul><li>one</li></ul>"), "{html}");
        assert_eq!(super::written("  "), "");
        assert_eq!(
            super::written_body(&html),
            super::written_body(&super::written_body(&html))
        );
    }
}
