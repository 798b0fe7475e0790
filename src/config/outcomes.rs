//! `[outcomes]` (how far back an overpayment estimate reaches) and `[recheck]` (the periodic
//! re-check 定期复核: the roll's classes A, B, C and their intervals).

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutcomes {
    /// Months an overpayment estimate counts back at most.
    lookback_months: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecheck {
    /// The class of a household whose roll rows carry none.
    default_category: Option<String>,
    /// Months between re-checks, per class.
    months: Option<RawMonths>,
    /// A household is listed this many days before its re-check falls due.
    notice_days: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMonths {
    #[serde(rename = "A")]
    a: Option<u32>,
    #[serde(rename = "B")]
    b: Option<u32>,
    #[serde(rename = "C")]
    c: Option<u32>,
}

/// `[outcomes]`: what a campaign's money figures count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomesSpec {
    pub lookback_months: u32,
}

impl Default for OutcomesSpec {
    fn default() -> OutcomesSpec {
        OutcomesSpec {
            lookback_months: 36,
        }
    }
}

/// A household's re-check class (城镇低保对象实行A、B、C三类管理): A stable, re-checked
/// yearly; B half-yearly; C irregular income, quarterly (the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    A,
    B,
    C,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::A, Category::B, Category::C];

    /// `A`, `a`, `A类`, `Ａ类` (full-width) all read as A.
    pub fn parse(text: &str) -> Option<Category> {
        let text = text.trim().trim_end_matches('类').trim();
        match text {
            "A" | "a" | "Ａ" | "ａ" => Some(Category::A),
            "B" | "b" | "Ｂ" | "ｂ" => Some(Category::B),
            "C" | "c" | "Ｃ" | "ｃ" => Some(Category::C),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Category::A => "A",
            Category::B => "B",
            Category::C => "C",
        }
    }

    pub fn codes() -> &'static [&'static str] {
        &["A", "B", "C"]
    }
}

/// `[recheck]`: when each class of household is due its periodic re-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecheckSpec {
    pub default_category: Category,
    /// Months between re-checks of classes A, B and C.
    pub months: [u32; 3],
    pub notice_days: u32,
}

impl RecheckSpec {
    pub fn interval_months(&self, category: Category) -> u32 {
        match category {
            Category::A => self.months[0],
            Category::B => self.months[1],
            Category::C => self.months[2],
        }
    }
}

impl Default for RecheckSpec {
    fn default() -> RecheckSpec {
        RecheckSpec {
            default_category: Category::B,
            months: [12, 6, 3],
            notice_days: 30,
        }
    }
}

pub(super) fn resolve_outcomes(raw: RawOutcomes, problems: &mut Vec<String>) -> OutcomesSpec {
    let lookback_months = raw
        .lookback_months
        .unwrap_or(OutcomesSpec::default().lookback_months);
    if lookback_months == 0 {
        problems.push(
            "outcomes.lookback_months: must be at least 1 (months an estimate counts back)".into(),
        );
    }
    OutcomesSpec { lookback_months }
}

pub(super) fn resolve_recheck(raw: RawRecheck, problems: &mut Vec<String>) -> RecheckSpec {
    let defaults = RecheckSpec::default();
    let default_category = match raw.default_category.as_deref() {
        None => defaults.default_category,
        Some(text) => Category::parse(text).unwrap_or_else(|| {
            problems.push(format!(
                "recheck.default_category: `{text}` is not a class: write A, B or C"
            ));
            defaults.default_category
        }),
    };
    let months = raw.months.unwrap_or_default();
    let months = [
        months.a.unwrap_or(defaults.months[0]),
        months.b.unwrap_or(defaults.months[1]),
        months.c.unwrap_or(defaults.months[2]),
    ];
    for (category, interval) in Category::ALL.iter().zip(months) {
        if interval == 0 {
            problems.push(format!(
                "recheck.months.{}: must be at least 1 (months between re-checks)",
                category.code()
            ));
        }
    }
    RecheckSpec {
        default_category,
        months,
        notice_days: raw.notice_days.unwrap_or(defaults.notice_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_read_as_offices_write_them() {
        let table = [
            ("A", Some(Category::A)),
            ("b", Some(Category::B)),
            ("C类", Some(Category::C)),
            ("Ａ类", Some(Category::A)),
            (" B ", Some(Category::B)),
            ("D", None),
            ("", None),
        ];
        for (text, expected) in table {
            assert_eq!(Category::parse(text), expected, "{text:?}");
        }
    }
}
