//! `selfheal report --html FILE`: one self-contained page (inline CSS and SVG, no script, no
//! external asset). Every string from the database is escaped: it holds tool output.

use std::fmt::Write as _;
use std::io::{self, Write};

use selfheal_model::{Budget, Class};
use selfheal_state::format_rfc3339;

use crate::duration::format_span;
use crate::gather::{Report, SessionReport};
use crate::svg;

/// Text made safe for HTML content and attribute values (quoted either way). Control
/// characters other than line breaks and tabs, which HTML does not allow, become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1000px;padding:0 1em;color:#212121}
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin:1.6em 0 .3em;word-break:break-all}
table{border-collapse:collapse;margin:.4em 0}th,td{padding:2px 8px;border-bottom:1px solid #e0e0e0;text-align:right}
th:first-child,td:first-child,td.l,th.l{text-align:left}th{font-weight:600;background:#fafafa}
.spent{color:#c62828;font-weight:600}.warn{color:#ef6c00}.muted{color:#757575}
svg{display:block;margin:.3em 0}svg text{font:11px system-ui,sans-serif;fill:#424242}
pre{white-space:pre-wrap;word-break:break-word;background:#fafafa;border:1px solid #eee;padding:.4em;margin:.2em 0;font-size:12px;max-height:12em;overflow:auto}
section{border-top:1px solid #e0e0e0;margin-top:1.2em}
";

/// Characters of an escalation summary shown at most.
const SUMMARY_CHARS: usize = 2_000;

/// Writes the whole page.
pub fn write_html(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    page.push_str("<title>selfheal report</title><style>");
    page.push_str(STYLE);
    page.push_str("</style></head><body>\n<h1>selfheal report</h1>\n");
    let _ = writeln!(
        page,
        "<p class=\"muted\">{} session{}{}; generated {}.</p>",
        report.sessions.len(),
        if report.sessions.len() == 1 { "" } else { "s" },
        report
            .since_ms
            .map(|s| format!(" seen since {}", format_rfc3339(s)))
            .unwrap_or_default(),
        format_rfc3339(report.generated_at)
    );
    for warning in &report.warnings {
        let _ = writeln!(page, "<p class=\"warn\">{}</p>", escape(warning));
    }
    if !report.sessions.is_empty() {
        summary_table(&mut page, report);
        page.push_str("<h2>Legend</h2>\n");
        page.push_str(&svg::legend());
        page.push_str(
            "\n<p class=\"muted\">Each timeline has one slot per event, in the order recorded; \
             hover a mark for the event. Very long sessions share slots between neighbouring \
             events.</p>\n",
        );
    }
    for (i, s) in report.sessions.iter().enumerate() {
        session_section(&mut page, i + 1, s);
    }
    page.push_str("</body></html>\n");
    out.write_all(page.as_bytes())
}

fn summary_table(page: &mut String, report: &Report) {
    page.push_str("<table><tr><th>#</th><th class=\"l\">client</th><th class=\"l\">session</th><th>events</th><th>calls</th><th>faults</th><th>guidance</th><th>denied</th><th>stops refused</th><th>escalations</th></tr>\n");
    for (i, s) in report.sessions.iter().enumerate() {
        let _ = writeln!(
            page,
            "<tr><td><a href=\"#s{n}\">{n}</a></td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.session.client),
            escape(&s.session.session_id),
            s.events,
            s.tool_calls,
            s.classes.faults(),
            s.decisions.guidance,
            s.decisions.denied,
            s.decisions.stops_refused,
            s.escalations.len(),
            n = i + 1,
        );
    }
    page.push_str("</table>\n");
}

fn session_section(page: &mut String, n: usize, s: &SessionReport) {
    let r = &s.session;
    let _ = writeln!(
        page,
        "<section id=\"s{n}\"><h2>{n}. {} session {}</h2>",
        escape(&r.client),
        escape(&r.session_id)
    );
    let _ = writeln!(
        page,
        "<p>project {} · started {} · last seen {} · span {} · profile {} · events {} · tool calls {}</p>",
        escape(r.project_root.as_deref().unwrap_or("-")),
        format_rfc3339(r.started_at),
        format_rfc3339(r.last_seen),
        format_span((r.last_seen - r.started_at).max(0) as u64),
        s.profile,
        s.events,
        s.tool_calls
    );
    page.push_str(&svg::timeline(&s.timeline));
    page.push('\n');

    page.push_str("<table><tr>");
    for c in Class::ALL {
        let _ = write!(
            page,
            "<th title=\"{}\">{}</th>",
            escape(c.name()),
            c.as_str()
        );
    }
    page.push_str("<th>no class</th></tr><tr>");
    for c in Class::ALL {
        let _ = write!(page, "<td>{}</td>", s.classes.get(c));
    }
    let _ = writeln!(page, "<td>{}</td></tr></table>", s.classes.unclassified);

    page.push_str("<table><tr><th class=\"l\">budget</th><th>used</th><th>limit</th></tr>\n");
    for b in Budget::ALL {
        let spent = s.used.get(b) >= s.limits.get(b);
        let _ = writeln!(
            page,
            "<tr{}><td class=\"l\">{} {}</td><td>{}</td><td>{}</td></tr>",
            if spent { " class=\"spent\"" } else { "" },
            b.symbol(),
            b.key(),
            s.used.get(b),
            s.limits.get(b)
        );
    }
    page.push_str("</table>\n");

    let actions: Vec<String> = s
        .actions
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(a, n)| format!("{} {n}", escape(a)))
        .collect();
    let d = &s.decisions;
    let _ = writeln!(
        page,
        "<p>guidance injected {} · calls denied {} · stops refused {} · halted {} · recovery actions: {}</p>",
        d.guidance,
        d.denied,
        d.stops_refused,
        d.halted,
        if actions.is_empty() {
            "none".to_owned()
        } else {
            actions.join(", ")
        }
    );

    if !s.escalations.is_empty() {
        page.push_str("<h3>Escalations</h3>\n");
        for e in &s.escalations {
            let summary = e.summary.as_deref().unwrap_or("");
            let mut shown: String = summary.chars().take(SUMMARY_CHARS).collect();
            if shown.len() < summary.len() {
                shown.push('…');
            }
            let _ = writeln!(
                page,
                "<p><b>{}</b> at {}</p><pre>{}</pre>",
                escape(&e.reason),
                format_rfc3339(e.ts),
                escape(&shown)
            );
        }
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(
            escape("a\u{0}b\x1b[31m\nc\td"),
            "a\u{fffd}b\u{fffd}[31m\nc\td"
        );
        assert_eq!(escape("plain é ✓"), "plain é ✓");
    }

    #[test]
    fn an_empty_report_is_a_whole_page() {
        let report = Report {
            generated_at: 0,
            since_ms: Some(0),
            sessions: Vec::new(),
            warnings: vec!["<b>x</b>".into()],
        };
        let mut out = Vec::new();
        write_html(&report, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.ends_with("</html>\n"));
        assert!(page.contains("0 sessions seen since 1970-01-01T00:00:00.000Z"));
        assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(!page.contains("<script"));
    }
}
