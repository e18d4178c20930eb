//! Text tables for a terminal: ANSI colour when asked, and every string from the database
//! made harmless first (it holds tool output: escape sequences would reach the terminal).

use std::io::{self, Write};

use selfheal_model::{Budget, Class};
use selfheal_state::format_rfc3339;

use crate::duration::format_span;
use crate::gather::{Report, SessionReport};

/// Whether to colour. The caller decides (a TTY, `NO_COLOR`, `--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paint {
    Bold,
    Dim,
    Red,
    Yellow,
    Green,
    Cyan,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Bold => "1",
            Paint::Dim => "2",
            Paint::Red => "31",
            Paint::Yellow => "33",
            Paint::Green => "32",
            Paint::Cyan => "36",
        }
    }
}

impl Style {
    fn paint(self, text: &str, paint: Option<Paint>) -> String {
        match paint {
            Some(p) if self.color && !text.is_empty() => {
                format!("\x1b[{}m{text}\x1b[0m", p.code())
            }
            _ => text.to_owned(),
        }
    }
}

/// Text from the database, safe to print: line breaks and tabs become spaces; other control
/// characters (escape sequences) and bidirectional overrides become `?`.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '?',
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '?',
            c => c,
        })
        .collect()
}

/// At most `max` characters, `…` marking a cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

struct Cell {
    text: String,
    paint: Option<Paint>,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            paint: None,
        }
    }

    fn painted(text: impl Into<String>, paint: Option<Paint>) -> Cell {
        Cell {
            text: text.into(),
            paint,
        }
    }
}

/// Columns padded to their widest cell; numbers right-aligned.
struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            headers: columns.iter().map(|(h, _)| (*h).to_owned()).collect(),
            right: columns.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    fn write(&self, style: Style, out: &mut dyn Write) -> io::Result<()> {
        let width = |s: &str| s.chars().count();
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i].text))
                    .chain([width(&self.headers[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<(&str, Option<Paint>)>, out: &mut dyn Write| -> io::Result<()> {
            let last = cells.len() - 1;
            let mut text = String::from("  ");
            for (i, (cell, paint)) in cells.into_iter().enumerate() {
                let pad = " ".repeat(widths[i] - width(cell));
                let painted = style.paint(cell, paint);
                if self.right[i] {
                    text.push_str(&pad);
                    text.push_str(&painted);
                } else {
                    text.push_str(&painted);
                    if i < last {
                        text.push_str(&pad);
                    }
                }
                if i < last {
                    text.push_str("  ");
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(
            self.headers
                .iter()
                .map(|h| (h.as_str(), Some(Paint::Bold)))
                .collect(),
            out,
        )?;
        for row in &self.rows {
            line(
                row.iter().map(|c| (c.text.as_str(), c.paint)).collect(),
                out,
            )?;
        }
        Ok(())
    }
}

fn title(style: Style, out: &mut dyn Write, name: &str, note: &str) -> io::Result<()> {
    let name = style.paint(name, Some(Paint::Bold));
    if note.is_empty() {
        writeln!(out, "{name}")
    } else {
        writeln!(out, "{name}  {}", style.paint(note, Some(Paint::Dim)))
    }
}

fn class_paint(class: Class, n: u64) -> Option<Paint> {
    match class {
        _ if n == 0 => Some(Paint::Dim),
        Class::Ok => Some(Paint::Green),
        Class::Task => Some(Paint::Cyan),
        _ => Some(Paint::Red),
    }
}

fn count_paint(n: u64, alarming: bool) -> Option<Paint> {
    match n {
        0 => Some(Paint::Dim),
        _ if alarming => Some(Paint::Red),
        _ => None,
    }
}

/// Red when spent, yellow from 80 %.
fn budget_paint(s: &SessionReport, budget: Budget) -> Option<Paint> {
    let (used, limit) = (s.used.get(budget), s.limits.get(budget));
    if used >= limit {
        Some(Paint::Red)
    } else if used.saturating_mul(5) >= limit.saturating_mul(4) {
        Some(Paint::Yellow)
    } else {
        None
    }
}

/// `used/limit`.
fn budget_cell(s: &SessionReport, budget: Budget) -> Cell {
    Cell::painted(
        format!("{}/{}", s.used.get(budget), s.limits.get(budget)),
        budget_paint(s, budget),
    )
}

fn span(s: &SessionReport) -> String {
    format_span((s.session.last_seen - s.session.started_at).max(0) as u64)
}

/// The sessions, one a line: which, where, when, how much happened. `spent` adds the budgets
/// each has spent (the short form `selfheal status` shows).
fn sessions_table(report: &Report, spent: bool) -> Table {
    let mut columns = vec![
        ("#", true),
        ("CLIENT", false),
        ("SESSION", false),
        ("PROJECT", false),
        ("LAST SEEN", false),
        ("SPAN", true),
        ("EVENTS", true),
        ("CALLS", true),
        ("FAULTS", true),
        ("ESCALATIONS", true),
    ];
    if spent {
        columns.push(("SPENT", false));
    }
    let mut table = Table::new(&columns);
    for (i, s) in report.sessions.iter().enumerate() {
        let r = &s.session;
        let mut row = vec![
            Cell::plain((i + 1).to_string()),
            Cell::plain(clean(&r.client)),
            Cell::plain(clean(&r.session_id)),
            Cell::plain(shorten(
                &clean(r.project_root.as_deref().unwrap_or("-")),
                40,
            )),
            Cell::plain(format_rfc3339(r.last_seen)),
            Cell::plain(span(s)),
            Cell::plain(s.events.to_string()),
            Cell::plain(s.tool_calls.to_string()),
            Cell::painted(
                s.classes.faults().to_string(),
                count_paint(s.classes.faults(), true),
            ),
            Cell::painted(
                s.escalations.len().to_string(),
                count_paint(s.escalations.len() as u64, true),
            ),
        ];
        if spent {
            let names: Vec<&str> = s.spent().into_iter().map(Budget::symbol).collect();
            row.push(if names.is_empty() {
                Cell::painted("-", Some(Paint::Dim))
            } else {
                Cell::painted(names.join(" "), Some(Paint::Red))
            });
        }
        table.row(row);
    }
    table
}

fn classes_table(report: &Report) -> Table {
    let mut columns = vec![("#", true)];
    columns.extend(Class::ALL.iter().map(|c| (c.as_str(), true)));
    columns.push(("none", true));
    let mut table = Table::new(&columns);
    let row = |label: String, counts: &crate::gather::ClassCounts| {
        let mut cells = vec![Cell::plain(label)];
        cells.extend(Class::ALL.into_iter().map(|c| {
            let n = counts.get(c);
            Cell::painted(n.to_string(), class_paint(c, n))
        }));
        cells.push(Cell::painted(
            counts.unclassified.to_string(),
            count_paint(counts.unclassified, false),
        ));
        cells
    };
    for (i, s) in report.sessions.iter().enumerate() {
        table.row(row((i + 1).to_string(), &s.classes));
    }
    if report.sessions.len() > 1 {
        table.row(row("all".to_owned(), &report.totals().classes));
    }
    table
}

fn actions_text(actions: &[(String, u64)]) -> String {
    let used: Vec<String> = actions
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(a, n)| format!("{} {n}", clean(a)))
        .collect();
    if used.is_empty() {
        "-".to_owned()
    } else {
        used.join(", ")
    }
}

fn actions_table(report: &Report) -> Table {
    let mut table = Table::new(&[
        ("#", true),
        ("GUIDANCE", true),
        ("DENIED", true),
        ("STOPS REFUSED", true),
        ("HALTED", true),
        ("ESCALATED", true),
        ("RECOVERY ACTIONS", false),
    ]);
    let row = |label: String,
               d: &crate::gather::Decisions,
               escalations: u64,
               actions: &[(String, u64)]| {
        vec![
            Cell::plain(label),
            Cell::painted(d.guidance.to_string(), count_paint(d.guidance, false)),
            Cell::painted(d.denied.to_string(), count_paint(d.denied, false)),
            Cell::painted(
                d.stops_refused.to_string(),
                count_paint(d.stops_refused, false),
            ),
            Cell::painted(d.halted.to_string(), count_paint(d.halted, true)),
            Cell::painted(escalations.to_string(), count_paint(escalations, true)),
            Cell::plain(actions_text(actions)),
        ]
    };
    for (i, s) in report.sessions.iter().enumerate() {
        table.row(row(
            (i + 1).to_string(),
            &s.decisions,
            s.escalations.len() as u64,
            &s.actions,
        ));
    }
    if report.sessions.len() > 1 {
        let t = report.totals();
        table.row(row(
            "all".to_owned(),
            &t.decisions,
            t.escalations,
            &t.actions,
        ));
    }
    table
}

fn budgets_table(report: &Report) -> Table {
    let headers: Vec<String> = Budget::ALL
        .iter()
        .map(|b| format!("{} {}", b.symbol(), b.key()))
        .collect();
    let mut columns = vec![("#", true), ("PROFILE", false)];
    columns.extend(headers.iter().map(|h| (h.as_str(), true)));
    let mut table = Table::new(&columns);
    for (i, s) in report.sessions.iter().enumerate() {
        let mut cells = vec![Cell::plain((i + 1).to_string()), Cell::plain(s.profile)];
        cells.extend(Budget::ALL.into_iter().map(|b| budget_cell(s, b)));
        table.row(cells);
    }
    table
}

fn escalations_table(report: &Report) -> Table {
    let mut table = Table::new(&[
        ("#", true),
        ("TIME", false),
        ("REASON", false),
        ("SUMMARY", false),
    ]);
    for (i, s) in report.sessions.iter().enumerate() {
        for e in &s.escalations {
            table.row(vec![
                Cell::plain((i + 1).to_string()),
                Cell::plain(format_rfc3339(e.ts)),
                Cell::painted(clean(&e.reason), Some(Paint::Red)),
                Cell::plain(shorten(&clean(e.summary.as_deref().unwrap_or("-")), 100)),
            ]);
        }
    }
    table
}

fn since_note(report: &Report) -> String {
    match report.since_ms {
        Some(since) => format!("seen since {}", format_rfc3339(since)),
        None => String::new(),
    }
}

/// `selfheal report`: sessions, classes, actions taken, budgets, escalations.
pub fn write_report(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let note = since_note(report);
    if report.sessions.is_empty() {
        return title(style, out, "SESSIONS", &format!("none {note}"));
    }
    let n = report.sessions.len();
    title(
        style,
        out,
        "SESSIONS",
        &format!("{n} {} {note}", if n == 1 { "session" } else { "sessions" }),
    )?;
    sessions_table(report, false).write(style, out)?;
    writeln!(out)?;
    title(
        style,
        out,
        "CLASSES",
        "events per class (none: no class given)",
    )?;
    classes_table(report).write(style, out)?;
    writeln!(out)?;
    title(
        style,
        out,
        "ACTIONS TAKEN",
        "decisions and recovery actions recorded",
    )?;
    actions_table(report).write(style, out)?;
    writeln!(out)?;
    title(
        style,
        out,
        "BUDGETS",
        "used/limit (b_l: from the start to the last event)",
    )?;
    budgets_table(report).write(style, out)?;
    writeln!(out)?;
    let escalations = escalations_table(report);
    if escalations.rows.is_empty() {
        title(style, out, "ESCALATIONS", "none")
    } else {
        title(style, out, "ESCALATIONS", "")?;
        escalations.write(style, out)
    }
}

/// `selfheal status` without a session: the recent sessions, one a line.
pub fn write_sessions(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    sessions_table(report, true).write(style, out)
}

/// `selfheal status --session`: one session in detail.
pub fn write_session_detail(
    s: &SessionReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let r = &s.session;
    writeln!(
        out,
        "{}",
        style.paint(
            &format!("{} session {}", clean(&r.client), clean(&r.session_id)),
            Some(Paint::Bold)
        )
    )?;
    writeln!(
        out,
        "  started {}   last seen {}   project {}",
        format_rfc3339(r.started_at),
        format_rfc3339(r.last_seen),
        clean(r.project_root.as_deref().unwrap_or("-"))
    )?;
    let mut table = Table::new(&[
        ("budget", false),
        ("used", true),
        ("limit", true),
        ("", false),
    ]);
    for budget in Budget::ALL {
        let spent = s.used.get(budget) >= s.limits.get(budget);
        table.row(vec![
            Cell::plain(format!("{} {}", budget.symbol(), budget.key())),
            Cell::painted(s.used.get(budget).to_string(), budget_paint(s, budget)),
            Cell::plain(s.limits.get(budget).to_string()),
            Cell::painted(if spent { "spent" } else { "" }, Some(Paint::Red)),
        ]);
    }
    writeln!(out, "  profile {}", s.profile)?;
    table.write(style, out)?;
    let classes: Vec<String> = s
        .classes
        .named()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    writeln!(
        out,
        "  events {}   tool calls {}   by class: {}",
        s.events,
        s.tool_calls,
        if classes.is_empty() {
            "none".to_owned()
        } else {
            classes.join(", ")
        }
    )?;
    let d = &s.decisions;
    writeln!(
        out,
        "  guidance {}   denied {}   stops refused {}   halted {}   actions: {}",
        d.guidance,
        d.denied,
        d.stops_refused,
        d.halted,
        actions_text(&s.actions)
    )?;
    writeln!(out, "  escalations: {}", s.escalations.len())?;
    for e in &s.escalations {
        writeln!(
            out,
            "    {} {}: {}",
            format_rfc3339(e.ts),
            style.paint(&clean(&e.reason), Some(Paint::Red)),
            shorten(&clean(e.summary.as_deref().unwrap_or("-")), 100)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_defuses_escape_sequences_and_line_breaks() {
        assert_eq!(clean("a\x1b[31mb\nc\td\u{202e}e"), "a?[31mb c d?e");
        assert_eq!(clean("plain é"), "plain é");
    }

    #[test]
    fn shorten_marks_the_cut() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }

    #[test]
    fn tables_align_on_plain_width_with_or_without_colour() {
        let mut table = Table::new(&[("NAME", false), ("N", true)]);
        table.row(vec![
            Cell::plain("é"),
            Cell::painted("10", Some(Paint::Red)),
        ]);
        table.row(vec![Cell::plain("long name"), Cell::plain("2")]);
        let mut plain = Vec::new();
        table.write(Style { color: false }, &mut plain).unwrap();
        let plain = String::from_utf8(plain).unwrap();
        assert_eq!(plain, "  NAME        N\n  é          10\n  long name   2\n");
        let mut coloured = Vec::new();
        table.write(Style { color: true }, &mut coloured).unwrap();
        let coloured = String::from_utf8(coloured).unwrap();
        assert!(coloured.contains("\x1b[31m10\x1b[0m"), "{coloured:?}");
        let stripped = coloured
            .replace("\x1b[31m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, plain);
    }
}
