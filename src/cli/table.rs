//! Plain aligned text tables for terminal output, fitted to the terminal's width. Every cell
//! passes the terminal sanitiser first (escaped controls, cut at [`terminal::CELL`] characters).
//!
//! The width is `$COLUMNS` when set (as GNU tools honour it), else the terminal's when stdout is
//! one, else unlimited: a table piped to a file or another program is never cut. When a table is
//! wider, columns give way one character at a time, each time the one where the fewest cells
//! would be cut (outliers first, then the widest), down to their header's width (and at least
//! [`MIN`]); a cell longer than its column is cut with `…`, a path from its start (its end, the
//! file name, is what tells paths apart) and anything else from its end. Columns whose cells all
//! have one length (timestamps, dates) are never cut, since a cut one says nothing: a table of
//! many of them may stay wider than the terminal.

use std::sync::OnceLock;

use super::terminal;

/// The narrowest a column is squeezed to.
const MIN: usize = 6;
const GAP: usize = 2;

static WIDTH: OnceLock<Option<usize>> = OnceLock::new();

/// Decides the width tables are fitted to, once at start.
pub fn init() {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    let terminal = || {
        console::Term::stdout()
            .size_checked()
            .map(|(_, cols)| usize::from(cols))
    };
    let _ = WIDTH.set(columns.filter(|&c: &usize| c > 0).or_else(terminal));
}

/// Renders rows under a header, columns padded to their widest cell, fitted to the width.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    render_within(header, rows, WIDTH.get().copied().flatten())
}

/// [`render`] fitted to `max` columns (`None`: never cut).
pub fn render_within(header: &[&str], rows: &[Vec<String>], max: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| terminal::clean(c, terminal::CELL).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    if let Some(max) = max {
        let fixed: Vec<bool> = (0..widths.len())
            .map(|i| {
                let mut lens = rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count());
                lens.next().is_some_and(|first| lens.all(|n| n == first))
            })
            .collect();
        fit(&mut widths, header, &rows, &fixed, max);
    }
    let mut all = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    all.extend(rows.iter().map(|row| {
        row.iter()
            .zip(&widths)
            .map(|(c, &w)| cut(c, w))
            .collect::<Vec<_>>()
    }));
    aligned(&all, "")
}

/// Narrows columns, one character at a time, until the table fits or none can give: each time
/// the one where the fewest cells would be cut, then the widest.
fn fit(widths: &mut [usize], header: &[&str], rows: &[Vec<String>], fixed: &[bool], max: usize) {
    let floor: Vec<usize> = header
        .iter()
        .zip(widths.iter())
        .zip(fixed)
        .map(|((h, &w), &fixed)| if fixed { w } else { h.chars().count().max(MIN) })
        .collect();
    let lens: Vec<Vec<usize>> = (0..widths.len())
        .map(|i| {
            let cells = rows.iter().filter_map(|r| r.get(i));
            cells.map(|c| c.chars().count()).collect()
        })
        .collect();
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP * w.len().saturating_sub(1);
    while total(widths) > max {
        let cut_if_narrowed = |i: usize| lens[i].iter().filter(|&&n| n >= widths[i]).count();
        let next = (0..widths.len())
            .filter(|&i| widths[i] > floor[i])
            .min_by_key(|&i| (cut_if_narrowed(i), std::cmp::Reverse(widths[i]), i));
        match next {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
}

/// `text` in at most `width` characters.
fn cut(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    if text.contains('/') {
        let tail: String = text.chars().skip(n - keep).collect();
        format!("…{tail}")
    } else {
        let head: String = text.chars().take(keep).collect();
        format!("{head}…")
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_table_fits_in_80_columns_and_a_narrow_one_is_untouched() {
        let header = ["TARGET", "PACKAGE", "SUMMARY"];
        let rows = vec![
            vec![
                "inventory/locks/a-very-long-directory-name/portal.Cargo.lock".to_string(),
                "h2".to_string(),
                "A summary that goes on and on about what the flaw is and who it affects"
                    .to_string(),
            ],
            vec!["x".into(), "y".into(), "z".into()],
        ];
        let text = render_within(&header, &rows, Some(80));
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line}");
        }
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.starts_with('…') && row.contains("portal.Cargo.lock  h2"),
            "{row}"
        );
        assert!(row.ends_with('…'), "{row}");
        assert_eq!(
            render_within(&header, &rows, Some(500)),
            render_within(&header, &rows, None)
        );
        // Columns of one length (timestamps) are never cut.
        let times = vec![vec!["2026-10-27 11:00Z".to_string(), "x".repeat(90)]];
        let text = render_within(&["START", "NOTE"], &times, Some(40));
        assert!(text.contains("2026-10-27 11:00Z  xxx"), "{text}");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("a/b/cdef", 4), "…def");
    }
}
