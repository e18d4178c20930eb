//! A session's timeline as inline SVG: one slot per event, in the order recorded (agent
//! sessions idle for long stretches; a time axis would crowd the calls into a few pixels),
//! the first and last times written under it and each event's time in its hover title.
//!
//! Lanes: tool calls coloured by class (events without a tool as small grey ticks), then a
//! mark per guidance injected, call denied, stop refused, and escalation or halt. Past
//! [`MAX_SLOTS`] events, neighbouring events share a slot: its mark takes the most severe
//! class and its title counts what it holds, so the drawing stays a bounded size.

use std::fmt::Write as _;

use selfheal_model::Class;
use selfheal_state::{format_rfc3339, TimelineRow};

use crate::html::escape;

/// The width of every timeline, in SVG user units (pixels).
pub const WIDTH: f64 = 960.0;
/// At most this many slots: 2.6 px each at the least.
pub const MAX_SLOTS: usize = 320;
/// Room for the lane labels on the left.
const LABELS: f64 = 120.0;
const RIGHT: f64 = 8.0;
/// A session of a few events gets slots no wider than this.
const MAX_SLOT_WIDTH: f64 = 16.0;
/// Characters of a hover title at most.
const TITLE_CHARS: usize = 320;

const CALLS_Y: f64 = 6.0;
const CALLS_H: f64 = 22.0;
const LANE_H: f64 = 14.0;
const FIRST_MARK_LANE_Y: f64 = 34.0;
const HEIGHT: f64 = FIRST_MARK_LANE_Y + 4.0 * LANE_H + 18.0;

/// The fill of a class; `None` = unclassified.
pub fn class_colour(class: Option<Class>) -> &'static str {
    match class {
        Some(Class::Ok) => "#2e7d32",
        Some(Class::Task) => "#64b5f6",
        Some(Class::F1) => "#f9a825",
        Some(Class::F2) => "#ef6c00",
        Some(Class::F3) => "#ad1457",
        Some(Class::F4) => "#6a1b9a",
        Some(Class::F5) => "#00838f",
        Some(Class::F6) => "#6d4c41",
        Some(Class::F7) => "#c62828",
        None => "#9e9e9e",
    }
}

/// What a mark below the calls stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Guidance,
    Denied,
    StopRefused,
    Escalated,
}

impl Marker {
    pub const ALL: [Marker; 4] = [
        Marker::Guidance,
        Marker::Denied,
        Marker::StopRefused,
        Marker::Escalated,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Marker::Guidance => "guidance",
            Marker::Denied => "call denied",
            Marker::StopRefused => "stop refused",
            Marker::Escalated => "escalated / halted",
        }
    }

    fn of(row: &TimelineRow) -> Option<Marker> {
        match row.decision.as_str() {
            "context" => Some(Marker::Guidance),
            "deny" => Some(Marker::Denied),
            "block" => Some(Marker::StopRefused),
            "halt" => Some(Marker::Escalated),
            _ if row.action.as_deref() == Some("escalate") => Some(Marker::Escalated),
            _ => None,
        }
    }

    fn lane(self) -> usize {
        self as usize
    }

    /// The shape, centred at (`x`, `y`), `r` its half-size.
    fn shape(self, x: f64, y: f64, r: f64, halt: bool, title: &str) -> String {
        let title = format!("<title>{title}</title>");
        match self {
            Marker::Guidance => format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="#1565c0">{title}</circle>"##
            ),
            Marker::Denied => format!(
                r##"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="#ef6c00" stroke-width="2">{title}</path>"##,
                x - r,
                y - r,
                x + r,
                y + r,
                x - r,
                y + r,
                x + r,
                y - r
            ),
            Marker::StopRefused => format!(
                r##"<polygon points="{:.1},{:.1} {:.1},{:.1} {x:.1},{:.1}" fill="#c62828">{title}</polygon>"##,
                x - r,
                y - r,
                x + r,
                y - r,
                y + r
            ),
            Marker::Escalated => format!(
                r##"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" fill="{}">{title}</polygon>"##,
                y - r,
                x + r,
                y + r,
                x - r,
                if halt { "#212121" } else { "#8e24aa" }
            ),
        }
    }
}

fn class_of(row: &TimelineRow) -> Option<Class> {
    row.class.as_deref().and_then(|c| c.parse().ok())
}

/// Faults outrank `task`, `task` outranks `ok`, anything outranks no class; among faults the
/// later class (a loop over a stale view) is the one to see.
fn severity(class: Option<Class>) -> usize {
    class.map_or(0, |c| c as usize + 1)
}

fn time_of_day(ts: i64) -> String {
    format_rfc3339(ts)[11..19].to_owned()
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// One event, for its hover title (escaped).
fn describe(row: &TimelineRow) -> String {
    let mut parts = vec![format!(
        "#{} {} {}",
        row.id,
        time_of_day(row.ts),
        row.hook_event_name
    )];
    if let Some(tool) = &row.tool_name {
        parts.push(tool.clone());
    }
    parts.push(row.hook.clone());
    if let Some(class) = &row.class {
        parts.push(format!("class {class}"));
    }
    match (&row.outcome, row.exit_code) {
        (Some(o), Some(code)) => parts.push(format!("{o}, exit {code}")),
        (Some(o), None) => parts.push(o.clone()),
        (None, Some(code)) => parts.push(format!("exit {code}")),
        (None, None) => {}
    }
    if row.decision != "none" {
        parts.push(format!("decision {}", row.decision));
    }
    if let Some(action) = &row.action {
        parts.push(format!("action {action}"));
    }
    if let Some(agent) = &row.agent_id {
        parts.push(format!("agent {agent}"));
    }
    let mut text = parts.join(" · ");
    if let Some(evidence) = &row.evidence {
        text.push_str(" — ");
        text.push_str(evidence);
    }
    escape(&shorten(&text, TITLE_CHARS))
}

/// A marker of one event, for its hover title (escaped).
fn marker_title(marker: Marker, row: &TimelineRow) -> String {
    let mut text = format!("#{} {} {}", row.id, time_of_day(row.ts), marker.label());
    if let Some(action) = &row.action {
        text.push_str(&format!(": {action}"));
    }
    if let Some(class) = &row.class {
        text.push_str(&format!(" ({class})"));
    }
    if row.tool_name.is_none() {
        // No call mark above it: the evidence is here or nowhere.
        if let Some(evidence) = &row.evidence {
            text.push_str(" — ");
            text.push_str(evidence);
        }
    }
    escape(&shorten(&text, TITLE_CHARS))
}

/// Several events sharing a slot, for its hover title: their range and what they were.
fn summarise(rows: &[&TimelineRow], what: &str) -> String {
    let (first, last) = (rows[0], rows[rows.len() - 1]);
    let mut by: Vec<(String, usize)> = Vec::new();
    for row in rows {
        let key = row
            .class
            .clone()
            .or_else(|| row.action.clone())
            .unwrap_or_else(|| row.hook_event_name.clone());
        match by.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => by.push((key, 1)),
        }
    }
    let by: Vec<String> = by.into_iter().map(|(k, n)| format!("{n} {k}")).collect();
    escape(&shorten(
        &format!(
            "#{}–#{} {}–{}: {} {what}: {}",
            first.id,
            last.id,
            time_of_day(first.ts),
            time_of_day(last.ts),
            rows.len(),
            by.join(", ")
        ),
        TITLE_CHARS,
    ))
}

/// The slots for `n` events: how many, and how wide each is.
pub fn slots(n: usize) -> (usize, f64) {
    let usable = WIDTH - LABELS - RIGHT;
    let count = n.min(MAX_SLOTS);
    if count == 0 {
        return (0, 0.0);
    }
    (count, (usable / count as f64).min(MAX_SLOT_WIDTH))
}

/// The slot of the `i`-th of `n` events.
fn slot_of(i: usize, n: usize) -> usize {
    if n <= MAX_SLOTS {
        i
    } else {
        i * MAX_SLOTS / n
    }
}

/// The timeline of one session's events (oldest first) as an `<svg>` element.
pub fn timeline(rows: &[TimelineRow]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{HEIGHT:.0}" viewBox="0 0 {WIDTH:.0} {HEIGHT:.0}" role="img" aria-label="timeline of {} events">"#,
        rows.len()
    );
    let lane_y = |lane: usize| FIRST_MARK_LANE_Y + lane as f64 * LANE_H;
    // Lane labels.
    let _ = write!(
        svg,
        r#"<text x="0" y="{:.1}" class="lane">tool calls</text>"#,
        CALLS_Y + CALLS_H / 2.0 + 4.0
    );
    for marker in Marker::ALL {
        let _ = write!(
            svg,
            r#"<text x="0" y="{:.1}" class="lane">{}</text>"#,
            lane_y(marker.lane()) + LANE_H / 2.0 + 3.0,
            marker.label()
        );
    }
    if rows.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{LABELS:.0}" y="{:.1}" class="note">no events recorded</text></svg>"#,
            CALLS_Y + CALLS_H / 2.0 + 4.0
        );
        return svg;
    }
    let (count, width) = slots(rows.len());
    let _ = write!(
        svg,
        r##"<line x1="{LABELS:.0}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#bdbdbd"/>"##,
        LABELS + count as f64 * width,
        y = CALLS_Y + CALLS_H
    );
    let mut start = 0;
    while start < rows.len() {
        let slot = slot_of(start, rows.len());
        let end = (start..rows.len())
            .find(|&i| slot_of(i, rows.len()) != slot)
            .unwrap_or(rows.len());
        draw_slot(
            &mut svg,
            &rows[start..end],
            LABELS + slot as f64 * width,
            width,
        );
        start = end;
    }
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let axis_y = HEIGHT - 4.0;
    let _ = write!(
        svg,
        r#"<text x="{LABELS:.0}" y="{axis_y:.1}" class="axis">first {}</text>"#,
        format_rfc3339(first.ts)
    );
    if rows.len() > 1 {
        let _ = write!(
            svg,
            r#"<text x="{WIDTH:.0}" y="{axis_y:.1}" class="axis" text-anchor="end">{} events · last {}</text>"#,
            rows.len(),
            format_rfc3339(last.ts)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The marks of the events sharing one slot at `x`.
fn draw_slot(svg: &mut String, rows: &[TimelineRow], x: f64, width: f64) {
    let gap = if width >= 4.0 { 1.0 } else { 0.0 };
    let w = (width - gap).max(1.0);
    let calls: Vec<&TimelineRow> = rows.iter().filter(|r| r.tool_name.is_some()).collect();
    if !calls.is_empty() {
        let class = calls
            .iter()
            .map(|r| class_of(r))
            .max_by_key(|c| severity(*c))
            .flatten();
        let title = match calls.as_slice() {
            [one] => describe(one),
            many => summarise(many, "tool calls"),
        };
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{CALLS_Y:.1}" width="{w:.1}" height="{CALLS_H:.1}" fill="{}"><title>{title}</title></rect>"#,
            class_colour(class)
        );
    } else {
        // No tool: a session start, a stop let through, a prompt.
        let all: Vec<&TimelineRow> = rows.iter().collect();
        let title = match all.as_slice() {
            [one] => describe(one),
            many => summarise(many, "events"),
        };
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="6" fill="#cfcfcf"><title>{title}</title></rect>"##,
            CALLS_Y + CALLS_H - 6.0
        );
    }
    let r = (w / 2.0).clamp(1.5, 5.0);
    for marker in Marker::ALL {
        let marked: Vec<&TimelineRow> = rows
            .iter()
            .filter(|row| Marker::of(row) == Some(marker))
            .collect();
        if marked.is_empty() {
            continue;
        }
        // The call's own mark carries the evidence; a marker names only what was decided.
        let title = match marked.as_slice() {
            [one] => marker_title(marker, one),
            many => summarise(many, marker.label()),
        };
        let halt = marked.iter().any(|row| row.decision == "halt");
        let y = FIRST_MARK_LANE_Y + marker.lane() as f64 * LANE_H + LANE_H / 2.0;
        svg.push_str(&marker.shape(x + w / 2.0, y, r, halt, &title));
    }
}

/// What the colours and shapes mean, as one small SVG.
pub fn legend() -> String {
    let mut items: Vec<(String, String)> = Class::ALL
        .into_iter()
        .map(|c| {
            (
                format!(
                    r#"<rect x="0" y="-9" width="10" height="10" fill="{}"/>"#,
                    class_colour(Some(c))
                ),
                format!("{} {}", c.as_str(), c.name()),
            )
        })
        .collect();
    items.push((
        format!(
            r#"<rect x="0" y="-9" width="10" height="10" fill="{}"/>"#,
            class_colour(None)
        ),
        "no class".to_owned(),
    ));
    items.push((
        r##"<rect x="0" y="-3" width="10" height="6" fill="#cfcfcf"/>"##.to_owned(),
        "event without a tool".to_owned(),
    ));
    for marker in Marker::ALL {
        items.push((
            marker.shape(5.0, -4.0, 4.5, false, marker.label()),
            marker.label().to_owned(),
        ));
    }
    items.push((
        Marker::Escalated.shape(5.0, -4.0, 4.5, true, "halted"),
        "session halted".to_owned(),
    ));
    let columns = 3;
    let column_width = WIDTH / columns as f64;
    let rows = items.len().div_ceil(columns);
    let height = rows as f64 * 18.0 + 6.0;
    let mut svg = format!(
        r#"<svg class="legend" xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" role="img" aria-label="legend">"#
    );
    for (i, (mark, label)) in items.iter().enumerate() {
        let x = (i % columns) as f64 * column_width;
        let y = (i / columns) as f64 * 18.0 + 16.0;
        let _ = write!(
            svg,
            r#"<g transform="translate({x:.0} {y:.0})">{mark}<text x="16" y="0">{}</text></g>"#,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, tool: Option<&str>, class: Option<&str>, decision: &str) -> TimelineRow {
        TimelineRow {
            id,
            ts: 1_700_000_000_000 + id * 1000,
            hook: "failure-classifier".into(),
            hook_event_name: if tool.is_some() {
                "PostToolUse"
            } else {
                "Stop"
            }
            .into(),
            tool_name: tool.map(Into::into),
            agent_id: None,
            outcome: None,
            exit_code: None,
            class: class.map(Into::into),
            action: None,
            decision: decision.into(),
            evidence: None,
        }
    }

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    #[test]
    fn no_events_is_a_small_drawing_that_says_so() {
        let svg = timeline(&[]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("no events recorded"));
        assert_eq!(count(&svg, "<rect"), 0);
        assert!(svg.len() < 1_500, "{}", svg.len());
    }

    #[test]
    fn one_event_is_one_mark_of_its_class_no_wider_than_a_slot() {
        let svg = timeline(&[row(7, Some("Bash"), Some("F2"), "none")]);
        assert_eq!(count(&svg, "<rect"), 1, "{svg}");
        assert!(svg.contains(&format!(r#"fill="{}""#, class_colour(Some(Class::F2)))));
        assert!(
            svg.contains(&format!(r#"width="{:.1}""#, MAX_SLOT_WIDTH - 1.0)),
            "{svg}"
        );
        assert!(
            svg.contains("<title>#7 22:13:27 PostToolUse · Bash"),
            "{svg}"
        );
        // One time under it, no range.
        assert_eq!(count(&svg, "2023-11-14T22:13:27.000Z"), 1, "{svg}");
        assert!(!svg.contains(" events · last "), "{svg}");
    }

    #[test]
    fn markers_go_to_their_lanes_with_their_titles() {
        let mut guided = row(1, Some("Bash"), Some("F4"), "context");
        guided.action = Some("tool_substitution".into());
        let mut escalated = row(4, None, None, "halt");
        escalated.action = Some("escalate".into());
        let svg = timeline(&[
            guided,
            row(2, Some("Bash"), Some("F2"), "deny"),
            row(3, None, None, "block"),
            escalated,
        ]);
        assert_eq!(count(&svg, "<circle"), 1, "guidance: {svg}");
        assert_eq!(count(&svg, "<path"), 1, "denied: {svg}");
        assert_eq!(count(&svg, "<polygon"), 2, "stop refused and halt: {svg}");
        assert!(svg.contains("#212121"), "a halt is drawn dark: {svg}");
        assert!(svg.contains("action tool_substitution"));
        assert!(
            svg.contains("<title>#1 22:13:21 guidance: tool_substitution (F4)</title></circle>"),
            "{svg}"
        );
    }

    #[test]
    fn thousands_of_events_share_a_bounded_number_of_slots() {
        let rows: Vec<TimelineRow> = (0..20_000)
            .map(|i| {
                let class = if i % 97 == 0 { Some("F7") } else { Some("ok") };
                let decision = if i % 500 == 0 { "context" } else { "none" };
                let mut r = row(i, Some("Bash"), class, decision);
                r.evidence = Some("x".repeat(240));
                r
            })
            .collect();
        let svg = timeline(&rows);
        assert_eq!(count(&svg, "<rect"), MAX_SLOTS, "one mark per slot");
        assert!(svg.len() < 160_000, "{} bytes", svg.len());
        // A slot holding an F7 among its ok calls shows the F7.
        assert!(svg.contains(&format!(r#"fill="{}""#, class_colour(Some(Class::F7)))));
        assert!(
            svg.contains(" tool calls: "),
            "slot titles count what they hold"
        );
        // The slots stay inside the drawing.
        let (n, w) = slots(rows.len());
        assert!(LABELS + n as f64 * w <= WIDTH);
    }

    #[test]
    fn slots_fill_the_width_and_never_overflow_it() {
        for n in [1, 2, 10, 59, 60, 61, 319, 320, 321, 5_000] {
            let (count, width) = slots(n);
            assert_eq!(count, n.min(MAX_SLOTS));
            assert!(width > 2.0 && width <= MAX_SLOT_WIDTH, "{n}: {width}");
            assert!(LABELS + count as f64 * width <= WIDTH - RIGHT + 1e-9, "{n}");
            assert_eq!(
                slot_of(n - 1, n),
                count - 1,
                "{n}: the last event in the last slot"
            );
        }
    }

    #[test]
    fn titles_escape_what_the_tools_printed() {
        let mut r = row(1, Some("Bash"), Some("F2"), "none");
        r.evidence = Some("</title><script>alert(1)</script> & \"q\"".into());
        let svg = timeline(&[r]);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(
            svg.contains("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;")
        );
    }

    #[test]
    fn the_legend_names_every_class_and_marker() {
        let svg = legend();
        for c in Class::ALL {
            assert!(
                svg.contains(&format!(">{} {}<", c.as_str(), c.name())),
                "{c}"
            );
        }
        for m in Marker::ALL {
            assert!(svg.contains(m.label()), "{m:?}");
        }
    }
}
