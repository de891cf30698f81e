//! E-mail addresses in every spelling: `a@b.org` (after normalization, which already
//! folds `%40`, `%2540`, `%u0040`, `&#64;`, `＠` and `﹫`), the spelled-out `at` and `dot`
//! (`(at)`, `[at]`, `{at}`, ` at `, `-at-`), and VERP's `local=domain.org`.

/// The local part and domain of the first e-mail address in `v`, if any.
pub(crate) fn email_address(v: &str) -> Option<(&str, &str)> {
    let at = v.find('@')?;
    let local = local_part(&v[..at]);
    let domain = domain_part(&v[at + 1..]);
    (!local.is_empty() && domain.is_some()).then(|| (local, domain.unwrap_or_default()))
}

/// Whether `v` holds an e-mail address in any spelling.
pub(crate) fn has_email(v: &str) -> bool {
    if email_address(v).is_some() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if lower.contains("at") {
        let spelled = respell(&lower);
        if spelled != lower && email_address(&spelled).is_some() {
            return true;
        }
        // In a host label dots are dashes: `carol-at-example-org.example.net`.
        if let Some(at) = spelled.find('@') {
            let dotted = format!("{}@{}", &spelled[..at], spelled[at + 1..].replace('-', "."));
            if email_address(&dotted).is_some() {
                return true;
            }
        }
    }
    // VERP: `bounce-local=domain.org@…`, or just `local=domain.org`.
    v.match_indices('=').any(|(i, _)| {
        !local_part(&v[..i]).is_empty() && domain_part(&v[i + 1..]).is_some_and(|d| d.contains('.'))
    })
}

/// `at` and `dot` spelled out, in brackets, with spaces or dashes, turned into `@` and `.`.
fn respell(lower: &str) -> String {
    let mut s = lower.to_owned();
    for (from, to) in [
        ("(at)", "@"),
        ("[at]", "@"),
        ("{at}", "@"),
        ("<at>", "@"),
        ("(dot)", "."),
        ("[dot]", "."),
        ("{dot}", "."),
        ("<dot>", "."),
    ] {
        s = s.replace(from, to);
    }
    for sep in [' ', '-', '_', '.', '+'] {
        s = s.replace(&format!("{sep}at{sep}"), "@");
        s = s.replace(&format!("{sep}dot{sep}"), ".");
    }
    s.replace(' ', "")
}

const fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// The longest local part that ends `before`.
fn local_part(before: &str) -> &str {
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_local_char(c) || !c.is_ascii())
        .last()
        .map_or(before.len(), |(i, _)| i);
    &before[start..]
}

/// The domain that starts `after`: labels of letters, digits and dashes, the last one of at
/// least two letters. `None` when there is none.
fn domain_part(after: &str) -> Option<&str> {
    let end = after
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .map_or(after.len(), |(i, _)| i);
    let domain = after[..end].trim_end_matches(['.', '-']);
    let last = domain.rsplit('.').next()?;
    let tld_ok = !last.is_empty() && last.chars().all(char::is_alphabetic);
    (domain.contains('.') && tld_ok).then_some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_every_spelling() {
        for v in [
            "zelda.q@example.org",
            "ZELDA.Q@EXAMPLE.ORG",
            "mail-zelda.q@example.org",
            "zelda.q(at)example.org",
            "zelda.q[at]example[dot]org",
            "zelda.q {at} example {dot} org",
            "zelda.q at example dot org",
            "zelda.q [at] example.org",
            "zelda-q-at-example-dot-org",
            "zelda-q-at-example-org",
            "bounce-zelda.q=example.org",
            "zelda@例え.jp",
        ] {
            assert!(has_email(v), "{v}");
        }
    }

    #[test]
    fn not_addresses() {
        for v in [
            "@types",
            "@vite",
            "@52.5200,13.4050,12z",
            "what-at-home",
            "great-attitude",
            "page=2",
            "data",
            "user@localhost",
            "v=1.2",
        ] {
            assert!(!has_email(v), "{v}");
        }
    }

    #[test]
    fn parts_of_an_address() {
        assert_eq!(
            email_address("to:carol@example.org,"),
            Some(("carol", "example.org"))
        );
    }
}
