//! The comparison table every ratio bench prints: an operation beside its raw baseline.

use std::fmt::Write as _;

use super::fmt_ns;

/// One line of the table.
pub struct Row {
    pub op: &'static str,
    pub op_ns: f64,
    pub base: &'static str,
    pub base_ns: f64,
    /// The most the ratio may be, where the issue sets a goal.
    pub goal: Option<f64>,
}

/// Appends the table of `rows` to `out` as markdown.
pub fn table(rows: &[Row], out: &mut String) {
    let _ = writeln!(
        out,
        "| operation | median | baseline | baseline median | ratio | goal |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---|");
    for row in rows {
        let ratio = row.op_ns / row.base_ns;
        let goal = match row.goal {
            Some(goal) if ratio <= goal => format!("≤ {goal} met"),
            Some(goal) => format!("≤ {goal} **missed**"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio:.2} | {goal} |",
            row.op,
            fmt_ns(row.op_ns),
            row.base,
            fmt_ns(row.base_ns),
        );
    }
}
