//! Programme standards by region and date. Local standards differ per city and county and
//! change during the year: a household's per-capita standard at D is that of the entry whose
//! `region` is the longest prefix of its region code among the entries in force (`from` ≤ D);
//! among those, the latest `from`; else the programme's default. Entries come inline from the
//! pipeline (`[[programmes.X.standard]]`) and from standards tables (read by `ingest`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::model::Programme;

/// One dated regional standard.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionalStandard {
    pub programme: Programme,
    /// A prefix of region codes: 2, 4, 6, 9 or 12 digits.
    pub region: String,
    pub from: NaiveDate,
    pub per_capita_standard_yuan: f64,
    /// Where it was written: `programmes.dibao_rural.standard[0]` or `standards.csv row 3`.
    pub origin: String,
}

/// The lengths a region prefix may have: province, city, county, township, village.
pub const REGION_PREFIX_LENGTHS: [usize; 5] = [2, 4, 6, 9, 12];

/// Checks a region prefix; the problem in words when it is not one.
pub fn check_region(region: &str) -> Result<(), String> {
    if REGION_PREFIX_LENGTHS.contains(&region.len()) && region.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "`{region}` is not a region prefix: write 2, 4, 6, 9 or 12 digits of a region code"
        ))
    }
}

/// Every regional standard of a pipeline, by programme.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standards {
    by_programme: BTreeMap<Programme, Vec<RegionalStandard>>,
}

impl Standards {
    /// Collects entries; two with the same programme, region and date are an error naming
    /// both.
    pub fn new(entries: Vec<RegionalStandard>) -> Result<Standards, String> {
        let mut by_programme: BTreeMap<Programme, Vec<RegionalStandard>> = BTreeMap::new();
        for entry in entries {
            let same = by_programme.get(&entry.programme).and_then(|list| {
                list.iter()
                    .find(|e| e.region == entry.region && e.from == entry.from)
            });
            if let Some(earlier) = same {
                return Err(format!(
                    "{} and {}: two {} standards for region {} from {}",
                    earlier.origin,
                    entry.origin,
                    entry.programme.code(),
                    entry.region,
                    entry.from
                ));
            }
            by_programme.entry(entry.programme).or_default().push(entry);
        }
        Ok(Standards { by_programme })
    }

    pub fn is_empty(&self) -> bool {
        self.by_programme.is_empty()
    }

    /// The entry in force for a household of `programme` in `region_code` at `as_of`: the
    /// longest region prefix among the entries in force, then the latest date; `None` means
    /// the programme's default applies.
    pub fn at(
        &self,
        programme: Programme,
        region_code: Option<&str>,
        as_of: NaiveDate,
    ) -> Option<&RegionalStandard> {
        let region_code = region_code?;
        self.by_programme
            .get(&programme)?
            .iter()
            .filter(|e| e.from <= as_of && region_code.starts_with(&e.region))
            .max_by_key(|e| (e.region.len(), e.from))
    }

    /// A fingerprint of every entry (for the run id: a changed table is another run).
    pub fn fingerprint(&self) -> String {
        let mut text = String::new();
        for entry in self.by_programme.values().flatten() {
            let _ = write!(
                text,
                "{}|{}|{}|{};",
                entry.programme.code(),
                entry.region,
                entry.from,
                entry.per_capita_standard_yuan
            );
        }
        super::hex_sha256(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(region: &str, from: &str, amount: f64) -> RegionalStandard {
        RegionalStandard {
            programme: Programme::DibaoRural,
            region: region.into(),
            from: crate::model::parse_date(from).unwrap(),
            per_capita_standard_yuan: amount,
            origin: format!("entry {region} {from}"),
        }
    }

    #[test]
    fn the_longest_prefix_in_force_wins_then_the_latest_date() {
        let standards = Standards::new(vec![
            entry("41", "2025-01-01", 560.0),
            entry("4115", "2025-01-01", 600.0),
            entry("411526", "2025-01-01", 640.0),
            entry("411526", "2025-07-01", 680.0),
            entry("411526101", "2026-01-01", 700.0),
        ])
        .unwrap();
        let at = |region: &str, day: &str| {
            standards
                .at(
                    Programme::DibaoRural,
                    Some(region),
                    crate::model::parse_date(day).unwrap(),
                )
                .map(|e| e.per_capita_standard_yuan)
        };
        assert_eq!(at("411526101001", "2025-06-30"), Some(640.0));
        assert_eq!(
            at("411526101001", "2025-07-01"),
            Some(680.0),
            "in force from its date"
        );
        assert_eq!(at("411526101001", "2026-01-01"), Some(700.0));
        assert_eq!(at("411521101001", "2025-06-30"), Some(600.0));
        assert_eq!(
            at("420100000000", "2025-06-30"),
            None,
            "the default applies"
        );
        assert_eq!(
            at("411526101001", "2024-12-31"),
            None,
            "nothing in force yet"
        );
        assert_eq!(
            standards.at(Programme::DibaoUrban, Some("411526"), NaiveDate::MAX),
            None
        );
    }

    #[test]
    fn two_entries_for_one_region_and_date_name_both() {
        let err = Standards::new(vec![
            entry("411526", "2025-01-01", 640.0),
            entry("411526", "2025-01-01", 650.0),
        ])
        .unwrap_err();
        assert!(
            err.contains("entry 411526 2025-01-01 and entry 411526 2025-01-01"),
            "{err}"
        );
    }

    #[test]
    fn region_prefixes_have_the_lengths_of_the_hierarchy() {
        for good in ["41", "4115", "411526", "411526101", "411526101001"] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in ["4", "41152", "4115261010", "41a526", ""] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }
}
