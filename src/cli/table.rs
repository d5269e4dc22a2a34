//! Plain aligned text tables for terminal output.

use super::terminal;

/// Renders rows under a header, columns padded to their widest cell. Every cell passes the
/// terminal sanitiser first (escaped controls, cut at [`terminal::CELL`] characters).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut all = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    all.extend(rows.iter().map(|row| {
        row.iter()
            .map(|c| terminal::clean(c, terminal::CELL).into_owned())
            .collect()
    }));
    aligned(&all, "")
}

/// `rows` with each column padded to its widest cell, each line prefixed by `indent`. Cells are
/// used as given: callers clean them. Padding is counted by hand, never with `format!`'s width,
/// which panics past 65,535.
pub fn aligned(rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(indent);
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
