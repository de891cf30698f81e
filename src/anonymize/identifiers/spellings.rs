//! Addresses in other spellings: IPv4 with dashes or underscores (`198-51-100-7`, as in
//! reverse-DNS and wildcard-DNS host names), in hex (`0xC6336407`) or dotted octal
//! (`0306.0063.0144.07`), IPv6 with dashes (`2001-db8--1`), and MAC addresses.

use std::net::Ipv6Addr;

/// Whether `v` holds an IPv4 address spelled with `-` or `_` between its four octets, in
/// hex (`0x` and eight digits), or in dotted octal.
pub(crate) fn has_spelled_ipv4(v: &str) -> bool {
    let b = v.as_bytes();
    // Dashes or underscores between four decimal octets, as a whole run.
    let dashed = v
        .split(|c: char| !(c.is_ascii_digit() || c == '-' || c == '_'))
        .any(|run| {
            let groups: Vec<&str> = run.split(['-', '_']).collect();
            groups.windows(4).any(|w| w.iter().all(|g| is_octet(g))) && run.contains(['-', '_'])
        });
    let hex = b.windows(10).enumerate().any(|(i, w)| {
        w[..2].eq_ignore_ascii_case(b"0x")
            && w[2..].iter().all(u8::is_ascii_hexdigit)
            && !b.get(i + 10).is_some_and(u8::is_ascii_hexdigit)
    });
    let octal = v
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|run| {
            let groups: Vec<&str> = run.split('.').collect();
            groups.len() == 4
                && groups.iter().any(|g| g.len() > 1 && g.starts_with('0'))
                && groups.iter().all(|g| {
                    (1..=4).contains(&g.len()) && u32::from_str_radix(g, 8).is_ok_and(|o| o <= 255)
                })
        });
    dashed || hex || octal
}

fn is_octet(g: &str) -> bool {
    (1..=3).contains(&g.len()) && g.parse::<u32>().is_ok_and(|o| o <= 255)
}

/// Whether `v` holds an IPv6 address with `-` for `:` (as `ipv6-literal` host names write
/// it).
pub(crate) fn has_dashed_ipv6(v: &str) -> bool {
    v.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|run| run.matches('-').count() >= 2)
        .any(|run| {
            let groups: Vec<&str> = run.split('-').collect();
            // Some 3 to 8 consecutive groups parse as an address.
            (0..groups.len()).any(|first| {
                (first + 3..=(first + 8).min(groups.len())).any(|last| {
                    let text = groups[first..last].join(":");
                    text.parse::<Ipv6Addr>().is_ok() && groups[first..last].len() >= 3
                })
            })
        })
}

/// Whether `v` holds a MAC address: six pairs of hex digits joined by `:` or `-`, or three
/// groups of four joined by `.`.
pub(crate) fn has_mac(v: &str) -> bool {
    let b = v.as_bytes();
    let pairs = |sep: u8| {
        b.windows(17).any(|w| {
            w.chunks(3).all(|c| {
                c[0].is_ascii_hexdigit()
                    && c[1].is_ascii_hexdigit()
                    && c.get(2).is_none_or(|&s| s == sep)
            })
        })
    };
    let quads = b.windows(14).any(|w| {
        w.chunks(5).all(|c| {
            c[..4].iter().all(u8::is_ascii_hexdigit) && c.get(4).is_none_or(|&s| s == b'.')
        }) && w.iter().any(u8::is_ascii_digit)
    });
    pairs(b':') || pairs(b'-') || quads
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_spellings() {
        for v in [
            "198-51-100-7",
            "198_51_100_7",
            "ip-198-51-100-44.example.net",
            "0xC6336407",
            "0306.0063.0144.07",
        ] {
            assert!(has_spelled_ipv4(v), "{v}");
        }
        for v in [
            "2024-11-05",
            "10-12-14",
            "top-10-tips-for-2024",
            "0x1F",
            "1.2.3",
        ] {
            assert!(!has_spelled_ipv4(v), "{v}");
        }
    }

    #[test]
    fn ipv6_with_dashes() {
        assert!(has_dashed_ipv6("2001-db8-85a3-0-0-8a2e-370-7334"));
        assert!(has_dashed_ipv6("2001-db8--1.ipv6-literal.example.net"));
        assert!(!has_dashed_ipv6("front-end-dev"));
        assert!(!has_dashed_ipv6("a-b-c"));
    }

    #[test]
    fn mac_addresses() {
        for v in ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5f", "001a.2b3c.4d60"] {
            assert!(has_mac(v), "{v}");
        }
        assert!(!has_mac("10:30:00"));
        assert!(!has_mac("face.beef.cafe"));
    }
}
