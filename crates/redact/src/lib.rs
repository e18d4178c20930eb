//! Redacts secrets — API keys, tokens, passwords, private keys — from text before selfheal
//! stores it or shows it to an agent.
//!
//! [`redact`] runs in a hook process on every tool output, so it is built for the usual case
//! where there is nothing to find. One pass over the bytes finds the lines that hold a marker
//! some rule needs (`ghp_`, `://`, a name like `token` followed by `=`, ...); only those lines
//! are matched, and only against the rules whose marker they hold, so a rule's regex is
//! compiled only once a line needs it. Clean text comes back borrowed. Private keys span
//! lines and are looked for in the whole text, only when it contains `PRIVATE KEY`.
//!
//! A secret is replaced by `[REDACTED:<kind>]`; what names it is kept (`GITHUB_TOKEN=`,
//! `"api_key": "`, `Authorization: Bearer `, the user and host of a URL). Kinds:
//! `private-key`, `aws-access-key`, `aws-secret-key`, `azure-key`, `azure-sas`,
//! `github-token`, `gitlab-token`, `slack-token`, `slack-webhook`, `discord-webhook`,
//! `anthropic-key`, `openai-key`, `openrouter-key`, `api-key` (`sk-` and hex), `groq-key`,
//! `huggingface-token`, `xai-key`, `replicate-token`, `perplexity-key`, `langsmith-key`,
//! `stripe-key`, `google-api-key`, `google-oauth-token`, `google-client-secret`,
//! `npm-token`, `jwt`, `password`, `basic-auth`, `bearer-token`, `secret`.

mod scan;

use std::borrow::Cow;
use std::sync::OnceLock;

// regex-lite: these patterns are ASCII by design, and compiling one with `regex` cost a
// hook 0.1-0.3 ms each (prefilters, Unicode tables); regex-lite takes a tenth of that.
use regex_lite::{Captures, Match, Regex};

/// `text` redacted, then cut to at most `max` characters: in that order, so that a cut cannot
/// leave part of a secret unrecognised.
pub fn redact_clipped(text: &str, max: usize) -> String {
    clip(&redact(text), max)
}

/// `text` cut to at most `max` characters, the cut marked with `…`.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Returns `text` with every secret found replaced by `[REDACTED:<kind>]`, borrowed when
/// there was none. Redacting redacted text changes nothing.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(text);
    if text.contains("PRIVATE KEY") {
        if let Some(changed) = redact_keys(&text) {
            text = Cow::Owned(changed);
        }
    }
    match redact_lines(&text) {
        Some(changed) => Cow::Owned(changed),
        None => text,
    }
}

/// Applies the line rules to the lines that have their markers.
fn redact_lines(text: &str) -> Option<String> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut folded = String::new();
    for (range, marks) in scan::marked_lines(text.as_bytes()) {
        let mut line = Cow::Borrowed(&text[range.clone()]);
        for rule in &LINE_RULES {
            if rule.needs & marks != 0 && rule.may_match(&line) {
                if let Some(changed) = rule.apply(&line, &mut folded) {
                    line = Cow::Owned(changed);
                }
            }
        }
        if let Cow::Owned(line) = line {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
            out.push_str(&text[copied..range.start]);
            out.push_str(&line);
            copied = range.end;
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

const PLACEHOLDER: &str = "[REDACTED:";
const PASSWORD: &str = "password";
const SECRET: &str = "secret";

/// One shape of secret. The secret is the last capture group that took part in the match
/// (the whole match when the pattern has no group); what comes before it is kept.
struct Rule {
    /// Scan markers, any of which the pattern needs.
    needs: u32,
    pattern: &'static str,
    /// The pattern is in lower case and matched against the text in lower case: the same
    /// as ASCII `(?i)`, without the case-insensitive literals that make compiling slow.
    fold: bool,
    judge: Judge,
    /// Text the line must also hold, any of it, for the pattern to have a chance: checked
    /// first, so that a marker alone (the `curl` of curl's own error messages) compiles
    /// nothing.
    also: &'static [&'static str],
    regex: OnceLock<Regex>,
}

enum Judge {
    Always(&'static str),
    /// Decided from the match and the text it is in; `None` keeps the match.
    With(fn(&Captures<'_>, &str) -> Option<&'static str>),
}

impl Rule {
    const fn new(needs: u32, pattern: &'static str, judge: Judge) -> Self {
        Rule {
            needs,
            pattern,
            fold: false,
            judge,
            also: &[],
            regex: OnceLock::new(),
        }
    }

    const fn also(mut self, any: &'static [&'static str]) -> Self {
        self.also = any;
        self
    }

    fn may_match(&self, line: &str) -> bool {
        self.also.is_empty() || self.also.iter().any(|a| line.contains(a))
    }

    const fn folded(needs: u32, pattern: &'static str, judge: Judge) -> Self {
        Rule {
            needs,
            pattern,
            fold: true,
            judge,
            also: &[],
            regex: OnceLock::new(),
        }
    }

    fn regex(&self) -> &Regex {
        self.regex
            .get_or_init(|| Regex::new(self.pattern).expect("redaction patterns are valid"))
    }

    /// `text` with this rule's secrets replaced, or `None` when there were none. `folded`
    /// is a buffer for the lower-case text.
    fn apply(&self, text: &str, folded: &mut String) -> Option<String> {
        let haystack = if self.fold {
            folded.clear();
            folded.push_str(text);
            folded.make_ascii_lowercase();
            &folded[..]
        } else {
            text
        };
        let mut out: Option<String> = None;
        let mut copied = 0;
        for caps in self.regex().captures_iter(haystack) {
            let Some(secret) = secret(&caps) else {
                continue;
            };
            let Some(value) = text_of(text, Some(secret)) else {
                continue;
            };
            if value.starts_with(PLACEHOLDER) {
                continue;
            }
            let kind = match self.judge {
                Judge::Always(kind) => kind,
                Judge::With(judge) => match judge(&caps, text) {
                    Some(kind) => kind,
                    None => continue,
                },
            };
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 32));
            out.push_str(&text[copied..secret.start()]);
            out.push_str(PLACEHOLDER);
            out.push_str(kind);
            out.push(']');
            copied = secret.end();
        }
        let mut out = out?;
        out.push_str(&text[copied..]);
        Some(out)
    }
}

/// The secret: the last capture group that took part in the match, or the whole match.
fn secret<'h>(caps: &Captures<'h>) -> Option<Match<'h>> {
    caps.iter().skip(1).flatten().last().or_else(|| caps.get(0))
}

/// A match as text; `None` if it cuts a character, as ASCII-only patterns could.
fn text_of<'t>(text: &'t str, m: Option<Match<'_>>) -> Option<&'t str> {
    text.get(m?.range())
}

fn secret_of<'t>(caps: &Captures<'_>, text: &'t str) -> &'t str {
    text_of(text, secret(caps)).unwrap_or_default()
}

/// PEM private keys, which span lines: from `-----BEGIN ... PRIVATE KEY-----` followed by key
/// material through its END line, or to the end of the text when that was cut off; and,
/// before an END line whose BEGIN was cut off, the lines of base64 that end the key.
fn redact_keys(text: &str) -> Option<String> {
    const KIND: &str = "[REDACTED:private-key]";
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut pos = 0;
    while let Some(found) = text[pos..].find("-----") {
        let at = pos + found;
        let rest = &text[at + 5..];
        let begin = rest.strip_prefix("BEGIN").and_then(after_key_label);
        let span = if let Some(body) = begin.filter(|body| starts_key(body)) {
            let from = text.len() - body.len();
            at..key_end(text, from).unwrap_or(text.len())
        } else if let Some(after) = rest.strip_prefix("END").and_then(after_key_label) {
            let start = base64_lines_before(text, at);
            if start == at {
                pos = at + 5;
                continue;
            }
            start..text.len() - after.len()
        } else {
            pos = at + 5;
            continue;
        };
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[copied..span.start]);
        out.push_str(KIND);
        copied = span.end;
        pos = span.end;
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// What follows ` RSA PRIVATE KEY-----` (after `-----BEGIN` or `-----END`), if `rest` starts
/// with a private key's label.
fn after_key_label(rest: &str) -> Option<&str> {
    let n = rest
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b' ')
        .count();
    let label = &rest[..n];
    let private = label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK");
    rest[n..].strip_prefix("-----").filter(|_| private)
}

/// Whether what follows a BEGIN line is key material: a line break (maybe escaped, as in
/// JSON) and base64. Not, say, the closing quote of a constant in code.
fn starts_key(body: &str) -> bool {
    fn line_break(b: &str) -> Option<&str> {
        let b = b.strip_prefix('\r').unwrap_or(b);
        b.strip_prefix('\n')
            .or_else(|| b.strip_prefix("\\n"))
            .or_else(|| b.strip_prefix("\\r\\n"))
    }
    let Some(body) = line_break(body) else {
        return false;
    };
    // PGP armor puts a blank line between its headers (if any) and the key.
    let body = line_break(body).unwrap_or(body);
    body.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Where the END line of the key whose body starts at `from` ends.
fn key_end(text: &str, from: usize) -> Option<usize> {
    let mut pos = from;
    while let Some(found) = text[pos..].find("-----END") {
        let at = pos + found;
        if let Some(after) = after_key_label(&text[at + 8..]) {
            return Some(text.len() - after.len());
        }
        pos = at + 8;
    }
    None
}

/// The start of the lines of base64 (one at least) right before the line at `at`, or `at`.
fn base64_lines_before(text: &str, at: usize) -> usize {
    let mut start = at;
    while let Some(before) = text[..start].strip_suffix('\n') {
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before[line_start..].trim_end_matches('\r');
        let base64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
        if line.is_empty() || !line.bytes().all(base64) {
            break;
        }
        start = line_start;
    }
    start
}

/// The rules that match within a line, in the order they run: a rule sees the output of
/// those before it, so the specific shapes come first and name the secret; the generic ones
/// then skip placeholders. A prefixed token needs only 20 characters after its prefix, fewer
/// than any real one has: a token cut short (a message quoting the first 40 characters of a
/// value) is still a secret.
static LINE_RULES: [Rule; 22] = [
    Rule::new(
        scan::AWS,
        r"(?-u)\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        Judge::Always("aws-access-key"),
    ),
    Rule::new(
        scan::GITHUB,
        r"(?-u)\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        Judge::Always("github-token"),
    ),
    Rule::new(
        scan::GITLAB,
        r"(?-u)\bgl(?:pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*",
        Judge::Always("gitlab-token"),
    ),
    Rule::new(
        scan::SLACK,
        r"(?-u)\b(?:xox[abeoprs]-|xapp-[0-9]-)[A-Za-z0-9-]{10,}",
        Judge::With(slack),
    ),
    Rule::new(
        scan::SK_DASH,
        r"(?-u)\bsk-ant-[A-Za-z0-9_-]{20,}",
        Judge::Always("anthropic-key"),
    ),
    Rule::new(
        scan::SK_DASH,
        r"(?-u)\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        Judge::With(sk_dash),
    ),
    Rule::new(
        scan::MODEL,
        r"(?-u)\b(?:(?:hf_|gsk_|xai-|r8_|pplx-)[A-Za-z0-9]{20,}|lsv2_(?:pt|sk)_[0-9a-f]{20,}(?:_[0-9a-f]+)?)",
        Judge::With(model_key),
    ),
    Rule::new(
        scan::STRIPE,
        r"(?-u)\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9+/=]{20,})",
        Judge::Always("stripe-key"),
    ),
    Rule::new(
        scan::GOOGLE,
        r"(?-u)\bAIza[0-9A-Za-z_-]{20,}",
        Judge::Always("google-api-key"),
    ),
    Rule::new(
        scan::GOOGLE,
        r"(?-u)\b(?:ya29\.|GOCSPX-)[0-9A-Za-z_-]{20,}",
        Judge::With(google),
    ),
    // Connection strings (`AccountKey=`, `SharedAccessKey=`) and SAS signatures.
    Rule::folded(
        scan::AZURE,
        r"(?-u)\b(?:accountkey|sharedaccesskey)=([a-z0-9+/]{20,}=*)|\bsig=([a-z0-9%+/]{20,}=*)",
        Judge::With(azure),
    ),
    Rule::new(
        scan::NPM,
        r"(?-u)\bnpm_[A-Za-z0-9]{20,}",
        Judge::Always("npm-token"),
    ),
    Rule::new(
        scan::JWT,
        r"(?-u)\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*",
        Judge::Always("jwt"),
    ),
    // The URL of a webhook is its credential.
    Rule::new(
        scan::URL,
        r"(?-u)\bhttps?://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/-]{20,})|\bhttps?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/([0-9]{5,}/[A-Za-z0-9_-]{20,})",
        Judge::With(webhook),
    )
    .also(&["hooks.slack.com", "/api/webhooks/"]),
    // scheme://user:password@host
    Rule::folded(
        scan::URL,
        r#"(?-u)\b[a-z][a-z0-9+.-]*://[^\s:/?#@"'<>\[\]]*:([^\s:/?#@"'<>]+)@"#,
        Judge::With(stated),
    )
    .also(&["@"]),
    Rule::new(
        scan::CURL,
        r#"(?-u)\bcurl[ \t].*?[ \t](?:-u[ \t]*|--user[ \t=]+)["']?[^\s:"']+:([^\s"']+)"#,
        Judge::With(stated),
    )
    .also(&["-u", "--user"]),
    Rule::new(
        scan::LOGIN,
        r#"(?-u)\b(?:docker|podman|nerdctl|buildah|helm[ \t]+registry)[ \t]+login[ \t].*?[ \t](?:-p|--password)(?:[ \t]+|=)(?:["']([^"'\r\n]+)["']|([^\s"']+))"#,
        Judge::With(stated),
    )
    .also(&["-p", "--password"]),
    // ~/.netrc: `machine h login u password p`, or `password p` on a line of its own.
    Rule::new(
        scan::SPACED,
        r"(?-u)\bmachine[ \t].*?[ \t]password[ \t]+(\S+)|^[ \t]*password[ \t]+(\S+)[ \t]*\r?$",
        Judge::With(netrc),
    ),
    Rule::folded(
        scan::ASSIGN,
        r#"(?-u)\b(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:(bearer|basic|token|negotiate|ntlm|apikey|key)[ \t]+)?([^\s"'\\,;]+)"#,
        Judge::With(authorization),
    ),
    Rule::folded(
        scan::BEARER,
        r"(?-u)\bbearer[ \t]+([a-z0-9._~+/-]+=*)",
        Judge::With(bearer),
    ),
    // `--password hunter2`: a flag and its value, separated by a space.
    Rule::folded(
        scan::SPACED,
        r#"(?-u)(?:^|[ \t])--((?:[a-z0-9]+-)*(?:pass(?:w(?:or)?d)?|token|secret|api-?key|private-key|credentials?|auth))[ \t]+(?:(["'])([^"'\r\n]+)["']|([^\s"'`|;&<>()]+))"#,
        Judge::With(flag),
    ),
    // `NAME=value`, `name: value`, `"name": "value"`, `'name' => 'value'`, where the name
    // ends in a secret-ish word; `pass` and `auth` only as words of their own (not `BYPASS`,
    // `oauth`).
    Rule::folded(
        scan::ASSIGN,
        r#"(?-u)(?P<name>(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|private[_-]?key|credential|(?:\b|_)(?:pass|auth))(?:[_.-]?(?:access|key|token|secret|value|hash|base))*)(?P<nq>\\?["'])?(?P<sp>[ \t]*)(?P<sep>=>|:=|[:=])[ \t]*(?:(?P<q>\\?["'])(?P<qv>[^"'\\\r\n]+)\\?["']|(?P<bv>[^\s"'`&,;<>(){}\[\]\\:=][^\s"'`&,;<>(){}\[\]\\]*))"#,
        Judge::With(assignment),
    ),
];

fn has_digit(v: &str) -> bool {
    v.bytes().any(|b| b.is_ascii_digit())
}

/// Shaped like a key or token: no spaces, with digits, or long with upper and lower case
/// mixed throughout (not a name like `serverAuth` or `_RSAPrivateKey`).
fn is_key_like(v: &str) -> bool {
    v.len() >= 8
        && !v.contains(char::is_whitespace)
        && (has_digit(v) || v.len() >= 16 && is_mixed_case(v))
}

/// Upper and lower case mixed throughout, as in random text (not a name like `serverAuth`).
fn is_mixed_case(v: &str) -> bool {
    let letters = v.bytes().filter(u8::is_ascii_alphabetic).count();
    let upper = v.bytes().filter(u8::is_ascii_uppercase).count();
    letters > 0 && upper * 4 >= letters && (letters - upper) * 4 >= letters
}

fn is_random(v: &str) -> bool {
    has_digit(v)
        && v.bytes().any(|b| b.is_ascii_uppercase())
        && v.bytes().any(|b| b.is_ascii_lowercase())
}

/// Stands for a secret rather than being one: a variable or template reference, a
/// placeholder, a mask, a reference type.
fn is_stand_in(v: &str) -> bool {
    // `YOUR_API_KEY`, `your-password-here`
    let b = v.as_bytes();
    let yours = b.len() > 5 && b[..4].eq_ignore_ascii_case(b"your") && matches!(b[4], b'_' | b'-');
    yours
        || v.starts_with(['$', '%', '{', '<', '&', '*'])
        || v.bytes()
            .all(|b| matches!(b, b'*' | b'x' | b'X' | b'.' | b'#' | b'-' | b'?'))
}

/// Never a secret where a secret could be: numbers, booleans, states, type names, words
/// standing for a secret. (Passwords of digits only are let go for the sake of counts and
/// sizes.)
fn is_plain(v: &str) -> bool {
    !v.chars().any(char::is_alphabetic) || is_word(v)
}

fn is_word(v: &str) -> bool {
    const WORDS: &str = "true false null nil none undefined yes no on off not enabled disabled \
        required optional missing invalid incorrect wrong expired empty unset changed ok \
        failed denied redacted hidden masked omitted string str bytes secret token password \
        pass";
    WORDS
        .split_ascii_whitespace()
        .any(|w| v.eq_ignore_ascii_case(w))
}

/// An identifier or a path of them (`token`, `self.token`, `token::Token`): code.
fn is_ident_path(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && v.split(['.', ':']).all(|seg| {
            seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !seg.starts_with(|c: char| c.is_ascii_digit())
        })
}

/// The kind a secret takes from the name it is assigned to.
fn kind_of_name(name: &str) -> &'static str {
    let squashed: String = name
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_lowercase() as char)
        .collect();
    if squashed.ends_with("secretaccesskey") {
        "aws-secret-key"
    } else if squashed.contains("pass") || squashed.contains("pwd") {
        PASSWORD
    } else {
        SECRET
    }
}

/// `sk-`: OpenAI's keys are random in both cases; OpenRouter's and DeepSeek's are
/// lower-case hex, which kebab-case names (`sk-cluster-east-2`) are not.
fn sk_dash(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let v = secret_of(caps, text);
    let tail = v.rsplit('-').next().unwrap_or_default();
    let hex = tail.len() >= 32
        && tail.bytes().all(|b| b.is_ascii_hexdigit())
        && has_digit(tail)
        && tail.bytes().any(|b| b.is_ascii_alphabetic());
    if v.starts_with("sk-or-") && hex {
        Some("openrouter-key")
    } else if is_random(v) {
        Some("openai-key")
    } else {
        hex.then_some("api-key")
    }
}

fn model_key(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    const KINDS: [(&str, &str); 6] = [
        ("hf_", "huggingface-token"),
        ("gsk_", "groq-key"),
        ("xai-", "xai-key"),
        ("r8_", "replicate-token"),
        ("pplx-", "perplexity-key"),
        ("lsv2_", "langsmith-key"),
    ];
    let v = secret_of(caps, text);
    let (prefix, kind) = KINDS.iter().find(|(p, _)| v.starts_with(p))?;
    let body = &v[prefix.len()..];
    // Random, as keys are (Hugging Face's are letters only); not a long identifier.
    (has_digit(body) || is_mixed_case(body)).then_some(*kind)
}

fn google(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let v = secret_of(caps, text);
    Some(if v.starts_with("ya29.") {
        "google-oauth-token"
    } else {
        "google-client-secret"
    })
}

fn azure(caps: &Captures<'_>, _: &str) -> Option<&'static str> {
    Some(if caps.get(1).is_some() {
        "azure-key"
    } else {
        "azure-sas"
    })
}

fn webhook(caps: &Captures<'_>, _: &str) -> Option<&'static str> {
    Some(if caps.get(1).is_some() {
        "slack-webhook"
    } else {
        "discord-webhook"
    })
}

fn slack(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    has_digit(secret_of(caps, text)).then_some("slack-token")
}

/// A password given outright (in a URL, `curl -u`, `docker login -p`).
fn stated(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let v = secret_of(caps, text);
    (!is_stand_in(v) && !is_word(v)).then_some(PASSWORD)
}

fn netrc(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let v = secret_of(caps, text);
    // On a line of its own, `password` may be a wrapped line of prose.
    let prose = caps.get(1).is_none()
        && (!v.bytes().any(|b| !b.is_ascii_alphabetic()) || v.ends_with(['.', ',', ';', ':']));
    (!is_stand_in(v) && !is_plain(v) && v.len() >= 4 && !prose).then_some(PASSWORD)
}

fn authorization(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let v = secret_of(caps, text);
    if is_stand_in(v) || is_plain(v) {
        return None;
    }
    let scheme = text_of(text, caps.get(1)).map(str::to_ascii_lowercase);
    match scheme.as_deref() {
        Some("bearer") => Some("bearer-token"),
        Some("basic") => Some("basic-auth"),
        Some(_) => Some(SECRET),
        // `Authorization: Bearer` with nothing after, prose (`authorization: pending`), code.
        None => (v.len() >= 8 && is_random(v)).then_some(SECRET),
    }
}

/// A bearer token outside an Authorization header, where `Bearer` may be just a word.
fn bearer(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let v = secret_of(caps, text);
    (v.len() >= 16 && has_digit(v) && v.bytes().any(|b| b.is_ascii_alphabetic()))
        .then_some("bearer-token")
}

fn flag(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let kind = kind_of_name(text_of(text, caps.get(1))?);
    let v = secret_of(caps, text);
    if is_stand_in(v) || is_plain(v) {
        return None;
    }
    if caps.get(2).is_some() {
        return Some(kind);
    }
    // Unquoted, the next word may be prose (`--password via the CLI is insecure`).
    let looks_secret = has_digit(v) || !is_ident_path(v);
    (looks_secret && !v.starts_with('-') && v.len() >= 6).then_some(kind)
}

fn assignment(caps: &Captures<'_>, text: &str) -> Option<&'static str> {
    let name = caps.name("name")?;
    let whole = caps.get(0)?;
    // The whole name, with what precedes the secret-ish word (`AWS_` of `AWS_SECRET_...`).
    let start = text.as_bytes()[..name.start()]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        .map_or(0, |i| i + 1);
    let full_name = text.get(start..name.end())?;
    let word = text_of(text, Some(name))?;
    if full_name.eq_ignore_ascii_case("pwd") || full_name.eq_ignore_ascii_case("oldpwd") {
        return None; // the working directory
    }
    let sep = caps.name("sep")?;
    let quoted_name = caps.name("nq").is_some();
    // `=>` assigns in PHP and Ruby hashes (`'password' => ...`, `:password => ...`); it is
    // a match arm or a closure elsewhere.
    let symbol = text[..start].ends_with(':') && !text[..start].ends_with("::");
    if sep.as_str() == "=>" && !quoted_name && !symbol {
        return None;
    }
    let kind = kind_of_name(full_name);
    // A file holding the secret, not the secret (but an AWS key may start with `/`).
    let path = |v: &str| kind != "aws-secret-key" && v.starts_with(['/', '~', '.']);

    if let Some(v) = text_of(text, caps.name("qv")) {
        // A quoted literal: a password, or shaped like a key (not a name like "serverAuth").
        let ok = v.len() >= 4
            && !is_stand_in(v)
            && !is_plain(v)
            && !path(v)
            && (kind == PASSWORD || is_key_like(v));
        return ok.then_some(kind);
    }
    let value = caps.name("bv")?;
    let v = text_of(text, Some(value))?;
    if v.len() < 4 || is_stand_in(v) || is_plain(v) || path(v) {
        return None;
    }
    let ident = is_ident_path(v);
    let rest = &text[whole.end()..];
    let next = rest.bytes().next();
    // A call, a generic type, an index, a field or path: code, not a value.
    if ident && (v.contains(['.', ':']) || matches!(next, Some(b'(' | b'<' | b'[' | b'{'))) {
        return None;
    }
    if v.eq_ignore_ascii_case(word) || v.eq_ignore_ascii_case(full_name) {
        return None; // `token=token`
    }
    let tight = !quoted_name
        && caps.name("sp").is_none_or(|m| m.is_empty())
        && sep.as_str() == "="
        && value.start() == sep.end();
    if tight {
        // `NAME=value` (env, .env, query strings, flags): a literal, unless it is code: a
        // keyword argument passed on (`f(token=tok)`), a type binding (`Stream<Token=T>`).
        return (!(ident && matches!(next, Some(b',' | b')' | b'>')))).then_some(kind);
    }
    // `name: value` or `name = value`: config, or code (a field, a type, a statement), or
    // prose (`First pass: count the lines`).
    let rest = rest.trim();
    if ident && matches!(next, Some(b',' | b';' | b')')) {
        return None;
    }
    if sep.as_str() == ":" && rest.starts_with('=') && !rest.starts_with("==") {
        return None; // `PASSWORD: u32 = 4`, a type annotation
    }
    if sep.as_str() == "=" && ident && !is_random(v) {
        return None; // `password = key_password`, a variable
    }
    // Config values end their line, but for a comment.
    let ends_line = rest.is_empty() || rest.starts_with('#');
    if kind == PASSWORD {
        let type_like = ident && v.starts_with(|c: char| c.is_ascii_uppercase()) && !has_digit(v);
        (!type_like && (ends_line || is_random(v))).then_some(kind)
    } else {
        (is_key_like(v) && (ends_line || is_random(v) || !ident)).then_some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `redact` without the scan: every rule on every line.
    fn redact_everywhere(text: &str) -> String {
        let text = redact_keys(text).unwrap_or_else(|| text.to_string());
        let mut folded = String::new();
        let lines: Vec<String> = text
            .split('\n')
            .map(|line| {
                let mut line = Cow::Borrowed(line);
                for rule in &LINE_RULES {
                    if let Some(changed) = rule.apply(&line, &mut folded) {
                        line = Cow::Owned(changed);
                    }
                }
                line.into_owned()
            })
            .collect();
        lines.join("\n")
    }

    #[test]
    fn the_scan_misses_nothing_a_rule_would_find() {
        let corpus: toml::Table = toml::from_str(include_str!("../tests/cases.toml")).unwrap();
        let inputs = ["redact", "keep"]
            .iter()
            .flat_map(|table| corpus[*table].as_array().unwrap())
            .map(|case| case["input"].as_str().unwrap().to_string());
        for input in inputs {
            let variants = [
                input.to_ascii_lowercase(),
                input.to_ascii_uppercase(),
                input.replace(['\n', ' '], "\n"),
                input.replace(' ', ""),
                format!("x{input}x"),
                input.clone(),
            ];
            for text in variants {
                assert_eq!(redact(&text), redact_everywhere(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn every_pattern_compiles() {
        for rule in &LINE_RULES {
            rule.regex();
        }
    }
}
