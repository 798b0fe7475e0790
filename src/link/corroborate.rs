//! Where a registry record places its person when its ID does not (contract, matching item 7:
//! "other fields the registry carries corroborate or contradict"). A property unit number
//! (不动产单元号) starts with its county's code; a unified social credit code (统一社会信用代码)
//! holds the registering office's region in characters 3–8; a plate prefix (豫S) names a
//! city. The place becomes the record's side of the `region` comparison: the same county
//! supports a match, another county weighs against it, and `explain` says which field said so.
//! A registry's address is compared with the member's household address by the county,
//! township and village both name (`compare::compare_places`).

use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::RegionCode;
use crate::normalize::Person;

/// Which field a record's region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionFrom {
    Id,
    PropertyUnit,
    Uscc,
    Plate,
    /// The record's address, compared with the member's household address by the places
    /// both name (`normalize::address`).
    Address,
}

impl RegionFrom {
    pub fn code(self) -> &'static str {
        match self {
            RegionFrom::Id => "id",
            RegionFrom::PropertyUnit => "property_unit",
            RegionFrom::Uscc => "uscc",
            RegionFrom::Plate => "plate",
            RegionFrom::Address => "address",
        }
    }

    /// For explanations: where the record's region was read.
    pub fn words(code: &str) -> Option<&'static str> {
        match code {
            "id" => Some("from the record's ID"),
            "property_unit" => Some("from the property unit number (不动产单元号)"),
            "uscc" => Some("from the unified social credit code (characters 3-8)"),
            "plate" => Some("from the plate prefix (city)"),
            "address" => Some("from the addresses (地址)"),
            _ => None,
        }
    }
}

/// The region a record places its person in, and the field that said so: the ID's 6 digits
/// when it has usable ones, else the registry's own location fields.
pub fn record_region<'a>(
    record: &'a RegistryRecord,
    id_region: Option<&'a str>,
) -> Option<(&'a str, RegionFrom)> {
    if let Some(region) = id_region {
        return Some((region, RegionFrom::Id));
    }
    match &record.details {
        RecordDetails::Property { property_id, .. } => {
            county_code(property_id.get(..6)?).map(|c| (c, RegionFrom::PropertyUnit))
        }
        RecordDetails::Business { uscc, .. } => {
            let uscc = uscc.as_deref()?;
            (uscc.len() == 18)
                .then(|| county_code(uscc.get(2..8)?))
                .flatten()
                .map(|c| (c, RegionFrom::Uscc))
        }
        RecordDetails::Vehicle { plate, .. } => {
            plate_region(plate.as_deref()?).map(|c| (c, RegionFrom::Plate))
        }
        _ => None,
    }
}

/// The field a record's region came from, for outputs that explain a pair.
pub fn record_region_from(record: &RegistryRecord, person: &Person) -> Option<RegionFrom> {
    record_region(record, super::id_region(person)).map(|(_, from)| from)
}

/// Six digits that can be a county code (GB/T 2260: a province 11–82, not 00 below it).
fn county_code(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let digits = bytes.len() == 6 && bytes.iter().all(u8::is_ascii_digit);
    let province = text.get(..2).and_then(|p| p.parse::<u8>().ok());
    (digits && matches!(province, Some(11..=82)) && &text[2..4] != "00")
        .then(|| RegionCode::parse(text))
        .flatten()
        .map(RegionCode::as_str)
}

/// The region code a plate names: the city for Henan's letters (the shipped pipelines' own
/// province), else the province of its first character.
fn plate_region(plate: &str) -> Option<&'static str> {
    let mut chars = plate.trim().chars();
    let province = chars.next()?;
    let letter = chars.next().map(|c| c.to_ascii_uppercase());
    if province == '豫' {
        if let Some(city) = letter.and_then(henan_city) {
            return Some(city);
        }
    }
    PROVINCES
        .iter()
        .find(|(abbreviation, _)| *abbreviation == province)
        .map(|(_, code)| *code)
}

/// 豫 plate letters and their cities.
fn henan_city(letter: char) -> Option<&'static str> {
    Some(match letter {
        'A' => "4101", // 郑州
        'B' => "4102", // 开封
        'C' => "4103", // 洛阳
        'D' => "4104", // 平顶山
        'E' => "4105", // 安阳
        'F' => "4106", // 鹤壁
        'G' => "4107", // 新乡
        'H' => "4108", // 焦作
        'J' => "4109", // 濮阳
        'K' => "4110", // 许昌
        'L' => "4111", // 漯河
        'M' => "4112", // 三门峡
        'N' => "4114", // 商丘
        'P' => "4116", // 周口
        'Q' => "4117", // 驻马店
        'R' => "4113", // 南阳
        'S' => "4115", // 信阳
        'U' => "4190", // 济源
        _ => return None,
    })
}

/// Plate province characters and their 2-digit codes.
const PROVINCES: [(char, &str); 31] = [
    ('京', "11"),
    ('津', "12"),
    ('冀', "13"),
    ('晋', "14"),
    ('蒙', "15"),
    ('辽', "21"),
    ('吉', "22"),
    ('黑', "23"),
    ('沪', "31"),
    ('苏', "32"),
    ('浙', "33"),
    ('皖', "34"),
    ('闽', "35"),
    ('赣', "36"),
    ('鲁', "37"),
    ('豫', "41"),
    ('鄂', "42"),
    ('湘', "43"),
    ('粤', "44"),
    ('桂', "45"),
    ('琼', "46"),
    ('渝', "50"),
    ('川', "51"),
    ('贵', "52"),
    ('云', "53"),
    ('藏', "54"),
    ('陕', "61"),
    ('甘', "62"),
    ('青', "63"),
    ('宁', "64"),
    ('新', "65"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_fields_name_a_region() {
        assert_eq!(county_code("411526"), Some("411526"));
        assert_eq!(county_code("410000"), None); // a province, not a county
        assert_eq!(county_code("991526"), None);
        assert_eq!(county_code("41152A"), None);
        assert_eq!(plate_region("豫S12345"), Some("4115"));
        assert_eq!(plate_region("豫s12345"), Some("4115"));
        assert_eq!(plate_region("鄂A12345"), Some("42"));
        assert_eq!(plate_region("ABC"), None);
    }
}
