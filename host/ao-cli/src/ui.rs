//! Styles for terminal output. anstream strips them when the stream is not
//! a terminal or NO_COLOR is set.

use anstyle::{AnsiColor, Style};

pub struct Styles {
    pub error: Style,
    pub hint: Style,
    pub ok: Style,
    pub bad: Style,
    pub header: Style,
}

pub fn styles() -> Styles {
    Styles {
        error: AnsiColor::Red.on_default().bold(),
        hint: AnsiColor::Cyan.on_default().bold(),
        ok: AnsiColor::Green.on_default().bold(),
        bad: AnsiColor::Red.on_default().bold(),
        header: Style::new().bold(),
    }
}

/// A left-aligned text table; styles are not counted in widths.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let s = styles();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == cells.len() {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = format!(
        "{}{}{}\n",
        s.header.render(),
        line(header.iter().map(|h| h.to_string()).collect()),
        s.header.render_reset()
    );
    for row in rows {
        out.push_str(&line(row.clone()));
        out.push('\n');
    }
    out
}
