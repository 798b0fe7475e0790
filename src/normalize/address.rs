//! The places a Chinese address names (contract, matching item 7: "an address" corroborates).
//! An address is written coarse to fine, each place ending in the word for its level:
//! `河南省信阳市固始县城关镇东街村三组12号` names county 固始县, township 城关镇 and village
//! 东街村; what follows the village (groups, house numbers) places no one more precisely
//! than the village. No gazetteer is needed: two addresses are compared by the names they
//! share, and the roll's own addresses are one side.

/// Words ending a place's name, longest first where one contains another.
const SUFFIXES: [(&str, Level); 21] = [
    ("街道办事处", Level::Township),
    ("自治区", Level::Province),
    ("自治州", Level::City),
    ("自治县", Level::County),
    ("村委会", Level::Village),
    ("居委会", Level::Village),
    ("街道", Level::Township),
    ("地区", Level::City),
    ("社区", Level::Village),
    ("嘎查", Level::Village),
    ("苏木", Level::Township),
    ("省", Level::Province),
    ("州", Level::City),
    ("盟", Level::City),
    ("市", Level::CityOrCounty),
    ("县", Level::County),
    ("区", Level::County),
    ("旗", Level::County),
    ("乡", Level::Township),
    ("镇", Level::Township),
    ("村", Level::Village),
];

/// Words that make a preceding 村 part of a street's name.
const STREET_WORDS: [&str; 4] = ["路", "街", "巷", "道"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Province,
    City,
    /// `市`: a city above counties (信阳市固始县) or a county-level city (项城市).
    CityOrCounty,
    County,
    Township,
    Village,
}

/// The county, township and village an address names, each with its level word
/// (`固始县`, `城关镇`, `东街村`), borrowed from the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Address<'a> {
    pub county: Option<&'a str>,
    pub township: Option<&'a str>,
    pub village: Option<&'a str>,
}

/// How two addresses place their people relative to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressAgreement {
    /// The same village, and both name the same county.
    Village,
    /// The same township, and both name the same county.
    Township,
    County,
    /// The same village by name, but no county both name confirms it (城关镇东街村 exists in
    /// many counties): it counts only where something else places both in one county.
    VillageUnconfirmed,
    TownshipUnconfirmed,
    /// Both name a county, and not the same one.
    OtherCounty,
    /// Nothing they both name tells them together or apart.
    Unknown,
}

/// The place word ending at byte `end` of `text` (exclusive), if one does, with its level.
fn suffix_at(text: &str, end: usize) -> Option<(usize, Level)> {
    SUFFIXES
        .iter()
        .find(|(word, _)| text[..end].ends_with(word))
        .map(|&(word, level)| (word.len(), level))
}

/// Whether the place word ending at byte `end` (`word_len` bytes) is part of a longer name:
/// a word that could be the next place starts right after it (the 村 of 三村镇, the 区 of
/// 新区街道; not the 市 of 市场路 after a township), or a longer word begins with it (街道 in
/// 街道办事处).
fn inside_longer(text: &str, end: usize, word_len: usize, finest: Level) -> bool {
    let rest = &text[end..];
    let word = &text[end - word_len..end];
    let from_word = &text[end - word_len..];
    SUFFIXES.iter().any(|(other, level)| {
        (rest.starts_with(other) && *level >= finest)
            || (other.len() > word.len() && other.starts_with(word) && from_word.starts_with(other))
    })
}

/// The places `text` names; `None` when it names none (a street address alone, or blank).
pub fn parse(text: &str) -> Option<Address<'_>> {
    let text = text.trim();
    let mut address = Address::default();
    // Each place starts where the previous one ended.
    let mut start = 0;
    let mut finest = Level::Province;
    // Whether a city was named: a `市` after one is a county-level city (周口市项城市).
    let mut city_named = false;
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        let Some((word_len, level)) = suffix_at(text, end) else {
            continue;
        };
        // A place needs a name before its word (the 市 of 市场路 is no city), and a word
        // followed by another belongs to the longer name.
        if end - word_len <= start
            || text[start..end - word_len].trim().is_empty()
            || inside_longer(text, end, word_len, finest)
        {
            continue;
        }
        // Places go coarse to fine; a coarser word later is part of a street name.
        if level < finest || (level == finest && level >= Level::Township) {
            continue;
        }
        // A 村 before a street word names a street (新村路), not a village.
        if level == Level::Village && STREET_WORDS.iter().any(|w| text[end..].starts_with(w)) {
            continue;
        }
        // Spaces between places (`潢川县 城关镇`) are not part of a name.
        let place = text[start..end].trim();
        start = end;
        // A second county-level place (固始县产业集聚区, 固始县幸福小区) is a zone or an estate
        // inside the county: passed over, never taken for the county.
        if level == Level::County && finest == Level::County {
            continue;
        }
        finest = level;
        match level {
            Level::Province => {}
            Level::City => city_named = true,
            // A `市` alone before a township may be either (信阳市新区街道, 项城市王明口镇):
            // taken as the city, so that no county is guessed.
            Level::CityOrCounty if !city_named => city_named = true,
            Level::CityOrCounty | Level::County => {
                address.county = Some(place);
                finest = Level::County;
            }
            Level::Township => address.township = Some(place),
            Level::Village => {
                address.village = Some(place);
                break;
            }
        }
    }
    if address.county.is_none() && address.township.is_none() {
        // A lone `X市` with nothing finer places its person in a city: too coarse to help.
        return None;
    }
    Some(address)
}

/// A village's name without its committee (`东街村委会` is `东街村`, `和平社区居委会` is
/// `和平社区`).
fn village_name(village: &str) -> &str {
    village
        .strip_suffix("委会")
        .filter(|v| v.ends_with('村'))
        .or_else(|| {
            village
                .strip_suffix("居委会")
                .filter(|v| v.ends_with("社区"))
        })
        .unwrap_or(village)
}

/// How `one` and `other` place their people: counties both name and that differ weigh
/// against a match; a village or township both name agrees, confirmed when both name the
/// same county.
pub fn agreement<'a>(one: &Address<'a>, other: &Address<'a>) -> AddressAgreement {
    let same = |pick: fn(&Address<'a>) -> Option<&'a str>| match (pick(one), pick(other)) {
        (Some(mine), Some(theirs)) => Some(mine == theirs),
        _ => None,
    };
    let county = same(|a| a.county);
    let village = same(|a| a.village.map(village_name));
    match (county, same(|a| a.township), village) {
        (Some(false), _, _) => AddressAgreement::OtherCounty,
        (Some(true), Some(true), Some(true)) => AddressAgreement::Village,
        (Some(true), Some(true), _) => AddressAgreement::Township,
        (Some(true), _, _) => AddressAgreement::County,
        (None, Some(true), Some(true)) => AddressAgreement::VillageUnconfirmed,
        (None, Some(true), _) => AddressAgreement::TownshipUnconfirmed,
        (None, _, _) => AddressAgreement::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_names_its_county_township_and_village() {
        for (text, expected) in [
            (
                "河南省信阳市固始县城关镇东街村三组12号",
                [Some("固始县"), Some("城关镇"), Some("东街村")],
            ),
            // Each place starts where the last ended, with or without the coarser ones.
            ("固始县陈淋子镇", [Some("固始县"), Some("陈淋子镇"), None]),
            ("108乡2村", [None, Some("108乡"), Some("2村")]),
            (
                "潢川县 城关镇\u{3000}东街村",
                [Some("潢川县"), Some("城关镇"), Some("东街村")],
            ),
            // A county-level city under its prefecture, and alone.
            (
                "河南省周口市项城市王明口镇",
                [Some("项城市"), Some("王明口镇"), None],
            ),
            ("项城市王明口镇", [None, Some("王明口镇"), None]),
            // A word inside a longer name, and a street after the places.
            ("三村镇五里村", [None, Some("三村镇"), Some("五里村")]),
            (
                "信阳市浉河区老城街道办事处市场路5号",
                [Some("浉河区"), Some("老城街道办事处"), None],
            ),
            (
                "河南省信阳市新区街道和平社区",
                [None, Some("新区街道"), Some("和平社区")],
            ),
            // A zone or estate after the county is not a county; a 村 in a street is no
            // village.
            (
                "固始县产业集聚区城关镇东街村",
                [Some("固始县"), Some("城关镇"), Some("东街村")],
            ),
            ("固始县幸福小区3号楼", [Some("固始县"), None, None]),
            ("城关镇新村路12号", [None, Some("城关镇"), None]),
        ] {
            let address = parse(text).unwrap_or_default();
            let places = [address.county, address.township, address.village];
            assert_eq!(places, expected, "{text}");
        }
        assert_eq!(parse("人民路12号"), None);
        assert_eq!(parse("信阳市"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn addresses_agree_at_the_finest_place_both_name() {
        use AddressAgreement::{County, OtherCounty, Township, Village};
        use AddressAgreement::{TownshipUnconfirmed, Unknown, VillageUnconfirmed};
        for (a, b, expected) in [
            // Without a county on both sides, a village or township name is unconfirmed.
            ("108乡2村", "河南省固始县108乡2村5组", VillageUnconfirmed),
            ("108乡2村", "108乡2村委会", VillageUnconfirmed),
            ("108乡2村", "108乡7村", TownshipUnconfirmed),
            ("108乡2村", "109乡2村", Unknown),
            ("固始县108乡2村", "河南省信阳市固始县108乡2村委会", Village),
            ("固始县108乡2村", "商城县108乡2村", OtherCounty),
            ("固始县108乡2村", "固始县109乡", County),
            ("固始县108乡2村", "固始县108乡", Township),
            (
                "浉河区老城街道和平社区居委会",
                "浉河区老城街道和平社区",
                Village,
            ),
        ] {
            let (a_parsed, b_parsed) = (parse(a).unwrap(), parse(b).unwrap());
            assert_eq!(agreement(&a_parsed, &b_parsed), expected, "{a} ~ {b}");
        }
    }

    proptest::proptest! {
        /// Any text parses, and the places are pieces of it, coarse to fine, each ending in
        /// its level's word.
        #[test]
        fn places_are_pieces_of_the_address_in_order(
            text in "[省市州县区旗乡镇村街道办事处社区委会东西城关5 ＊a]{0,24}"
        ) {
            if let Some(address) = parse(&text) {
                let mut after = 0;
                for place in [address.county, address.township, address.village].into_iter().flatten() {
                    let offset = place.as_ptr() as usize - text.as_ptr() as usize;
                    proptest::prop_assert!(offset >= after && offset + place.len() <= text.len());
                    proptest::prop_assert!(suffix_at(place, place.len()).is_some(), "{place}");
                    after = offset + place.len();
                }
            }
        }
    }
}
