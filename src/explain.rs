//! A privacy-notice section generated from the policy the anonymizer enforces.
//!
//! Every sentence is derived from a [`Policy`] value, so the published text cannot drift
//! from what the code does: change a setting and the notice changes with it.

use std::fmt::Write as _;

use crate::policy::{Policy, ReferrerKeep, UserAgentKeep};
use crate::time::TimePrecision;

/// The output format of a notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeFormat {
    /// Markdown (a heading, paragraphs, a table).
    Markdown,
    /// Plain text.
    Text,
    /// An HTML fragment (`<section>`).
    Html,
}

/// One row of the field table: the field and what is kept of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    /// The field, in plain words.
    pub field: &'static str,
    /// What is recorded.
    pub kept: String,
}

/// The notice's paragraphs, in plain words, for `policy`.
pub fn paragraphs(policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!(
        "When you visit this site, our servers record each request in an access log. We use \
         these records only in anonymized form, for statistics and to keep the site running. \
         For each request we record: {}; {}; {}; {}; the page you requested{}; the response \
         status, its size and how long it took{}.",
        time_phrase(policy.time.precision),
        network_phrase(policy.network.ipv4_prefix, policy.network.ipv6_prefix),
        browser_phrase(policy.user_agent.keep, policy.user_agent.os_version),
        referrer_phrase(policy.referrer.keep),
        query_phrase(&policy.query.allow),
        headers_phrase(&policy.headers.allow),
    ));
    out.push(
        "In the page address, numbers, e-mail addresses, IP addresses, UUIDs, long \
         hexadecimal strings, access tokens and other identifiers are replaced by \
         placeholders such as \":num\" or \":email\" before anything is written."
            .to_owned(),
    );
    out.push(visitor_phrase(policy));
    out.push(
        "We never record cookies, login credentials (the Authorization header), your user \
         name, or any other request header not named above, and we never record your full \
         IP address or the full text of your browser's user agent."
            .to_owned(),
    );
    out
}

/// The field table for `policy`.
pub fn field_table(policy: &Policy) -> Vec<FieldRow> {
    let v4 = policy.network.ipv4_prefix;
    let v6 = policy.network.ipv6_prefix;
    vec![
        FieldRow {
            field: "Time",
            kept: format!("UTC, {}", precision_words(policy.time.precision)),
        },
        FieldRow {
            field: "IP address",
            kept: format!(
                "IPv4: first {v4} of 32 bits (/{v4}); IPv6: first {v6} of 128 bits (/{v6}); the rest set to zero"
            ),
        },
        FieldRow {
            field: "Visitor pseudonym",
            kept: if !policy.visitor.enabled {
                "not recorded".to_owned()
            } else if policy.visitor.secret_file.is_some() {
                "keyed hash, key derived per day from a shared secret (pseudonymous while the secret exists)".to_owned()
            } else {
                "keyed hash, new random key every UTC day, key destroyed within 48 hours".to_owned()
            },
        },
        FieldRow {
            field: "Browser (user agent)",
            kept: match policy.user_agent.keep {
                UserAgentKeep::Reduced if policy.user_agent.os_version => {
                    "browser and major version, OS and version, device type, crawler/feed reader/tool and its known name".to_owned()
                }
                UserAgentKeep::Reduced => {
                    "browser and major version, OS family (no version), device type, crawler/feed reader/tool and its known name".to_owned()
                }
                UserAgentKeep::None => "not recorded".to_owned(),
            },
        },
        FieldRow {
            field: "Referring page",
            kept: match policy.referrer.keep {
                ReferrerKeep::Origin => {
                    "site only (scheme, host, port); no path or query".to_owned()
                }
                ReferrerKeep::None => "not recorded".to_owned(),
            },
        },
        FieldRow {
            field: "Page address",
            kept: match policy.path.routes.len() {
                0 => format!(
                    "path with identifiers replaced by placeholders, at most {} bytes",
                    policy.path.max_length
                ),
                n => format!(
                    "the page's route ({n} route templates, with every variable part removed), or else the path with identifiers replaced by placeholders, at most {} bytes",
                    policy.path.max_length
                ),
            },
        },
        FieldRow {
            field: "URL parameters",
            kept: if policy.query.allow.is_empty() {
                "none".to_owned()
            } else {
                format!("only {}", policy.query.allow.join(", "))
            },
        },
        FieldRow {
            field: "Method, protocol, status, size, timing",
            kept: "recorded".to_owned(),
        },
        FieldRow {
            field: "Other request headers",
            kept: if policy.headers.allow.is_empty() {
                "none".to_owned()
            } else {
                format!(
                    "only {} (identifiers replaced)",
                    policy.headers.allow.join(", ")
                )
            },
        },
        FieldRow {
            field: "Cookies, credentials, user name",
            kept: "never recorded".to_owned(),
        },
    ]
}

/// The whole notice in `format`.
pub fn render(policy: &Policy, format: NoticeFormat) -> String {
    let paragraphs = paragraphs(policy);
    let rows = field_table(policy);
    let mut out = String::new();
    match format {
        NoticeFormat::Markdown => {
            out.push_str("## Server logs\n\n");
            for p in &paragraphs {
                let _ = writeln!(out, "{p}\n");
            }
            out.push_str("| What | What we keep |\n|---|---|\n");
            for row in &rows {
                let _ = writeln!(out, "| {} | {} |", row.field, row.kept.replace('|', "\\|"));
            }
        }
        NoticeFormat::Text => {
            out.push_str("SERVER LOGS\n\n");
            for p in &paragraphs {
                let _ = writeln!(out, "{}\n", wrap(p, 78));
            }
            let width = rows.iter().map(|r| r.field.len()).max().unwrap_or(0);
            for row in &rows {
                let _ = writeln!(out, "{:width$}  {}", row.field, row.kept);
            }
        }
        NoticeFormat::Html => {
            out.push_str("<section class=\"server-logs\">\n<h2>Server logs</h2>\n");
            for p in &paragraphs {
                let _ = writeln!(out, "<p>{}</p>", html_escape(p));
            }
            out.push_str(
                "<table>\n<thead><tr><th>What</th><th>What we keep</th></tr></thead>\n<tbody>\n",
            );
            for row in &rows {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    html_escape(row.field),
                    html_escape(&row.kept)
                );
            }
            out.push_str("</tbody>\n</table>\n</section>\n");
        }
    }
    out
}

fn time_phrase(precision: TimePrecision) -> String {
    format!("the time of the request ({})", precision_words(precision))
}

fn precision_words(precision: TimePrecision) -> &'static str {
    match precision {
        TimePrecision::Millisecond => "to the millisecond",
        TimePrecision::Second => "to the second",
        TimePrecision::Minute => "rounded down to the minute",
        TimePrecision::Hour => "rounded down to the hour",
        TimePrecision::Day => "only the day",
    }
}

fn network_phrase(v4: u8, v6: u8) -> String {
    let v4_words = match v4 {
        0 => "no part of your IPv4 address".to_owned(),
        8 => "the first byte of your IPv4 address".to_owned(),
        16 => "the first two bytes of your IPv4 address".to_owned(),
        24 => "the first three bytes of your IPv4 address".to_owned(),
        n => format!("the first {n} bits of your IPv4 address"),
    };
    let v6_words = if v6 == 0 {
        "no part of an IPv6 address".to_owned()
    } else {
        format!("the first {v6} bits of an IPv6 address")
    };
    let shared = if v4 == 0 {
        String::new()
    } else {
        format!(
            " (a network shared by up to {} addresses; the rest of the address is set to zero)",
            group(1u64 << (32 - u32::from(v4)))
        )
    };
    format!("{v4_words}{shared} or {v6_words}")
}

fn browser_phrase(keep: UserAgentKeep, os_version: bool) -> &'static str {
    match (keep, os_version) {
        (UserAgentKeep::Reduced, true) => {
            "the name and major version of your browser, the name and version of your operating system (such as Windows 7 or Android 14), whether your device is a computer, phone or tablet, and whether the request came from a crawler, feed reader or tool (with its public product name if it is a well-known one)"
        }
        (UserAgentKeep::Reduced, false) => {
            "the name and major version of your browser, the family of your operating system (without its version), whether your device is a computer, phone or tablet, and whether the request came from a crawler, feed reader or tool (with its public product name if it is a well-known one)"
        }
        (UserAgentKeep::None, _) => "nothing about your browser",
    }
}

fn referrer_phrase(keep: ReferrerKeep) -> &'static str {
    match keep {
        ReferrerKeep::Origin => {
            "the website that linked to ours (only its address, never the page or the search terms)"
        }
        ReferrerKeep::None => "nothing about the page that linked to ours",
    }
}

fn query_phrase(allow: &[String]) -> String {
    if allow.is_empty() {
        " without any URL parameters".to_owned()
    } else {
        format!(
            " with only these URL parameters: {} (all others are discarded)",
            allow.join(", ")
        )
    }
}

fn headers_phrase(allow: &[String]) -> String {
    if allow.is_empty() {
        String::new()
    } else {
        format!("; and these request headers: {}", allow.join(", "))
    }
}

fn visitor_phrase(policy: &Policy) -> String {
    if !policy.visitor.enabled {
        return "We do not count individual visitors: no record carries anything that links it \
                to other requests from the same visitor."
            .to_owned();
    }
    if policy.visitor.secret_file.is_some() {
        return "To count daily visitors, each record carries a pseudonym computed from your IP \
                address, your browser's user agent and the site name with a key that changes \
                every day. The daily keys are derived from a secret shared by our servers, so \
                the same visitor gets the same pseudonym on all of them. This is \
                pseudonymization: as long as we keep that secret, the pseudonyms could be \
                recomputed. The pseudonym of one day cannot be linked to that of another day."
            .to_owned();
    }
    "To count daily visitors, each record carries a pseudonym computed from your IP address, \
     your browser's user agent and the site name with a random key that changes every day. \
     The key exists only in memory and is destroyed after at most 48 hours; after that, no one, \
     including us, can link a pseudonym to you, and pseudonyms of different days can never be \
     linked to each other."
        .to_owned()
}

/// 65536 -> "65,536".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A section on the statistics published from the records, given the release rules in
/// words (`anonlog stats` writes the same words into its reports).
pub fn statistics_section(rules: &str, format: NoticeFormat) -> String {
    let text = format!(
        "We publish statistics computed from these anonymized records under these rules: \
         {rules}. Each visitor counts at most once per day in any published number of visitors."
    );
    match format {
        NoticeFormat::Markdown => format!("### Published statistics\n\n{text}\n"),
        NoticeFormat::Text => format!("PUBLISHED STATISTICS\n\n{}\n", wrap(&text, 78)),
        NoticeFormat::Html => format!(
            "<section class=\"published-statistics\">\n<h3>Published statistics</h3>\n<p>{}</p>\n</section>\n",
            html_escape(&text)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(toml: &str) -> String {
        render(
            &Policy::from_toml_str(toml).expect("valid"),
            NoticeFormat::Markdown,
        )
    }

    #[test]
    fn settings_change_the_text() {
        let strict = notice("");
        assert!(strict.contains("the first two bytes of your IPv4 address"));
        assert!(strict.contains("65,536 addresses"));
        assert!(strict.contains("destroyed after at most 48 hours"));
        assert!(strict.contains("utm_source"));
        assert!(strict.contains("to the millisecond"));

        let regional = notice("preset = \"regional\"");
        assert!(regional.contains("the first three bytes of your IPv4 address"));
        assert!(regional.contains("256 addresses"));
        assert!(regional.contains("first 48 bits of an IPv6 address"));

        let minimal = notice("preset = \"minimal\"");
        assert!(minimal.contains("We do not count individual visitors"));
        assert!(minimal.contains("nothing about your browser"));
        assert!(minimal.contains("without any URL parameters"));
        assert!(minimal.contains("rounded down to the hour"));
        assert!(!minimal.contains("48 hours"));

        let shared = notice("[visitor]\nsecret_file = \"/etc/anonlog/key\"");
        assert!(shared.contains("pseudonymization"));
        let custom =
            notice("[query]\nallow = [\"page\"]\n[headers]\nallow = [\"Accept-Language\"]");
        assert!(custom.contains("only these URL parameters: page (all others"));
        assert!(custom.contains("these request headers: Accept-Language"));

        assert!(strict.contains("the name and version of your operating system"));
        let no_os_version = notice("[user_agent]\nos_version = false");
        assert!(
            no_os_version.contains("the family of your operating system (without its version)")
        );
        assert!(no_os_version.contains("OS family (no version)"));
    }

    #[test]
    fn formats() {
        let p = Policy::strict();
        assert!(render(&p, NoticeFormat::Markdown).contains("| Time | UTC, to the millisecond |"));
        let html = render(&p, NoticeFormat::Html);
        assert!(html.starts_with("<section") && html.contains("<td>IP address</td>"));
        assert!(!html.contains("\"server-logs\"\"") && html.contains("&quot;:num&quot;"));
        let text = render(&p, NoticeFormat::Text);
        assert!(text.lines().all(|l| l.len() <= 140), "{text}");
    }
}
