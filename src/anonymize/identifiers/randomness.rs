//! Tokens told from names by randomness, not by case mix.
//!
//! `getUserPreferences`, `Galaxy24Ultra` and `OpenID4Connect` are words joined in camel
//! case; `XkQpLmZrTwVbNc`, `aB3xK9qZ` and `qzxwvtkpm` are random. A word is split into
//! pieces at case changes, between letters and digits and at punctuation; a random string
//! falls apart into many one- and two-letter pieces, alternates letters and digits, or
//! holds letter sequences that words do not (unpronounceable consonant pairs), the way
//! secret scanners weigh entropy and word-likeness instead of character classes.

/// Shortest word the rules look at.
const MIN_LEN: usize = 6;
/// Letter-digit switches plus tiny pieces that make a word random.
const MIN_ODDITY: usize = 6;

/// Whether `word` looks random rather than made of words.
pub(crate) fn is_random(word: &str) -> bool {
    let b = word.as_bytes();
    if b.len() < MIN_LEN || !b.iter().any(u8::is_ascii_alphabetic) {
        return false;
    }
    let pieces = pieces(b);
    let letters: usize = pieces.iter().filter(|p| p.letters).map(|p| p.len).sum();
    let tiny: usize = pieces
        .iter()
        .filter(|p| p.letters && p.len <= 2)
        .map(|p| p.len)
        .sum();
    let tiny_count = pieces.iter().filter(|p| p.letters && p.len <= 2).count();
    // `aB3xK9qZ`, `XkQpLmZrTwVbNc`: mostly one- and two-letter pieces.
    if tiny_count >= 3 && tiny * 2 > letters {
        return true;
    }
    // `r2d2x9c3p0`, `a8f3k2m9`: letters and digits alternating.
    let switches = b
        .windows(2)
        .filter(|w| w[0].is_ascii_alphabetic() != w[1].is_ascii_alphabetic())
        .filter(|w| w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric())
        .count();
    if switches >= 5 {
        return true;
    }
    // `Zq7CanaryXk`, `Zq7SecretTok9x`: words glued to random letters and digits. Each
    // letter-digit switch and each tiny piece counts, a tiny piece of two consonants that
    // do not go together twice.
    let oddity: usize = pieces
        .iter()
        .filter(|p| p.letters && p.len <= 2)
        .map(|p| {
            let odd = p.len == 2
                && is_odd_pair(
                    b[p.start].to_ascii_lowercase(),
                    b[p.start + 1].to_ascii_lowercase(),
                );
            1 + usize::from(odd)
        })
        .sum();
    if switches + oddity >= MIN_ODDITY {
        return true;
    }
    // `qzxwvtkpm`, `xkq-pmzr-twv`, base32: letter runs words do not have.
    let (mut odd, mut pairs) = (0, 0);
    // Acronyms (`HDMI`, `USB`) are not pronounced: short capital pieces are left out.
    let acronym = |p: &Piece| {
        p.len <= 5
            && b[p.start..p.start + p.len]
                .iter()
                .all(u8::is_ascii_uppercase)
    };
    for p in pieces
        .iter()
        .filter(|p| p.letters && p.len >= 3 && !acronym(p))
    {
        for w in b[p.start..p.start + p.len].windows(2) {
            pairs += 1;
            odd += usize::from(is_odd_pair(
                w[0].to_ascii_lowercase(),
                w[1].to_ascii_lowercase(),
            ));
        }
    }
    odd >= 3 && odd * 3 >= pairs
}

/// A run of letters or of digits within a word.
struct Piece {
    start: usize,
    len: usize,
    letters: bool,
}

/// Splits at punctuation, between letters and digits, before an upper-case letter that
/// follows a lower-case one, and before the last capital of an upper-case run that a
/// lower-case letter follows (`OpenIDConnect` → `Open`, `ID`, `Connect`).
fn pieces(b: &[u8]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            continue;
        }
        let letters = c.is_ascii_alphabetic();
        let continues = i > 0
            && out.last().is_some_and(|p| p.start + p.len == i)
            && b[i - 1].is_ascii_alphabetic() == letters
            && !(letters && b[i - 1].is_ascii_lowercase() && c.is_ascii_uppercase())
            && !(letters
                && c.is_ascii_uppercase()
                && b[i - 1].is_ascii_uppercase()
                && b.get(i + 1).is_some_and(u8::is_ascii_lowercase));
        match out.last_mut() {
            Some(p) if continues => p.len += 1,
            _ => out.push(Piece {
                start: i,
                len: 1,
                letters,
            }),
        }
    }
    out
}

const fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Two consonants that words of the languages of the web rarely put side by side.
fn is_odd_pair(a: u8, b: u8) -> bool {
    /// Consonant pairs common in English, German, French, Spanish and Italian words.
    const COMMON: &[&[u8; 2]] = &[
        b"bb", b"bl", b"br", b"bs", b"cc", b"ch", b"ck", b"cl", b"cr", b"ct", b"dd", b"dg", b"dr",
        b"ds", b"dt", b"ff", b"fl", b"fr", b"ft", b"gg", b"gh", b"gl", b"gn", b"gr", b"gs", b"gt",
        b"hl", b"hm", b"hn", b"hr", b"ht", b"kl", b"kn", b"kr", b"ks", b"lb", b"lc", b"ld", b"lf",
        b"lg", b"lk", b"ll", b"lm", b"ln", b"lp", b"ls", b"lt", b"lv", b"lz", b"mb", b"mm", b"mn",
        b"mp", b"ms", b"nc", b"nd", b"nf", b"ng", b"nk", b"nn", b"ns", b"nt", b"nv", b"nz", b"ph",
        b"pl", b"pp", b"pr", b"ps", b"pt", b"rb", b"rc", b"rd", b"rf", b"rg", b"rk", b"rl", b"rm",
        b"rn", b"rp", b"rr", b"rs", b"rt", b"rv", b"rz", b"sc", b"sh", b"sk", b"sl", b"sm", b"sn",
        b"sp", b"ss", b"st", b"sw", b"sz", b"tc", b"th", b"tl", b"tr", b"ts", b"tt", b"tw", b"tz",
        b"wh", b"wl", b"wn", b"wr", b"ws", b"xt", b"zz", b"nh", b"lh", b"sq", b"xp", b"xc", b"gm",
        b"pf", b"rh", b"dw", b"fs", b"cs",
    ];
    a.is_ascii_lowercase()
        && b.is_ascii_lowercase()
        && !is_vowel(a)
        && !is_vowel(b)
        && !COMMON.iter().any(|p| p[0] == a && p[1] == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings() {
        for w in [
            "aB3xK9qZ",
            "Zx9Qm2Lp",
            "tK7wQ2",
            "XkQpLmZrTwVbNc",
            "qzxwvtkpm",
            "mxqzvbtrkwq",
            "hJ8s-Kq2p",
            "r2d2x9c3p0",
            "xkq-pmzr-twv",
            "bqf-zxvn-kdr",
            "QX7KM-2PW9R-HT4VB-8NCJD-Y3FLZ",
            "K4T9-ZQ2M-8RWX",
            "PJSWYZDBFZYUAZLYMFWXA3DFFZXXEZY",
            "dQw4w9WgXcQ",
            "dGhpcyBpcyBhIHNlY3JldCB0b2tlbg",
            "ab3xk9qz",
            "Zq7SecretTok9x",
            "Zq7CanaryXk",
        ] {
            assert!(is_random(w), "{w}");
        }
    }

    #[test]
    fn words_in_every_case() {
        for w in [
            "getUserPreferences",
            "Galaxy24Ultra",
            "OpenID4Connect",
            "iPhone15ProMax",
            "MacBookAir",
            "AirMax90",
            "SummerSale2025",
            "Getting_Started",
            "autumn-release",
            "top-10-tips-for-2024",
            "Deutschland",
            "Angstschweiss",
            "strengths",
            "Inter-Regular",
            "roboto-v30-latin-700",
            "installation-guide-2024-edition",
            "how-we-cut-our-p99-latency-by-40-percent",
            "x86_64-unknown-linux-gnu",
            "README",
            "html-css-js",
            "Schwarzwald",
            "win10pro64bit",
            "covid19vaccine2021",
            "en-GB",
            "zh-Hant-TW",
            "x86_64",
            "iPadPro11",
            "MP3Player",
            "USBtoHDMI",
        ] {
            assert!(!is_random(w), "{w}");
        }
    }
}
