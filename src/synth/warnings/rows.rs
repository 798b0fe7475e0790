//! The three early-warning registries' rows (disability 残疾人, medical 医保结算,
//! unemployment 失业登记) with the contract's columns, how a person's ID is written there
//! (as other registries write it, or damaged beyond use), and the bulk of each registry:
//! people off the roll whose records raise no warning.

use chrono::{Days, NaiveDate};
use rand::Rng;

use super::truth::{Certificate, Settlement, SignalFacts, SignalPerson};
use crate::ingest::schema::{col, ColumnSpec};
use crate::synth::supporters::world::{Facts, Span};
use crate::synth::{Generator, Person, Row, Variant, COUNTY};

/// The columns the contract names, beyond those other registries share.
pub mod signal_col {
    pub const GRADE: &str = "grade";
    pub const TYPE: &str = "type";
    pub const CERTIFIED_ON: &str = "certified_on";
    pub const REVOKED_ON: &str = "revoked_on";
    pub const SETTLED_ON: &str = "settled_on";
    pub const OUT_OF_POCKET: &str = "out_of_pocket";
    pub const ENDED_ON: &str = "ended_on";
}

const fn spec(name: &'static str, required: bool, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        required,
        aliases,
        first_of_several: false,
    }
}

const RECORD: ColumnSpec = spec(col::RECORD_ID, true, &["记录编号"]);
const NAME: ColumnSpec = spec(col::NAME, true, &["姓名"]);
const ID: ColumnSpec = spec(col::ID_NUMBER, false, &["身份证号"]);
const BIRTH: ColumnSpec = spec(col::BIRTH_DATE, false, &["出生日期"]);
const REGION: ColumnSpec = spec(col::REGION_CODE, false, &["行政区划代码"]);

/// disability 残疾人 (contract v3, "Early warning").
const DISABILITY: &[ColumnSpec] = &[
    RECORD,
    NAME,
    ID,
    BIRTH,
    spec(signal_col::GRADE, true, &["等级"]),
    spec(signal_col::TYPE, false, &["类别"]),
    spec(signal_col::CERTIFIED_ON, true, &["发证日期"]),
    spec(signal_col::REVOKED_ON, false, &["注销日期"]),
    REGION,
];

/// medical 医保结算.
const MEDICAL: &[ColumnSpec] = &[
    RECORD,
    NAME,
    ID,
    BIRTH,
    spec(signal_col::SETTLED_ON, true, &["结算日期"]),
    spec(signal_col::OUT_OF_POCKET, true, &["个人自付"]),
    REGION,
];

/// unemployment 失业登记.
const UNEMPLOYMENT: &[ColumnSpec] = &[
    RECORD,
    NAME,
    ID,
    BIRTH,
    spec(col::REGISTERED_ON, true, &["登记日期"]),
    spec(signal_col::ENDED_ON, false, &["终止日期"]),
    REGION,
];

/// One of the three registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SignalRegistry {
    Disability,
    Medical,
    Unemployment,
}

impl SignalRegistry {
    pub const ALL: [SignalRegistry; 3] = [
        SignalRegistry::Disability,
        SignalRegistry::Medical,
        SignalRegistry::Unemployment,
    ];

    /// The source's name, and its files' stem.
    pub fn code(self) -> &'static str {
        match self {
            SignalRegistry::Disability => "disability",
            SignalRegistry::Medical => "medical",
            SignalRegistry::Unemployment => "unemployment",
        }
    }

    /// The contract's columns, with the Chinese header written first.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            SignalRegistry::Disability => DISABILITY,
            SignalRegistry::Medical => MEDICAL,
            SignalRegistry::Unemployment => UNEMPLOYMENT,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            SignalRegistry::Disability => "DS",
            SignalRegistry::Medical => "MS",
            SignalRegistry::Unemployment => "UE",
        }
    }
}

/// The rows written so far and the next record number of each registry (numbers go on
/// across a scaled county's batches).
#[derive(Debug, Clone, Default)]
pub struct SignalTables {
    pub rows: std::collections::BTreeMap<SignalRegistry, Vec<Row>>,
    next: std::collections::BTreeMap<SignalRegistry, usize>,
    /// Rows of each registry (disability, medical, unemployment) a county and each further
    /// batch holds.
    pub(super) batch_targets: [usize; 3],
}

/// How an ID cell is damaged so that no normalisation makes it valid: the person is then no
/// candidate, whatever their records say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Damage {
    Blank,
    WrongCheck,
    Excel,
    Digits17,
    Masked,
}

impl Damage {
    pub(super) fn apply(self, id: &str) -> String {
        match self {
            Damage::Blank => String::new(),
            Damage::WrongCheck => {
                let right = crate::normalize::id::check_char(&id.as_bytes()[..17]);
                let wrong = if right == '1' { '2' } else { '1' };
                format!("{}{wrong}", &id[..17])
            }
            Damage::Excel => format!("{}.{}E+17", &id[..1], &id[1..6]),
            Damage::Digits17 => id[..17].to_string(),
            Damage::Masked => format!("{}********{}", &id[..6], &id[14..]),
        }
    }
}

/// A person as the three registries write them: name, ID cell, birth date, region.
#[derive(Debug, Clone)]
pub(super) struct Written {
    pub name: String,
    pub id: String,
    pub birth: NaiveDate,
    pub region: String,
}

/// Disability types, by weight (physical disabilities most).
const TYPES: &[(&str, u32)] = &[
    ("肢体", 40),
    ("视力", 12),
    ("听力", 12),
    ("言语", 3),
    ("智力", 10),
    ("精神", 13),
    ("多重", 10),
];

const GRADE_WORDS: [&str; 4] = ["一级", "二级", "三级", "四级"];

/// Quiet rows made before they are handed on to be written (`stream_quiet`).
const QUIET_CHUNK: usize = 50_000;

impl Generator {
    /// A 12-digit region in the county (a township from 101, a village 1–20), blank one
    /// time in ten (the ID's county then places the person).
    pub(super) fn county_region(&mut self) -> String {
        if self.rng.random_bool(0.1) {
            return String::new();
        }
        let township = 101 + self.rng.random_range(0..self.townships());
        let village = 1 + self.rng.random_range(0..20);
        format!("{COUNTY}{township:03}{village:03}")
    }

    /// How one row writes `person`: damaged as `damage` says, else as the other registries
    /// write people (the messy variants' normalisable forms).
    pub(super) fn written(
        &mut self,
        person: &Person,
        damage: Option<Damage>,
        region: &str,
    ) -> Written {
        let (name, id) = if let Some(d) = damage {
            (person.name.clone(), d.apply(&person.id))
        } else {
            let w = self.as_registry_writes(person);
            (w.name, w.id)
        };
        Written {
            name,
            id,
            birth: person.birth,
            region: region.to_string(),
        }
    }

    fn signal_row(
        &mut self,
        registry: SignalRegistry,
        who: &Written,
        details: &[(&'static str, String)],
    ) {
        let tables = &mut self.signal_tables;
        let number = tables.next.entry(registry).or_insert(0);
        *number += 1;
        let record_id = format!("{}-{:08}", registry.prefix(), *number);
        let birth = who.birth.to_string();
        let person = [
            (col::RECORD_ID, record_id.as_str()),
            (col::NAME, &who.name),
            (col::ID_NUMBER, &who.id),
            (col::BIRTH_DATE, &birth),
            (col::REGION_CODE, &who.region),
        ];
        let details = details.iter().map(|(k, v)| (*k, v.as_str()));
        let row: Row = details.chain(person).collect();
        tables.rows.entry(registry).or_default().push(row);
    }

    /// A disability certificate's row: the grade as a digit or (more often in the messy
    /// variants) as 一级…四级.
    pub(super) fn certificate_row(&mut self, who: &Written, certificate: Certificate) {
        let words = if self.options.variant == Variant::Clean {
            0.2
        } else {
            0.5
        };
        let grade = if self.rng.random_bool(words) {
            GRADE_WORDS[usize::from(certificate.grade - 1)].to_string()
        } else {
            certificate.grade.to_string()
        };
        let kind = crate::synth::pick_weighted(&mut self.rng, TYPES);
        self.signal_row(
            SignalRegistry::Disability,
            who,
            &[
                (signal_col::GRADE, grade),
                (signal_col::TYPE, kind.into()),
                (signal_col::CERTIFIED_ON, certificate.certified.to_string()),
                (signal_col::REVOKED_ON, date_cell(certificate.revoked)),
            ],
        );
    }

    pub(super) fn settlement_row(&mut self, who: &Written, settlement: Settlement) {
        let yuan = format!("{}.{:02}", settlement.fen / 100, settlement.fen % 100);
        self.signal_row(
            SignalRegistry::Medical,
            who,
            &[
                (signal_col::SETTLED_ON, settlement.settled.to_string()),
                (signal_col::OUT_OF_POCKET, yuan),
            ],
        );
    }

    pub(super) fn unemployment_row(&mut self, who: &Written, span: Span) {
        self.signal_row(
            SignalRegistry::Unemployment,
            who,
            &[
                (col::REGISTERED_ON, span.from.to_string()),
                (signal_col::ENDED_ON, date_cell(span.to)),
            ],
        );
    }

    /// A date `days` after the as-of date (before it when negative).
    pub(super) fn day(&self, days: i64) -> NaiveDate {
        let at = self.as_of();
        let n = Days::new(days.unsigned_abs());
        if days < 0 {
            at - n
        } else {
            at + n
        }
    }

    /// A day from `from` to `to` days after the as-of date (both inclusive).
    pub(super) fn day_in(&mut self, from: i64, to: i64) -> NaiveDate {
        let days = self.rng.random_range(from..=to);
        self.day(days)
    }

    /// Writes the records of everything `facts` says of `person` in the three registries.
    pub(super) fn write_signals(
        &mut self,
        person: &Person,
        damage: Option<Damage>,
        region: &str,
        facts: &SignalFacts,
    ) {
        for &c in &facts.certificates {
            let who = self.written(person, damage, region);
            self.certificate_row(&who, c);
        }
        for &s in &facts.settlements {
            let who = self.written(person, damage, region);
            self.settlement_row(&who, s);
        }
        for &u in &facts.unemployment {
            let who = self.written(person, damage, region);
            self.unemployment_row(&who, u);
        }
    }

    /// Rows about people off the roll who raise no warning, until the three registries hold
    /// `targets` rows (disability, medical, unemployment): certificates of grades 3 and 4 or
    /// revoked by the as-of date, settlements of a few thousand yuan a year, and
    /// unemployment of any length (long unemployment alone is neither a cover nor a raise
    /// signal). Each person is checked against the truth's rule as they are made.
    pub(super) fn quiet_people(&mut self, targets: [usize; 3]) {
        for (registry, target) in SignalRegistry::ALL.into_iter().zip(targets) {
            while self.signal_tables.rows.get(&registry).map_or(0, Vec::len) < target {
                self.quiet_person(registry);
            }
        }
    }

    /// `quiet_people`'s rows of one registry, without holding them: those of `registry`
    /// made so far are handed to `emit` whenever `QUIET_CHUNK` are held, until `written`
    /// (the rows handed on before, planted ones included) reaches `target`; the same people
    /// in the same order. `emit` says `false` to stop. Returns the rows handed on.
    pub(in crate::synth) fn stream_quiet(
        &mut self,
        registry: SignalRegistry,
        target: usize,
        mut written: usize,
        emit: &mut dyn FnMut(Vec<Row>) -> bool,
    ) -> usize {
        loop {
            let held = self.signal_tables.rows.get(&registry).map_or(0, Vec::len);
            if held >= QUIET_CHUNK || written + held >= target {
                let rows = self
                    .signal_tables
                    .rows
                    .remove(&registry)
                    .unwrap_or_default();
                written += rows.len();
                if !emit(rows) || written >= target {
                    return written;
                }
            } else {
                self.quiet_person(registry);
            }
        }
    }

    /// One person of `registry` who raises nothing, with their rows.
    fn quiet_person(&mut self, registry: SignalRegistry) {
        let person = self.random_person();
        let facts = self.quiet_facts(registry);
        let blank = self
            .rng
            .random_bool(if self.options.variant == Variant::Clean {
                0.02
            } else {
                0.08
            });
        let region = self.county_region();
        self.write_signals(&person, blank.then_some(Damage::Blank), &region, &facts);
        let check = SignalPerson {
            key: person.id.clone(),
            valid_id: true,
            roll: None,
            signals: facts,
            facts: Facts::default(),
            case: "",
        };
        debug_assert!(super::truth::warning_of(&check, self.as_of()).is_none());
    }

    fn quiet_facts(&mut self, registry: SignalRegistry) -> SignalFacts {
        let mut facts = SignalFacts::default();
        match registry {
            SignalRegistry::Disability => {
                let certified = self.day_in(-5000, -30);
                let (grade, revoked) = if self.rng.random_bool(0.85) {
                    (self.rng.random_range(3..=4), None)
                } else {
                    let since = (certified - self.as_of()).num_days();
                    (self.rng.random_range(1..=2), Some(self.day_in(since, 0)))
                };
                facts.certificates.push(Certificate {
                    grade,
                    certified,
                    revoked,
                });
            }
            SignalRegistry::Medical => {
                // At most 6 of at most 2,500 yuan: 15,000 a year at the very most.
                for _ in 0..self.rng.random_range(1..=6) {
                    let settled = self.day_in(-730, 0);
                    let fen = self.rng.random_range(3_000..250_000);
                    facts.settlements.push(Settlement { settled, fen });
                }
            }
            SignalRegistry::Unemployment => {
                let from = self.day_in(-2000, 0);
                let since = (from - self.as_of()).num_days();
                let to = self.rng.random_bool(0.5).then(|| self.day_in(since, 300));
                facts.unemployment.push(Span { from, to });
            }
        }
        facts
    }
}

fn date_cell(date: Option<NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}
