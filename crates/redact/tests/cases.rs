//! The table of cases in `tests/cases.toml`, run against `redact`.

use std::borrow::Cow;

use selfheal_redact::redact;
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    redact: Vec<Redact>,
    keep: Vec<Keep>,
}

#[derive(Deserialize)]
struct Redact {
    note: String,
    input: String,
    expect: String,
}

#[derive(Deserialize)]
struct Keep {
    note: String,
    input: String,
}

fn cases() -> Cases {
    toml::from_str(include_str!("cases.toml"))
        .unwrap_or_else(|e: toml::de::Error| panic!("tests/cases.toml: {}", e.message()))
}

/// Collects failures instead of stopping at the first, so one run shows them all.
fn report(kind: &str, failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} {kind} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn secrets_are_redacted() {
    let cases = cases().redact;
    assert!(cases.len() >= 40, "only {} redact cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = redact(&case.input);
        if got != case.expect {
            failures.push(format!(
                "- {}\n  input:  {:?}\n  expect: {:?}\n  got:    {:?}",
                case.note, case.input, case.expect, got
            ));
        }
    }
    report("redact", failures, cases.len());
}

#[test]
fn ordinary_text_is_kept_and_borrowed() {
    let cases = cases().keep;
    assert!(cases.len() >= 25, "only {} keep cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match redact(&case.input) {
            Cow::Borrowed(_) => {}
            Cow::Owned(got) => failures.push(format!(
                "- {}\n  input: {:?}\n  got:   {:?}",
                case.note, case.input, got
            )),
        }
    }
    report("keep", failures, cases.len());
}

#[test]
fn redacting_twice_changes_nothing() {
    let cases = cases();
    let inputs = cases
        .redact
        .iter()
        .map(|c| (&c.note, &c.input))
        .chain(cases.keep.iter().map(|c| (&c.note, &c.input)));
    let mut failures = Vec::new();
    let mut total = 0;
    for (note, input) in inputs {
        total += 1;
        let once = redact(input).into_owned();
        if let Cow::Owned(twice) = redact(&once) {
            failures.push(format!("- {note}\n  once:  {once:?}\n  twice: {twice:?}"));
        }
    }
    report("idempotence", failures, total);
}

#[test]
fn clean_text_is_borrowed() {
    for text in [
        "",
        "hello",
        "cargo build --release\n   Finished release [optimized]",
    ] {
        assert!(matches!(redact(text), Cow::Borrowed(t) if t == text));
    }
}

#[test]
fn all_cases_together() {
    // Secrets next to each other and to ordinary text, in one large output.
    let cases = cases();
    let mut input = String::new();
    let mut expect = String::new();
    for (i, case) in cases.redact.iter().enumerate() {
        // Keep cases between redact cases, each on its own lines.
        if let Some(keep) = cases.keep.get(i % cases.keep.len()) {
            input.push_str(&keep.input);
            expect.push_str(&keep.input);
            input.push('\n');
            expect.push('\n');
        }
        // A key without END takes the rest of the text with it.
        if case.note.starts_with("BEGIN without END") {
            continue;
        }
        input.push_str(&case.input);
        expect.push_str(&case.expect);
        input.push('\n');
        expect.push('\n');
    }
    let got = redact(&input);
    if let Some((i, (g, e))) = got
        .lines()
        .zip(expect.lines())
        .enumerate()
        .find(|(_, (g, e))| g != e)
    {
        panic!("line {}: got {g:?}, expected {e:?}", i + 1);
    }
    assert_eq!(got.lines().count(), expect.lines().count());
}

#[test]
fn live_stripe_keys() {
    // Built at run time so the fixture does not look like a live key to secret scanners.
    let key = format!("sk_{}_{}", "live", "FAKE0123456789fakeFAKE0123");
    let text = format!("STRIPE_SECRET_KEY={key}\nstripe.api_key = '{key}'");
    assert_eq!(
        redact(&text),
        "STRIPE_SECRET_KEY=[REDACTED:stripe-key]\nstripe.api_key = '[REDACTED:stripe-key]'"
    );
}

#[test]
fn webhook_urls() {
    // Built at run time, as above: a webhook URL is its own credential.
    let slack = format!(
        "https://hooks.slack.com/{}/T0FAKE0123/B0FAKE0123/FAKEfake0123456789FAKEfake",
        "services"
    );
    let discord = format!(
        "https://discord.com/api/{}/012345678901234567/FAKEfake0123456789FAKEfake0123456789",
        "webhooks"
    );
    let text = format!("SLACK_WEBHOOK_URL={slack}\ncurl -X POST '{discord}' -d '{{}}'");
    assert_eq!(
        redact(&text),
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/[REDACTED:slack-webhook]\n\
         curl -X POST 'https://discord.com/api/webhooks/[REDACTED:discord-webhook]' -d '{}'"
    );
    // Where nothing secret follows, nothing goes.
    let docs = "see https://api.slack.com/messaging/webhooks and https://hooks.slack.com/";
    assert!(matches!(redact(docs), Cow::Borrowed(_)));
}

#[test]
fn any_input_is_handled() {
    // Every case cut at every char boundary: partial shapes at either end must not panic.
    for case in cases().redact {
        let text = &case.input;
        for (i, _) in text.char_indices() {
            let _ = redact(&text[..i]);
            let _ = redact(&text[i..]);
        }
    }
    let odd = "héllo wörld 🎉 token: ünïcödé ≠ password=пароль123 Bearer 🔑🔑🔑🔑🔑🔑🔑🔑🔑";
    assert!(redact(odd).contains("password=[REDACTED:password]"));
}
