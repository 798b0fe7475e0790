//! The comparison vector of a (member, record) pair: one level per field, best level first.
//! Levels are what the Fellegi–Sunter model weighs and what `explain` shows people.

use chrono::{Datelike, NaiveDate};

use crate::model::{RegionAgreement, RegionCode};
use crate::normalize::address::{self, Address, AddressAgreement};
use crate::normalize::id::masked_agrees;
use crate::normalize::{compare_names, NameLevel, Person};

/// How two IDs compare, on their cleaned characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdLevel {
    /// The cells are identical as written.
    Identical,
    /// Equal after normalisation (spacing, width, `x`, 15→18 digits).
    Normalized,
    /// One digit differs, or one digit was lost.
    OneDigit,
    /// Two adjacent digits swapped.
    Transposition,
    /// One side is masked (`411526********123X`) and every visible character agrees with
    /// the other side's valid ID.
    MaskedAgree,
    /// Masked, every visible character agreeing, but some of the last four hidden
    /// (`411526***********3`): weaker evidence, as many more people share what is shown.
    MaskedAgreePartial,
    Different,
    /// One side is masked and a visible character differs from the other side's valid ID:
    /// another person, as another valid ID would be.
    MaskedDisagree,
    /// Either side has no usable digits (blank, or an Excel number).
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BirthLevel {
    Equal,
    /// Year, month or day differs; the other two agree.
    OneFieldOff,
    DayMonthSwapped,
    Different,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    Village,
    Township,
    County,
    Other,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GenderLevel {
    Same,
    Different,
    Missing,
}

/// Every field's level for one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Levels {
    pub id: IdLevel,
    pub name: NameLevel,
    pub birth_date: BirthLevel,
    pub region: RegionLevel,
    pub gender: GenderLevel,
}

impl IdLevel {
    /// A masked ID whose visible characters agree (wholly shown last four or not).
    pub fn masked_agreement(self) -> bool {
        matches!(self, IdLevel::MaskedAgree | IdLevel::MaskedAgreePartial)
    }
}

/// The fields of a person a comparison needs, from either side.
pub struct Side<'a> {
    pub raw_name: &'a str,
    pub raw_id: Option<&'a str>,
    pub person: &'a Person,
    /// The most precise region code known (12-digit roll code, else the ID's 6 digits).
    pub region: Option<&'a str>,
    /// The birth date the source states itself (registries), else the ID's.
    pub birth_date: Option<NaiveDate>,
    /// The places the side's address names (the roll's household address, a registry's).
    pub address: Option<Address<'a>>,
}

impl Side<'_> {
    /// Whether the person has no usable ID (valid, damaged or masked).
    pub fn has_no_id(&self) -> bool {
        id_chars(self.person).is_none()
    }
}

pub fn compare(member: &Side, record: &Side) -> Levels {
    let id = compare_ids(member, record);
    // Gender is read from the ID's 17th digit, so it is evidence of its own only when the
    // IDs otherwise disagree; for equal or nearly equal IDs (where the damaged digit may be
    // the gender digit itself) it would count the ID twice.
    let gender = if id == IdLevel::Different {
        compare_genders(gender_of(member.person), gender_of(record.person))
    } else {
        GenderLevel::Missing
    };
    Levels {
        id,
        name: compare_names(
            member.raw_name,
            &member.person.name,
            record.raw_name,
            &record.person.name,
        ),
        birth_date: compare_dates(member.birth_date, record.birth_date),
        region: compare_places(member, record).0,
        gender,
    }
}

/// The ID characters a person offers for comparison (`NormalizedId::comparable`).
pub fn id_chars(person: &Person) -> Option<&str> {
    person.id.comparable()
}

fn compare_ids(member: &Side, record: &Side) -> IdLevel {
    let (Some(a), Some(b)) = (id_chars(member.person), id_chars(record.person)) else {
        return compare_masked(member.person, record.person);
    };
    if a == b {
        let same_text =
            matches!((member.raw_id, record.raw_id), (Some(x), Some(y)) if x.trim() == y.trim());
        return if same_text {
            IdLevel::Identical
        } else {
            IdLevel::Normalized
        };
    }
    compare_unequal_ids(a, b)
}

/// A masked ID against the other side's valid ID (the contract: all visible characters
/// agreeing supports the match, any one differing rules it out). Two masked IDs (a supporter
/// named masked, a masked registry row) that show different characters in the same place
/// are two people too; agreeing, they show too little in common to weigh, so `Missing`, as
/// against anything else.
fn compare_masked(a: &Person, b: &Person) -> IdLevel {
    let (pattern, full) = match (a.id.masked(), b.id.masked()) {
        (Some(pattern), None) => (pattern, b.valid_id()),
        (None, Some(pattern)) => (pattern, a.valid_id()),
        (Some(x), Some(y)) if !masked_agrees(x, y) => return IdLevel::MaskedDisagree,
        _ => return IdLevel::Missing,
    };
    match full {
        Some(full) if masked_agrees(pattern, &full.text()) => {
            if pattern.as_bytes()[14..].contains(&b'*') {
                IdLevel::MaskedAgreePartial
            } else {
                IdLevel::MaskedAgree
            }
        }
        Some(_) => IdLevel::MaskedDisagree,
        None => IdLevel::Missing,
    }
}

/// How two unequal comparable IDs differ: one digit (changed or lost), two neighbours
/// swapped, or more.
pub fn compare_unequal_ids(a: &str, b: &str) -> IdLevel {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() == b.len() {
        let mut differing = (0..a.len()).filter(|&i| a[i] != b[i]);
        match (differing.next(), differing.next(), differing.next()) {
            (Some(_), None, _) => return IdLevel::OneDigit,
            (Some(i), Some(j), None) if j == i + 1 && a[i] == b[j] && a[j] == b[i] => {
                return IdLevel::Transposition
            }
            _ => {}
        }
    } else if a.len().abs_diff(b.len()) == 1 && one_deletion_apart(a, b) {
        return IdLevel::OneDigit;
    }
    IdLevel::Different
}

/// Whether deleting one byte from the longer gives the shorter.
fn one_deletion_apart(a: &[u8], b: &[u8]) -> bool {
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    let prefix = long.iter().zip(short).take_while(|(x, y)| x == y).count();
    long[prefix + 1..] == short[prefix..]
}

/// Compares two dates: equal, one of year/month/day off, day and month swapped, different.
pub fn compare_dates(a: Option<NaiveDate>, b: Option<NaiveDate>) -> BirthLevel {
    let (Some(a), Some(b)) = (a, b) else {
        return BirthLevel::Missing;
    };
    if a == b {
        return BirthLevel::Equal;
    }
    let same = [
        a.year() == b.year(),
        a.month() == b.month(),
        a.day() == b.day(),
    ];
    if same.iter().filter(|s| **s).count() == 2 {
        return BirthLevel::OneFieldOff;
    }
    if a.year() == b.year() && a.month() == b.day() && a.day() == b.month() {
        return BirthLevel::DayMonthSwapped;
    }
    BirthLevel::Different
}

/// Which field placed a pair's people as the region level says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacedBy {
    /// The region codes: the roll's, and the record's ID or location fields.
    Codes,
    /// The addresses: they place the pair more precisely than the codes do, or they alone
    /// tell the counties apart.
    Addresses,
}

/// The region level of a pair and what decided it. Codes decide a village or another
/// county; otherwise the addresses may place the pair in one village or township (when both
/// name the same county, or when the codes already place both in one county), or in
/// different counties (when the codes say nothing). An ID's region that agrees outweighs an
/// address in another county: people move, their ID stays.
pub fn compare_places(member: &Side, record: &Side) -> (RegionLevel, PlacedBy) {
    let by_codes = compare_regions(member.region, record.region);
    let (Some(a), Some(b)) = (&member.address, &record.address) else {
        return (by_codes, PlacedBy::Codes);
    };
    let same_county = by_codes == RegionLevel::County;
    let by_addresses = match address::agreement(a, b) {
        AddressAgreement::Village => RegionLevel::Village,
        AddressAgreement::VillageUnconfirmed if same_county => RegionLevel::Village,
        AddressAgreement::Township => RegionLevel::Township,
        AddressAgreement::TownshipUnconfirmed if same_county => RegionLevel::Township,
        AddressAgreement::County => RegionLevel::County,
        AddressAgreement::OtherCounty => RegionLevel::Other,
        AddressAgreement::VillageUnconfirmed
        | AddressAgreement::TownshipUnconfirmed
        | AddressAgreement::Unknown => RegionLevel::Missing,
    };
    let finer = matches!(
        by_codes,
        RegionLevel::Township | RegionLevel::County | RegionLevel::Missing
    ) && by_addresses < by_codes;
    let alone = by_codes == RegionLevel::Missing && by_addresses == RegionLevel::Other;
    if finer || alone {
        (by_addresses, PlacedBy::Addresses)
    } else {
        (by_codes, PlacedBy::Codes)
    }
}

fn compare_regions(a: Option<&str>, b: Option<&str>) -> RegionLevel {
    let (Some(a), Some(b)) = (a.and_then(RegionCode::parse), b.and_then(RegionCode::parse)) else {
        return RegionLevel::Missing;
    };
    // A city or province (a plate's) only tells apart places in other cities or provinces.
    let shorter = a.as_str().len().min(b.as_str().len());
    if shorter < 6 {
        return if a.as_str()[..shorter] == b.as_str()[..shorter] {
            RegionLevel::Missing
        } else {
            RegionLevel::Other
        };
    }
    match a.agreement(b) {
        RegionAgreement::Village => RegionLevel::Village,
        RegionAgreement::Township => RegionLevel::Township,
        RegionAgreement::County => RegionLevel::County,
        RegionAgreement::Other => RegionLevel::Other,
    }
}

/// Gender from the ID's 17th digit (odd = male), when the digit is there.
fn gender_of(person: &Person) -> Option<bool> {
    if let Some(valid) = person.valid_id() {
        return Some(valid.male);
    }
    id_chars(person)
        .filter(|chars| chars.len() >= 17)
        .map(|chars| (chars.as_bytes()[16] - b'0') % 2 == 1)
}

fn compare_genders(a: Option<bool>, b: Option<bool>) -> GenderLevel {
    match (a, b) {
        (Some(a), Some(b)) if a == b => GenderLevel::Same,
        (Some(_), Some(_)) => GenderLevel::Different,
        _ => GenderLevel::Missing,
    }
}

macro_rules! level_codes {
    ($($level:ident { $($variant:ident => $code:literal),+ $(,)? })+) => {
        $(
            impl $level {
                pub const ALL: &'static [$level] = &[$($level::$variant),+];

                pub fn code(self) -> &'static str {
                    match self { $($level::$variant => $code),+ }
                }

                pub fn index(self) -> usize {
                    Self::ALL.iter().position(|l| *l == self).expect("every level is listed")
                }
            }
        )+
    };
}

level_codes! {
    IdLevel { Identical => "identical", Normalized => "normalized", OneDigit => "one_digit", Transposition => "transposition", MaskedAgree => "masked_agree", MaskedAgreePartial => "masked_agree_partial", Different => "different", MaskedDisagree => "masked_disagree", Missing => "missing" }
    BirthLevel { Equal => "equal", OneFieldOff => "one_field_off", DayMonthSwapped => "day_month_swapped", Different => "different", Missing => "missing" }
    RegionLevel { Village => "village", Township => "township", County => "county", Other => "other", Missing => "missing" }
    GenderLevel { Same => "same", Different => "different", Missing => "missing" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{name_key, normalize_id};

    fn person(id: &str) -> Person {
        let id = normalize_id(Some(id));
        Person {
            name: name_key("张三"),
            birth_date: id.valid().map(|v| v.birth_date),
            id,
        }
    }

    fn id_level(a: &str, b: &str) -> IdLevel {
        let (pa, pb) = (person(a), person(b));
        let side = |raw, p| Side {
            raw_name: "张三",
            raw_id: Some(raw),
            person: p,
            region: None,
            birth_date: None,
            address: None,
        };
        compare_ids(&side(a, &pa), &side(b, &pb))
    }

    #[test]
    fn id_levels() {
        let id = "11010519491231002X";
        assert_eq!(id_level(id, id), IdLevel::Identical);
        assert_eq!(id_level(id, "110105491231002"), IdLevel::Normalized);
        assert_eq!(id_level(id, "110105194912310021"), IdLevel::OneDigit); // wrong check char
        assert_eq!(id_level(id, "11010519491231012X"), IdLevel::OneDigit);
        assert_eq!(id_level(id, "11010519491213002X"), IdLevel::Transposition);
        assert_eq!(id_level(id, "1101051949123102X"), IdLevel::OneDigit); // a lost digit
        assert_eq!(id_level(id, "4.11526E+17"), IdLevel::Missing);
        assert_eq!(id_level(id, "41152619800101123X"), IdLevel::Different);
        assert_eq!(id_level(id, "110105********002X"), IdLevel::MaskedAgree);
        assert_eq!(id_level("1101**********002X", id), IdLevel::MaskedAgree);
        assert_eq!(
            id_level(id, "110105***********X"),
            IdLevel::MaskedAgreePartial
        );
        assert_eq!(id_level(id, "110105********003X"), IdLevel::MaskedDisagree);
        assert_eq!(id_level(id, "410105********002X"), IdLevel::MaskedDisagree);
        // Two characters shown: disagreeing they rule the pair out as any mask does;
        // agreeing they weigh little (decided as without an ID, `decide`).
        assert_eq!(id_level(id, "****************92"), IdLevel::MaskedDisagree);
        assert_eq!(
            id_level("****************2X", id),
            IdLevel::MaskedAgreePartial
        );
        // A masked ID says nothing against a damaged one, nor for a masked one that shows
        // the same where both show; a character that differs where both show rules out.
        assert_eq!(
            id_level("11010519491231002", "110105********002X"),
            IdLevel::Missing
        );
        assert_eq!(
            id_level("110105********002X", "110105********002X"),
            IdLevel::Missing
        );
        assert_eq!(
            id_level("1101**********002X", "110105194*******2X"),
            IdLevel::Missing
        );
        assert_eq!(
            id_level("110105********003X", "1101**********002X"),
            IdLevel::MaskedDisagree
        );
        assert_eq!(
            id_level("410105***********X", "110105********002X"),
            IdLevel::MaskedDisagree
        );
    }

    #[test]
    fn birth_date_levels() {
        let d = |s: &str| crate::ingest::parse_date(s);
        for (a, b, expected) in [
            ("1960-03-04", "1960-03-04", BirthLevel::Equal),
            ("1960-03-04", "1961-03-04", BirthLevel::OneFieldOff),
            ("1960-03-04", "1960-04-03", BirthLevel::DayMonthSwapped),
            ("1960-03-04", "1970-05-06", BirthLevel::Different),
        ] {
            assert_eq!(compare_dates(d(a), d(b)), expected, "{a} ~ {b}");
        }
        assert_eq!(compare_dates(None, d("1970-05-06")), BirthLevel::Missing);
    }

    #[test]
    fn region_levels() {
        for (other, expected) in [
            ("411526101001", RegionLevel::Village),
            ("411526101002", RegionLevel::Township),
            ("411526", RegionLevel::County),
            ("410101", RegionLevel::Other),
            // A plate's city: another city weighs against, the same one says nothing more.
            ("4116", RegionLevel::Other),
            ("4115", RegionLevel::Missing),
        ] {
            assert_eq!(
                compare_regions(Some("411526101001"), Some(other)),
                expected,
                "{other}"
            );
        }
    }
}
