//! How the wild county's ID cells read: masked characters, whether a masked cell agrees
//! with an ID, and the valid ID behind a spaced or full-width cell.

use crate::normalize::id::check_char;

/// Whether a cell is a masked ID.
#[cfg(test)]
pub(super) fn is_masked(cell: &str) -> bool {
    cell.contains(['*', '＊'])
}

/// The characters of a masked ID, ASCII, `None` where hidden.
pub(super) fn visible(masked: &str) -> Vec<Option<char>> {
    masked
        .chars()
        .map(|c| match c {
            '*' | '＊' => None,
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0),
            c => Some(c.to_ascii_uppercase()),
        })
        .collect()
}

/// Whether every visible character of `masked` agrees with the valid ID `id`.
pub(super) fn agrees(masked: &str, id: &str) -> bool {
    let visible = visible(masked);
    visible.len() == id.len()
        && visible
            .iter()
            .zip(id.chars())
            .all(|(v, c)| v.is_none_or(|v| v == c))
}

/// The valid 18-character ID a cell holds once spaces, full-width digits and case are
/// undone; `None` for a blank, damaged, 15-digit or masked cell.
pub(super) fn valid_id(cell: &str) -> Option<String> {
    let id: String = cell
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let bytes = id.as_bytes();
    let valid = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && check_char(&bytes[..17]) == char::from(bytes[17]);
    valid.then_some(id)
}
