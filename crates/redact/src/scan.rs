//! One pass over the bytes that finds the lines worth a closer look, and which rules could
//! match on each.
//!
//! Every rule needs a literal marker (`ghp_`, `://`, `token`, ...). Each marker is found
//! through one of its rarer byte pairs (the `ke` of `token`, the `:/` of `://`), so most
//! bytes of ordinary text cost a table lookup or two. A marker may be reported where its
//! rule then finds nothing; it must never be missed where the rule would match. Secret-ish
//! words (`token`, `password`, ...) are common in prose and code, so they count only where
//! they name a value (`token=`, `"password": `, `--token value`).

use std::ops::Range;

pub const AWS: u32 = 1 << 0; // AKIA, ASIA
pub const GITHUB: u32 = 1 << 1; // gh[pousr]_, github_pat_
pub const GITLAB: u32 = 1 << 2; // glpat-, gldt-, glrt-, glptt-
pub const SLACK: u32 = 1 << 3; // xox?-, xapp-
pub const SK_DASH: u32 = 1 << 4; // sk- (OpenAI, Anthropic, OpenRouter, DeepSeek)
pub const STRIPE: u32 = 1 << 5; // sk_, rk_, whsec_
pub const GOOGLE: u32 = 1 << 6; // AIza, ya29., GOCSPX-
pub const NPM: u32 = 1 << 7; // npm_
pub const JWT: u32 = 1 << 8; // eyJ
pub const URL: u32 = 1 << 9; // ://
pub const BEARER: u32 = 1 << 10; // bearer
pub const CURL: u32 = 1 << 11; // curl
pub const LOGIN: u32 = 1 << 12; // login
/// A secret-ish word (secret, token, pass, pwd, api key, private key, credential, auth)
/// in a name followed by `:` or `=`.
pub const ASSIGN: u32 = 1 << 13;
/// Such a word followed by a space and a value: `--token value`, `password value`.
pub const SPACED: u32 = 1 << 14;
/// Model providers' prefixes: hf_, gsk_, xai-, r8_, pplx-, lsv2_.
pub const MODEL: u32 = 1 << 15;
/// Azure: AccountKey=, SharedAccessKey=, sig= (a SAS).
pub const AZURE: u32 = 1 << 16;

/// Byte pairs through which markers are found: one rare pair of each marker (`ke` of
/// `token`, `:/` of `://`), in the cases the rules match, and a newline followed by
/// anything. Indexed by the two bytes.
static PAIRS: [bool; 1 << 16] = {
    let mut table = [false; 1 << 16];
    // Matched in any case.
    let folded: [&[u8; 2]; 8] = [b"ke", b"cr", b"pa", b"pw", b"au", b"be", b"cu", b"g="];
    // Matched as written.
    let exact: [&[u8; 2]; 20] = [
        b"gi", b"gh", b"gl", b"k-", b"k_", b"xo", b"np", b"KI", b"SI", b"yJ", b"Iz", b":/", b"f_",
        b"xa", b"8_", b"lx", b"v2", b"ya", b"PX", b"c_",
    ];
    let mut i = 0;
    while i < folded.len() {
        let [a, b] = *folded[i];
        let (upper_a, upper_b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
        table[pair(a, b)] = true;
        table[pair(upper_a, b)] = true;
        table[pair(a, upper_b)] = true;
        table[pair(upper_a, upper_b)] = true;
        i += 1;
    }
    let mut i = 0;
    while i < exact.len() {
        table[pair(exact[i][0], exact[i][1])] = true;
        i += 1;
    }
    let mut b = 0;
    while b < 256 {
        table[pair(b'\n', b as u8)] = true;
        b += 1;
    }
    table
};

/// The first bytes of `PAIRS`: a cheaper test that rules out most bytes.
static FIRST: [bool; 256] = {
    let mut table = [false; 256];
    let mut k = 0;
    while k < PAIRS.len() {
        if PAIRS[k] {
            table[k >> 8] = true;
        }
        k += 1;
    }
    table
};

const fn pair(a: u8, b: u8) -> usize {
    (a as usize) << 8 | b as usize
}

/// The lines of `text` (without their `\n`) that have a marker, with their markers.
pub fn marked_lines(text: &[u8]) -> MarkedLines<'_> {
    MarkedLines { text, pos: 0 }
}

pub struct MarkedLines<'t> {
    text: &'t [u8],
    pos: usize,
}

impl Iterator for MarkedLines<'_> {
    type Item = (Range<usize>, u32);

    fn next(&mut self) -> Option<Self::Item> {
        let t = self.text;
        let mut start = self.pos;
        let mut marks = 0;
        // Pairs `t[i], t[i + 1]`: the last byte starts no pair, and no marker.
        for i in self.pos..t.len().saturating_sub(1) {
            if !FIRST[t[i] as usize] || !PAIRS[pair(t[i], t[i + 1])] {
                continue;
            }
            if t[i] != b'\n' {
                marks |= at(t, i);
            } else if marks != 0 {
                self.pos = i + 1;
                return Some((start..i, marks));
            } else {
                start = i + 1;
            }
        }
        self.pos = t.len();
        let end = t.len() - usize::from(t.last() == Some(&b'\n'));
        (marks != 0).then_some((start..end, marks))
    }
}

/// The markers that contain the pair at `i`.
fn at(t: &[u8], i: usize) -> u32 {
    // Words are compared in any case: matching more than a rule's exact case only costs a
    // regex run.
    let is = |at: usize, s: &[u8]| {
        t.get(at..at + s.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(s))
    };
    let exact = |at: usize, s: &[u8]| t.get(at..).is_some_and(|rest| rest.starts_with(s));
    let prev = if i > 0 { t[i - 1] } else { 0 };
    let next = t.get(i + 2).copied().unwrap_or(0);
    match [t[i].to_ascii_lowercase(), t[i + 1]] {
        [b'k', b'-'] if prev == b's' => SK_DASH,
        [b'k', b'_'] if matches!(prev, b's' | b'r') => {
            let groq = i >= 2 && t[i - 2] == b'g' && prev == b's';
            STRIPE | if groq { MODEL } else { 0 }
        }
        [b'k', b'I'] if t[i] == b'K' && prev == b'A' && next == b'A' => AWS,
        [b's', b'I'] if t[i] == b'S' && prev == b'A' && next == b'A' => AWS,
        [b'k', _] => {
            let mut found = 0;
            if i >= 2 && is(i - 2, b"token") {
                found |= keyword(t, i - 2, i + 3);
            }
            if is(i, b"key") {
                let assigned = t.get(i + 3) == Some(&b'=');
                let azure = [&b"account"[..], b"sharedaccess"]
                    .iter()
                    .any(|w| i >= w.len() && is(i - w.len(), w));
                if assigned && azure {
                    found |= AZURE;
                }
                let name_end = if matches!(prev, b'_' | b'-') {
                    i - 1
                } else {
                    i
                };
                for word in [&b"api"[..], b"private"] {
                    if name_end >= word.len() && is(name_end - word.len(), word) {
                        found |= keyword(t, name_end - word.len(), i + 3);
                    }
                }
            }
            found
        }
        [b'c', _] if i >= 2 && is(i - 2, b"secret") => keyword(t, i - 2, i + 4),
        [b'c', _] if is(i, b"credential") => keyword(t, i, i + 10),
        [b'c', _] if is(i, b"curl") => CURL,
        [b'p', _] if is(i, b"pass") => keyword(t, i, i + 4),
        [b'p', _] if is(i, b"pwd") => keyword(t, i, i + 3),
        [b'a', _] if is(i, b"auth") => keyword(t, i, i + 4),
        [b'b', _] if is(i, b"bearer") => BEARER,
        [b'g', b'i'] if exact(i, b"github_pat_") => GITHUB,
        [b'g', b'i'] if i >= 2 && exact(i - 2, b"login") => LOGIN,
        [b'g', b'h'] if b"pousr".contains(&next) && t.get(i + 3) == Some(&b'_') => GITHUB,
        [b'g', b'l']
            if ["glpat-", "gldt-", "glrt-", "glptt-"]
                .iter()
                .any(|p| exact(i, p.as_bytes())) =>
        {
            GITLAB
        }
        [b'x', b'o'] if next == b'x' && t.get(i + 4) == Some(&b'-') => SLACK,
        [b'n', b'p'] if exact(i, b"npm_") => NPM,
        [b'y', b'J'] if prev == b'e' => JWT,
        [b'i', b'z'] if t[i] == b'I' && prev == b'A' && next == b'a' => GOOGLE,
        [b':', b'/'] if next == b'/' => URL,
        [b'f', b'_'] if prev == b'h' => MODEL,
        [b'x', b'a'] if exact(i, b"xai-") => MODEL,
        [b'x', b'a'] if exact(i, b"xapp-") => SLACK,
        [b'8', b'_'] if prev == b'r' => MODEL,
        [b'l', b'x'] if i >= 2 && exact(i - 2, b"pplx-") => MODEL,
        [b'v', b'2'] if i >= 2 && exact(i - 2, b"lsv2_") => MODEL,
        [b'y', b'a'] if exact(i, b"ya29.") => GOOGLE,
        [b'p', b'X'] if i >= 4 && exact(i - 4, b"GOCSPX-") => GOOGLE,
        [b'c', b'_'] if i >= 4 && exact(i - 4, b"whsec_") => STRIPE,
        [b'g', b'='] if i >= 2 && is(i - 2, b"sig") => AZURE,
        _ => 0,
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// How the secret-ish word at `start..end` is used: as (part of) a name given a value with
/// `:` or `=`, or a flag or netrc field followed by one, or neither (prose, code).
fn keyword(t: &[u8], start: usize, end: usize) -> u32 {
    let mut j = end;
    while j < t.len() && is_name_byte(t[j]) {
        j += 1;
    }
    let name_end = j;
    if t.get(j) == Some(&b'\\') {
        j += 1;
    }
    if matches!(t.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    let gap = j;
    while matches!(t.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    match t.get(j) {
        // `auth::tests`: a path, not a value.
        Some(b':') if t.get(j + 1) == Some(&b':') => 0,
        Some(b':' | b'=') => ASSIGN,
        Some(b) if j > gap && gap == name_end && !b.is_ascii_whitespace() => {
            let mut name_start = start;
            while name_start > 0 && is_name_byte(t[name_start - 1]) {
                name_start -= 1;
            }
            let flag = t[name_start..].starts_with(b"--");
            let netrc = &t[start..name_end] == b"password";
            if flag || netrc {
                SPACED
            } else {
                0
            }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(text: &str) -> u32 {
        marked_lines(text.as_bytes()).fold(0, |all, (_, m)| all | m)
    }

    #[test]
    fn finds_every_marker_wherever_it_is() {
        let markers = [
            (AWS, &["AKIA", "ASIA"][..]),
            (
                GITHUB,
                &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            ),
            (GITLAB, &["glpat-", "gldt-", "glrt-", "glptt-"]),
            (SLACK, &["xoxb-", "xoxp-", "xoxa-", "xoxe-", "xapp-"]),
            (SK_DASH, &["sk-"]),
            (STRIPE, &["sk_", "rk_", "whsec_"]),
            (GOOGLE, &["AIza", "ya29.", "GOCSPX-"]),
            (MODEL, &["hf_", "gsk_", "xai-", "r8_", "pplx-", "lsv2_"]),
            (
                AZURE,
                &[
                    "AccountKey=",
                    "SharedAccessKey=",
                    "accountkey=",
                    "sig=",
                    "SIG=",
                ],
            ),
            (NPM, &["npm_"]),
            (JWT, &["eyJ"]),
            (URL, &["://"]),
            (BEARER, &["bearer", "Bearer", "BEARER"]),
            (CURL, &["curl"]),
            (LOGIN, &["login"]),
        ];
        for (bit, needles) in markers {
            for s in needles {
                for text in [
                    s.to_string(),
                    format!("x {s} y"),
                    format!("a\n{s}\nb"),
                    format!("{s}{s}"),
                ] {
                    assert_ne!(marks(&text) & bit, 0, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn finds_secret_words_used_as_names() {
        let words = [
            "secret",
            "SECRET",
            "Token",
            "TOKEN",
            "pass",
            "PASSWORD",
            "passwd",
            "pwd",
            "apikey",
            "api_key",
            "API-KEY",
            "apiKey",
            "private_key",
            "PrivateKey",
            "credential",
            "auth",
            "Authorization",
            "_authToken",
            "client_secret",
            "secretAccessKey",
        ];
        for w in words {
            for text in [
                format!("{w}=v"),
                format!("x {w}: v"),
                format!("\"{w}\": \"v\""),
                format!("'{w}' => 'v'"),
                format!("\\\"{w}\\\":\\\"v\\\""),
                format!("a\n{w}_value := v\nb"),
            ] {
                assert_ne!(marks(&text) & ASSIGN, 0, "{text:?}");
            }
            assert_ne!(marks(&format!("cmd --{w} v")) & SPACED, 0, "--{w} v");
            assert_eq!(
                marks(&format!("the {w} is")) & (ASSIGN | SPACED),
                0,
                "{w} in prose"
            );
        }
        assert_ne!(marks("machine h login u password p") & SPACED, 0);
        assert_ne!(marks("  password p") & SPACED, 0);
    }

    #[test]
    fn reports_only_the_lines_with_markers() {
        let text = "error[E0308]: mismatched types\nGITHUB_TOKEN=x\n --> src/main.rs:4:5\n\
                    see https://example.com\nunexpected token `)`\n";
        let lines: Vec<_> = marked_lines(text.as_bytes())
            .map(|(r, m)| (&text[r], m))
            .collect();
        assert_eq!(
            lines,
            [("GITHUB_TOKEN=x", ASSIGN), ("see https://example.com", URL)]
        );
        assert_eq!(marked_lines(b"nothing to see here").count(), 0);
        assert_eq!(
            marked_lines(b"no newline at the end: token=x").collect::<Vec<_>>(),
            [(0..30, ASSIGN)]
        );
    }
}
