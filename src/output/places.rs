//! The report's tables by place: a row per county (its total) with a row per township under
//! it, each adding up the items placed there by their region code.

use std::collections::BTreeMap;

use maud::{html, Markup};

use crate::model::RegionCode;

/// Rows keyed by (county, township), a county's total under an empty township, so that it
/// sorts before its townships.
pub type ByPlace<R> = BTreeMap<(String, String), R>;

/// Adds each item (with its region code) to its county's row and its township's.
pub fn by_place<'a, T: 'a, R: Default>(
    items: impl Iterator<Item = (Option<&'a str>, &'a T)>,
    add: impl Fn(&mut R, &T),
) -> ByPlace<R> {
    let mut rows: ByPlace<R> = BTreeMap::new();
    for (region, item) in items {
        let county = RegionCode::county_key(region);
        add(
            rows.entry((county.clone(), String::new())).or_default(),
            item,
        );
        add(
            rows.entry((county, RegionCode::township_key(region)))
                .or_default(),
            item,
        );
    }
    rows
}

/// One row of such a table: the county and the township (合计 all for the county's total,
/// marked `total`), then `cells`.
pub fn place_row(county: &str, township: &str, cells: &Markup) -> Markup {
    html! {
        tr class=[township.is_empty().then_some("total")] {
            td { (county) }
            td { @if township.is_empty() { "合计 all" } @else { (township) } }
            (cells)
        }
    }
}
