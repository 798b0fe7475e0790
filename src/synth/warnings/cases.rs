//! The planted early-warning cases: people off the roll who should be covered and their
//! near-miss decoys (grade 3, a revoked or future certificate, settlements older than a
//! year or after D, 19,999.99 yuan, unemployment ended or under 180 days, a death, a car, a
//! business, two flats, a shop, income over 600 or made of two jobs), people whose IDs are
//! damaged beyond use, and roll members with signals (dibao ones should be raised; tekun and
//! linshi ones, or with only long unemployment or grade 3, should not). Each case is a row
//! of `CASES`: who it is about and the parts it is made of. The decoys' incomes are over 700
//! too, so that they stay decoys under the regional standards the province pipeline ships
//! (650 and 700), should a run's date bring them in.
use chrono::NaiveDate;
use rand::Rng;

use super::rows::Damage;
use super::truth::{Certificate, Settlement, SignalFacts};
use crate::model::Programme;
use crate::synth::supporters::world::{
    BusinessFact, ContributionFact, Facts, PensionFact, PropertyFact, Span, VehicleFact,
};
use crate::synth::{Generator, Person};

/// Who a case is about.
#[derive(Debug, Clone, Copy)]
pub(super) enum Who {
    /// Someone on no roll, made for the case.
    OffRoll,
    /// A member of a roll household of one of these programmes.
    Member(&'static [Programme]),
}

/// One thing a case's person has.
#[derive(Debug, Clone, Copy)]
pub(super) enum Part {
    /// Grade 1 or 2, certified in the past, not revoked.
    Severe,
    Grade3,
    /// Grade 1 revoked between certification and D (on D itself half the time).
    RevokedBy,
    RevokedAfter,
    CertifiedAfter,
    /// Settlements in the year summing to 20,000–60,000 yuan.
    MedicalOver,
    /// Settlements in (D − 365, D] summing to exactly this many fen, one on D itself and
    /// one of 500 yuan on D − 365 (outside the window).
    MedicalExactly(i64),
    /// 35,000 yuan on D − 365 and before, 1,000 in the year.
    MedicalOld,
    /// 15,000 yuan in the year and 10,000 after D.
    MedicalAfter,
    /// Registered 181–2000 days before D, not ended by it.
    LongUnemployed,
    /// Registered exactly 180 days before D.
    Unemployed180,
    /// Registered 179 days before D or later.
    UnemployedRecent,
    /// Registered long ago, ended by D (on D itself half the time).
    UnemploymentEnded,
    DiedBy,
    DiesAfter,
    Car,
    Motorcycle,
    CarDeregistered,
    LegalRep,
    /// A shareholder of a firm with exactly 100,000 yuan of capital.
    Shareholder100k,
    Flats(usize),
    Shop,
    /// A pension of this type and amount, active at D.
    Pension(&'static str, f64),
    /// A contribution base active at D.
    Wage(f64),
    /// A contribution base that ended by D.
    EndedWage(f64),
    /// Every row of the three registries writes the ID damaged this way.
    Damaged(Damage),
}

/// A planted case: its label, weight among the cases, who and what.
pub(super) struct Case {
    pub label: &'static str,
    pub weight: u32,
    pub who: Who,
    pub parts: &'static [Part],
}

const DIBAO: &[Programme] = &[Programme::DibaoRural, Programme::DibaoUrban];

const fn off(label: &'static str, weight: u32, parts: &'static [Part]) -> Case {
    Case {
        label,
        weight,
        who: Who::OffRoll,
        parts,
    }
}

const fn member(
    label: &'static str,
    weight: u32,
    programmes: &'static [Programme],
    parts: &'static [Part],
) -> Case {
    Case {
        label,
        weight,
        who: Who::Member(programmes),
        parts,
    }
}

use Part::{
    CarDeregistered, DiedBy, DiesAfter, EndedWage, Flats, Grade3, LegalRep, LongUnemployed,
    MedicalAfter, MedicalExactly, MedicalOld, MedicalOver, Motorcycle, Pension, RevokedAfter,
    RevokedBy, Severe, Shareholder100k, Shop, Unemployed180, UnemployedRecent, UnemploymentEnded,
    Wage,
};

pub(super) const CASES: &[Case] = &[
    off("severely disabled with no income or assets", 20, &[Severe]),
    off("medical costs over 20000 in the year", 15, &[MedicalOver]),
    off(
        "medical costs exactly 20000",
        3,
        &[MedicalExactly(2_000_000)],
    ),
    off(
        "severely disabled and long unemployed",
        5,
        &[Severe, LongUnemployed],
    ),
    off(
        "all three signals",
        3,
        &[Severe, MedicalOver, LongUnemployed],
    ),
    off("long unemployed only", 6, &[LongUnemployed]),
    off("grade 3", 5, &[Grade3]),
    off("certificate revoked by D", 4, &[RevokedBy]),
    off("certificate revoked after D", 2, &[RevokedAfter]),
    off("certified after D", 2, &[Part::CertifiedAfter]),
    off("settlements older than 365 days", 4, &[MedicalOld]),
    off("medical costs 19999.99", 4, &[MedicalExactly(1_999_999)]),
    off("settlement after D", 2, &[MedicalAfter]),
    off("unemployment ended", 2, &[Severe, UnemploymentEnded]),
    off(
        "unemployed under 180 days",
        2,
        &[MedicalOver, UnemployedRecent],
    ),
    off("unemployed exactly 180 days", 2, &[Severe, Unemployed180]),
    off("deceased", 4, &[Severe, DiedBy]),
    off("dies after D", 1, &[MedicalOver, DiesAfter]),
    off("owns a car", 4, &[Severe, Part::Car]),
    off("owns a motorcycle", 2, &[Severe, Motorcycle]),
    off("car deregistered by D", 2, &[MedicalOver, CarDeregistered]),
    off("runs a business", 2, &[Severe, LegalRep]),
    off("shareholder of 100000", 1, &[Severe, Shareholder100k]),
    off("two flats", 2, &[MedicalOver, Flats(2)]),
    off("one flat", 3, &[Severe, Flats(1)]),
    off("a shop", 1, &[Severe, Shop]),
    off(
        "pension over the standard",
        3,
        &[Severe, Pension("enterprise", 720.0)],
    ),
    off(
        "resident basic pension",
        2,
        &[Severe, Pension("resident_basic", 900.0)],
    ),
    off(
        "pension and wage together over",
        2,
        &[MedicalOver, Pension("institution", 300.0), Wage(450.0)],
    ),
    off(
        "two jobs with the larger under 600",
        2,
        &[Severe, Wage(400.0), Wage(500.0)],
    ),
    off(
        "largest contribution base over",
        2,
        &[Severe, Wage(500.0), Wage(760.0)],
    ),
    off("income exactly the standard", 2, &[Severe, Wage(600.0)]),
    off("contribution ended", 1, &[Severe, EndedWage(3_000.0)]),
    off(
        "blank ID",
        3,
        &[Severe, MedicalOver, Part::Damaged(Damage::Blank)],
    ),
    off(
        "wrong check character",
        2,
        &[Severe, MedicalOver, Part::Damaged(Damage::WrongCheck)],
    ),
    off(
        "ID as an Excel number",
        1,
        &[Severe, Part::Damaged(Damage::Excel)],
    ),
    off(
        "ID of 17 digits",
        1,
        &[MedicalOver, Part::Damaged(Damage::Digits17)],
    ),
    off("masked ID", 1, &[Severe, Part::Damaged(Damage::Masked)]),
    member("dibao member severely disabled", 12, DIBAO, &[Severe]),
    member("dibao member with medical costs", 8, DIBAO, &[MedicalOver]),
    member(
        "dibao member with both",
        2,
        DIBAO,
        &[Severe, MedicalOver, LongUnemployed],
    ),
    member(
        "dibao member long unemployed only",
        3,
        DIBAO,
        &[LongUnemployed],
    ),
    member(
        "dibao member grade 3",
        2,
        DIBAO,
        &[Grade3, MedicalExactly(1_999_999)],
    ),
    member(
        "tekun member severely disabled",
        3,
        &[Programme::Tekun],
        &[Severe],
    ),
    member(
        "linshi member with medical costs",
        2,
        &[Programme::Linshi],
        &[MedicalOver],
    ),
];

/// `total` fen in `n` positive parts.
fn split(rng: &mut impl Rng, total: i64, n: usize) -> Vec<i64> {
    let weights: Vec<i64> = (0..n).map(|_| rng.random_range(1..100)).collect();
    let sum: i64 = weights.iter().sum();
    let mut parts: Vec<i64> = weights.iter().map(|w| (total * w / sum).max(1)).collect();
    let rest = total - parts.iter().sum::<i64>();
    if let Some(last) = parts.last_mut() {
        *last += rest;
    }
    parts
}

impl Generator {
    /// The three registries' side of `part`, noted in `signals`.
    pub(super) fn signal_part(&mut self, part: Part, signals: &mut SignalFacts) {
        let certificate = |grade, certified, revoked| Certificate {
            grade,
            certified,
            revoked,
        };
        match part {
            Severe => {
                let (grade, certified) = (self.rng.random_range(1..=2), self.day_in(-5000, 0));
                signals
                    .certificates
                    .push(certificate(grade, certified, None));
            }
            Grade3 => {
                let certified = self.day_in(-5000, 0);
                signals.certificates.push(certificate(3, certified, None));
            }
            RevokedBy | RevokedAfter => {
                let certified = self.day_in(-5000, -400);
                let since = (certified - self.as_of()).num_days();
                let revoked = match part {
                    RevokedAfter => self.day_in(1, 200),
                    _ if self.rng.random_bool(0.5) => self.day(0),
                    _ => self.day_in(since, 0),
                };
                signals
                    .certificates
                    .push(certificate(1, certified, Some(revoked)));
            }
            Part::CertifiedAfter => {
                let certified = self.day_in(1, 100);
                signals.certificates.push(certificate(1, certified, None));
            }
            MedicalOver | MedicalExactly(_) | MedicalOld | MedicalAfter => {
                self.settlements(part, &mut signals.settlements);
            }
            LongUnemployed | Unemployed180 | UnemployedRecent | UnemploymentEnded => {
                let from = match part {
                    LongUnemployed => self.day_in(-2000, -181),
                    Unemployed180 => self.day(-180),
                    UnemployedRecent => self.day_in(-179, -1),
                    _ => self.day_in(-3000, -400),
                };
                let to = match part {
                    UnemploymentEnded if self.rng.random_bool(0.5) => Some(self.day(0)),
                    UnemploymentEnded => Some(self.day_in(-399, 0)),
                    _ if self.rng.random_bool(0.3) => Some(self.day_in(1, 300)),
                    _ => None,
                };
                signals.unemployment.push(Span { from, to });
            }
            _ => {}
        }
    }

    /// `total` fen in `n` settlements dated `from` to `to` days after D.
    fn spread(&mut self, out: &mut Vec<Settlement>, total: i64, n: usize, (from, to): (i64, i64)) {
        for fen in split(&mut self.rng, total, n) {
            let settled = self.day_in(from, to);
            out.push(Settlement { settled, fen });
        }
    }

    fn settlements(&mut self, part: Part, out: &mut Vec<Settlement>) {
        const YEAR: (i64, i64) = (-364, 0);
        match part {
            MedicalOver => {
                let total = self.rng.random_range(2_000_000..6_000_000);
                let n = self.rng.random_range(3..=10);
                self.spread(out, total, n, YEAR);
            }
            MedicalExactly(total) => {
                let n = self.rng.random_range(2..=5);
                let first = out.len();
                self.spread(out, total, n, (-364, -1));
                // One of the window's parts moves to D itself; 500 yuan sit just outside.
                out[first].settled = self.day(0);
                let settled = self.day(-365);
                out.push(Settlement {
                    settled,
                    fen: 50_000,
                });
            }
            MedicalOld => {
                let settled = self.day(-365);
                out.push(Settlement {
                    settled,
                    fen: 1_500_000,
                });
                self.spread(out, 2_000_000, 3, (-900, -366));
                self.spread(out, 100_000, 1, YEAR);
            }
            _ => {
                self.spread(out, 1_500_000, 3, YEAR);
                self.spread(out, 1_000_000, 2, (1, 60));
            }
        }
    }

    /// The other registries' side of `part` (a death, an asset, income) for `person`,
    /// written as registries write them and noted in `facts`.
    pub(super) fn other_part(&mut self, part: Part, person: &Person, facts: &mut Facts) {
        let written = self.as_registry_writes(person);
        let subject = written.subject();
        let open = |from: NaiveDate| Span { from, to: None };
        match part {
            DiedBy | DiesAfter => {
                let date = match part {
                    DiesAfter => self.day_in(1, 100),
                    _ if self.rng.random_bool(0.25) => self.day(0),
                    _ => self.day_in(-1000, 0),
                };
                self.death(subject, date);
                facts.death = Some(date);
            }
            Part::Car | Motorcycle | CarDeregistered => {
                let from = self.day_in(-3000, -30);
                let to = matches!(part, CarDeregistered).then(|| self.day_in(-29, 0));
                let kind = if matches!(part, Motorcycle) {
                    "motorcycle"
                } else {
                    "car"
                };
                self.vehicle(subject, kind, from, to);
                let exempt = kind == "motorcycle";
                facts.vehicles.push(VehicleFact {
                    exempt,
                    span: Span { from, to },
                });
            }
            LegalRep | Shareholder100k => {
                let from = self.day_in(-3000, -30);
                let (role, capital) = match part {
                    LegalRep => ("legal_rep", 300_000.0),
                    _ => ("shareholder", 100_000.0),
                };
                self.business(subject, role, capital, "active", from, None);
                facts.businesses.push(BusinessFact {
                    role,
                    capital,
                    status_active: true,
                    span: open(from),
                });
            }
            Flats(_) | Shop => {
                let (count, use_) = match part {
                    Flats(n) => (n, "residential"),
                    _ => (1, "commercial"),
                };
                for _ in 0..count {
                    let from = self.day_in(-5000, -30);
                    self.property_units += 1;
                    let unit = format!("W-UNIT-{:07}", self.property_units);
                    self.property(subject, &unit, use_, from, None);
                    let residential = use_ == "residential";
                    facts.properties.push(PropertyFact {
                        unit,
                        residential,
                        span: open(from),
                    });
                }
            }
            Pension(kind, amount) => {
                let from = self.day_in(-3000, -30);
                self.pension(subject, kind, amount, from, None);
                let counted = matches!(kind, "enterprise" | "institution");
                facts.pensions.push(PensionFact {
                    counted,
                    amount,
                    span: open(from),
                });
            }
            Wage(base) | EndedWage(base) => {
                let from = self.day_in(-3000, -400);
                let to = matches!(part, EndedWage(_)).then(|| self.day_in(-399, 0));
                self.contribution(subject, base, from, to);
                facts.contributions.push(ContributionFact {
                    base,
                    span: Span { from, to },
                });
            }
            _ => {}
        }
    }
}
