//! The request path: targets split into path and query, paths templated.

use super::host::{kept_host_name, push_host_name};
use super::identifiers::{Placeholder, classify};
use crate::policy::RouteTemplate;
use crate::record::{SafeText, TRUNCATION_MARKER};

/// Written instead of a request target that is neither origin-form, absolute-form nor `*`.
pub(crate) const INVALID_TARGET: &str = ":invalid";

/// Most path segments kept; longer paths end in the truncation marker.
const MAX_SEGMENTS: usize = 64;

/// Splits a request target into path and query, dropping any fragment.
///
/// Absolute-form targets (`http://host/path`, sent to proxies) lose scheme and authority,
/// which may carry user information.
pub(crate) fn split_target(target: &[u8]) -> (&[u8], Option<&[u8]>) {
    let target = match memchr::memchr(b'#', target) {
        Some(i) => &target[..i],
        None => target,
    };
    let target = strip_scheme(target).map_or(target, |rest| {
        let end = rest
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .unwrap_or(rest.len());
        &rest[end..]
    });
    match memchr::memchr(b'?', target) {
        Some(i) => (&target[..i], Some(&target[i + 1..])),
        None => (target, None),
    }
}

/// The rest of `url` after `http://` or `https://` (any case).
fn strip_scheme(url: &[u8]) -> Option<&[u8]> {
    scheme_of(url).map(|(_, rest)| rest)
}

/// The scheme of an `http://` or `https://` URL (any case) and the rest after `://`.
pub(super) fn scheme_of(url: &[u8]) -> Option<(&'static str, &[u8])> {
    let prefix_ci = |p: &[u8]| url.len() >= p.len() && url[..p.len()].eq_ignore_ascii_case(p);
    if prefix_ci(b"https://") {
        Some(("https", &url[8..]))
    } else if prefix_ci(b"http://") {
        Some(("http", &url[7..]))
    } else {
        None
    }
}

/// Writes the templated form of a request path to `out`, at most `cap` bytes of it.
///
/// Identifier-like segments become placeholders (`/users/42` → `/users/:num`), path
/// parameters (`;jsessionid=…`) are removed, everything else stays percent-encoded as it
/// came. An empty path is `/`; a target that is not a path (nor `*`) is [`INVALID_TARGET`].
pub(crate) fn template_path(path: &[u8], cap: usize, out: &mut SafeText) {
    if path == b"*" {
        out.push_trusted("*");
        return;
    }
    if path.is_empty() {
        out.push_trusted("/");
        return;
    }
    if path[0] != b'/' {
        authority(path, out);
        return;
    }
    let mut segments = path[1..].split(|&b| b == b'/').peekable();
    let mut context = Context::None;
    let mut n = 0;
    while let Some(segment) = segments.next() {
        if n == MAX_SEGMENTS {
            out.push_trusted("/");
            out.push_trusted(TRUNCATION_MARKER);
            return;
        }
        n += 1;
        out.push_trusted("/");
        // Path parameters are dropped, but an address they complete is judged with the
        // segment: a character reference ends in `;` (`carol&#64;example.org`).
        let (segment, judged) = match memchr::memchr(b';', segment) {
            Some(i) => {
                let whole = classify(segment).filter(|p| *p == Placeholder::Email);
                (&segment[..i], whole.or_else(|| classify(&segment[..i])))
            }
            None => (segment, classify(segment)),
        };
        let next = segments.peek().copied().unwrap_or_default();
        let (placeholder, after) = match judged {
            Some(Placeholder::Num) => match context.keeps(segment, next) {
                Some(after) => (None, after),
                None => (Some(Placeholder::Num), Context::None),
            },
            other => (other, Context::after(segment)),
        };
        context = after;
        let cut = match placeholder {
            Some(placeholder) => out.push_escaped(placeholder.as_str().as_bytes(), cap),
            None => out.push_escaped(segment, cap),
        };
        if cut {
            return;
        }
    }
}

/// An authority-form target (`CONNECT www.example.com:443`): the host as the host rule
/// keeps it (`:ip` for an address) and the port; anything else is [`INVALID_TARGET`].
fn authority(target: &[u8], out: &mut SafeText) {
    let port = memchr::memrchr(b':', target)
        .map(|i| (&target[..i], &target[i + 1..]))
        .filter(|(_, port)| (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit));
    let Some((host, port)) = port else {
        out.push_trusted(INVALID_TARGET);
        return;
    };
    let bracketed = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]"));
    if crate::anonymize::network::parse_client_ip(bracketed.unwrap_or(host)).is_some() {
        out.push_trusted(Placeholder::Ip.as_str());
    } else if let Some(kept) = kept_host_name(host) {
        push_host_name(kept, out);
    } else {
        out.push_trusted(INVALID_TARGET);
        return;
    }
    out.push_trusted(":");
    for &b in port {
        out.push_trusted_byte(b);
    }
}

/// A route template of the policy, compiled: a path that matches it is written as the
/// template, whatever its variable segments hold (as the layer writes axum's matched route).
#[derive(Clone, Debug)]
pub(crate) struct Route {
    /// Literal segments, and `None` for a `{name}` segment.
    segments: Box<[Option<Box<[u8]>>]>,
    template: Box<str>,
}

impl Route {
    /// Compiles a template that [`RouteTemplate::is_valid`] accepted.
    pub(crate) fn new(route: &RouteTemplate) -> Self {
        let template = route.template.as_str();
        let segments = template[1..]
            .split('/')
            .map(|s| (!s.starts_with('{')).then(|| s.as_bytes().into()))
            .collect();
        Self {
            segments,
            template: template.into(),
        }
    }

    /// Whether `path` has the template's segments: the same literals, and one non-empty
    /// segment for each `{name}` (path parameters are not compared).
    fn matches(&self, path: &[u8]) -> bool {
        let Some(rest) = path.strip_prefix(b"/") else {
            return false;
        };
        let mut segments = rest.split(|&b| b == b'/');
        for expected in &self.segments {
            let Some(segment) = segments.next() else {
                return false;
            };
            let segment = segment.split(|&b| b == b';').next().unwrap_or_default();
            let fits = match expected {
                Some(literal) => **literal == *segment,
                None => !segment.is_empty(),
            };
            if !fits {
                return false;
            }
        }
        segments.next().is_none()
    }

    /// Writes the template, at most `cap` bytes of it.
    pub(crate) fn write(&self, cap: usize, out: &mut SafeText) {
        out.push_escaped(self.template.as_bytes(), cap);
    }
}

/// The first of `routes` that `path` matches.
pub(crate) fn matching_route<'r>(routes: &'r [Route], path: &[u8]) -> Option<&'r Route> {
    routes.iter().find(|route| route.matches(path))
}

/// What the segments before say about a number: numbers are identifiers, except the parts
/// of a date (`/2023/11/05/`), a status code after `status` or `errors`, and a page number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    None,
    /// After a word that counts: `page`, `status`, `errors`, `chapter`, …
    Counter,
    /// After a year that a month follows.
    Year,
    /// After a year and a month.
    Month,
}

impl Context {
    /// The context a kept word leaves.
    fn after(segment: &[u8]) -> Self {
        const COUNTERS: &[&[u8]] = &[
            b"page",
            b"pages",
            b"p",
            b"status",
            b"statuses",
            b"error",
            b"errors",
            b"http",
            b"code",
            b"codes",
            b"part",
            b"chapter",
            b"step",
            b"season",
            b"episode",
            b"volume",
        ];
        if COUNTERS.iter().any(|c| c.eq_ignore_ascii_case(segment)) {
            Self::Counter
        } else {
            Self::None
        }
    }

    /// Whether the number `segment` is kept here (`next` is the segment after it), and the
    /// context it leaves.
    fn keeps(self, segment: &[u8], next: &[u8]) -> Option<Self> {
        let value = || std::str::from_utf8(segment).ok()?.parse::<u32>().ok();
        let short = segment.len() <= 2;
        match self {
            Self::Counter if segment.len() <= 3 => Some(Self::None),
            Self::Year if short && value().is_some_and(|m| (1..=12).contains(&m)) => {
                Some(Self::Month)
            }
            Self::Month if short && value().is_some_and(|d| (1..=31).contains(&d)) => {
                Some(Self::None)
            }
            _ => {
                let year =
                    segment.len() == 4 && value().is_some_and(|y| (1900..=2099).contains(&y));
                let month_follows = (1..=2).contains(&next.len())
                    && std::str::from_utf8(next)
                        .ok()
                        .and_then(|m| m.parse::<u32>().ok())
                        .is_some_and(|m| (1..=12).contains(&m));
                (year && month_follows).then_some(Self::Year)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> String {
        let mut out = SafeText::default();
        template_path(s.as_bytes(), 4096, &mut out);
        out.as_str().to_owned()
    }

    #[test]
    fn paths_are_templated() {
        assert_eq!(
            path("/users/42/orders/550e8400-e29b-41d4-a716-446655440000"),
            "/users/:num/orders/:uuid"
        );
        assert_eq!(path("/u/carol.smith@example.org/x"), "/u/:email/x");
        assert_eq!(path("/u/carol.smith%40example.org/x"), "/u/:email/x");
        assert_eq!(path("/shop;jsessionid=ABC123"), "/shop");
        assert_eq!(path("/a;v=1/b;jsessionid=0F1E2D"), "/a/b");
        assert_eq!(
            path("/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJlX2hlcmU"),
            "/reset/:token"
        );
        assert_eq!(
            path("/api/sk_live_4eC39HqLyjWDarjtT1zdp7dc/charges"),
            "/api/:token/charges"
        );
        assert_eq!(path("/static/app.3f2a9c1b4d5e6f70.js"), "/static/:hex");
        assert_eq!(
            path("/blog/top-10-tips-for-2024/"),
            "/blog/top-10-tips-for-2024/"
        );
        assert_eq!(path("/"), "/");
        assert_eq!(path(""), "/");
        assert_eq!(path("*"), "*");
        assert_eq!(path("users/42"), ":invalid");
        assert_eq!(path("/caf%C3%A9/menu"), "/caf%C3%A9/menu");
    }

    #[test]
    fn long_paths_are_capped_by_segments() {
        let long = "/a".repeat(100);
        let out = path(&long);
        assert!(out.ends_with("/[...]"));
        assert_eq!(out.matches("/a").count(), MAX_SEGMENTS);
    }

    #[test]
    fn targets_are_split() {
        assert_eq!(
            split_target(b"/a?b=1#frag"),
            (&b"/a"[..], Some(&b"b=1"[..]))
        );
        assert_eq!(split_target(b"/a#x?y"), (&b"/a"[..], None));
        assert_eq!(
            split_target(b"http://alice:pw@example.com/p?q"),
            (&b"/p"[..], Some(&b"q"[..]))
        );
        assert_eq!(split_target(b"HTTPS://example.com"), (&b""[..], None));
    }
}

#[cfg(test)]
mod authority_form {
    use super::*;

    #[test]
    fn connect_targets_keep_the_host_as_the_host_rule_does() {
        let t = |s: &str| {
            let mut out = SafeText::default();
            template_path(s.as_bytes(), 4096, &mut out);
            out.as_str().to_owned()
        };
        assert_eq!(t("www.example.com:443"), "www.example.com:443");
        assert_eq!(t("acct-90210.example.net:8443"), "example.net:8443");
        assert_eq!(t("198.51.100.7:443"), ":ip:443");
        assert_eq!(t("[2001:db8::1]:443"), ":ip:443");
        assert_eq!(t("www.example.com"), INVALID_TARGET);
        assert_eq!(t("carol@example.com:443"), INVALID_TARGET);
        assert_eq!(t("u48213.example:80"), INVALID_TARGET);
    }
}

#[cfg(test)]
mod routes {
    use super::*;

    #[test]
    fn paths_that_match_a_route_are_written_as_its_template() {
        let routes: Vec<Route> = ["/users/{id}/orders/{order}", "/team/{name}", "/team/about"]
            .iter()
            .map(|t| {
                Route::new(&RouteTemplate {
                    template: (*t).to_owned(),
                })
            })
            .collect();
        let route = |p: &str| matching_route(&routes, p.as_bytes()).map(|r| &*r.template);
        assert_eq!(
            route("/users/carol/orders/summer-sale"),
            Some("/users/{id}/orders/{order}")
        );
        assert_eq!(route("/team/zelda-quintrell;v=2"), Some("/team/{name}"));
        // The first match wins; a route that is listed later never sees the path.
        assert_eq!(route("/team/about"), Some("/team/{name}"));
        assert_eq!(route("/team"), None);
        assert_eq!(route("/team/"), None);
        assert_eq!(route("/users/carol/orders"), None);
        assert_eq!(route("/users/carol/orders/1/x"), None);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn template(path: &[u8]) -> String {
        let mut out = SafeText::default();
        template_path(path, 1 << 16, &mut out);
        out.as_str().to_owned()
    }

    /// Segments of the shapes the rules tell apart.
    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,12}",
            "[a-zA-Z0-9]{1,14}",
            "[0-9]{1,8}",
            "(19|20)[0-9]{2}",
            "[a-z.]{1,8}(@|%40|%2540|＠)[a-z]{1,8}\\.(org|com)",
            "[0-9]{3}[-. ][0-9]{3}[-. ][0-9]{4}",
            "[a-z]{1,6}[-_][0-9]{3,6}",
            "[a-zA-Z0-9%;=&#.-]{1,16}",
        ]
    }

    proptest! {
        /// Templating a templated path changes nothing: placeholders and kept segments are
        /// judged the same way again.
        #[test]
        fn templating_is_idempotent(segments in prop::collection::vec(segment(), 0..6)) {
            let path = format!("/{}", segments.join("/"));
            let once = template(path.as_bytes());
            prop_assert_eq!(template(once.as_bytes()), once);
        }
    }
}
