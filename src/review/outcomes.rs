//! What a run sends out besides flags, and what the findings make of it: review labels on
//! pairs (a lead found 情况属实 is accepted from then on, one found 情况不属实 never counts),
//! leads for the sheet 待核实线索, households drawn for a spot check (抽查), and the items
//! of `review_summary`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;

use super::findings::{Finding, Findings, Subject};
use super::summary::{self, ReviewedItem};
use super::ReviewOutcomes;
use crate::config::Pipeline;
use crate::ingest::{Ingested, RegistryRecord, RollMember};
use crate::link::words::comparison_in_words;
use crate::link::{Decision, Links, Match, Method};
use crate::model::{Reason, RegionCode, Severity, Verdict};
use crate::normalize::normalize_id;
use crate::rules::doubts::Doubt;
use crate::rules::{self, At, Household, Households};
use crate::rundir::{FlagRow, FlagStatus, LeadRow, SpotCheckRow};

/// Review labels on pairs, by (`member_id`, source, `record_id`): (true accepts, false
/// rejects; whether the registry's answer to an assistance request (协查) said so).
#[derive(Debug, Clone, Default)]
pub struct PairLabels {
    labels: HashMap<(String, String, String), (bool, bool)>,
}

/// The note of a pair a finding rejected; such a pair is never a lead again.
const REJECTED: &str = "rejected by review (情况不属实)";

impl PairLabels {
    /// The latest finding on each lead: 情况属实 or 部分属实 accepts the pair, 情况不属实
    /// rejects it; 无法核实 leaves it a lead.
    pub fn from_findings(findings: &Findings) -> PairLabels {
        let mut labels = HashMap::new();
        for ((_, subject), finding) in findings.latest() {
            let Subject::Lead {
                member_id,
                source,
                record_id,
                ..
            } = subject
            else {
                continue;
            };
            let label = match finding.verdict {
                Verdict::Confirmed | Verdict::PartlyConfirmed => true,
                Verdict::Dismissed => false,
                Verdict::Unverifiable => continue,
            };
            labels.insert(
                (member_id.clone(), source.clone(), record_id.clone()),
                (label, finding.by_registry),
            );
        }
        PairLabels { labels }
    }

    /// Applies the labels to the decided pairs: an accepted lead counts for the rules (unless
    /// its record is already another member's), a rejected pair never does.
    pub fn apply(&self, ingested: &Ingested, links: &mut Links) {
        if self.labels.is_empty() {
            return;
        }
        let taken: HashSet<(usize, usize)> = links
            .matches
            .iter()
            .filter(|m| m.decision == Decision::Accepted)
            .map(|m| (m.registry_idx, m.record_idx))
            .collect();
        let members = ingested.roll.len();
        for m in links.matches.iter_mut().chain(links.others.iter_mut()) {
            // Supporters' pairs are labelled by the supporter's key (`Whose::of_pair`).
            let person = match ingested.roll.get(m.member_idx) {
                Some(member) => &member.member_id,
                None => &ingested.others[m.member_idx - members].key,
            };
            let record = &ingested.registries[m.registry_idx].records[m.record_idx];
            let key = (
                person.clone(),
                m.source.code().to_string(),
                record.record_id.clone(),
            );
            match self.labels.get(&key) {
                Some((true, by_registry))
                    if m.decision == Decision::Possible
                        && !taken.contains(&(m.registry_idx, m.record_idx)) =>
                {
                    m.decision = Decision::Accepted;
                    if *by_registry {
                        m.method = Method::ConfirmedId;
                        m.note =
                            Some("accepted: the registry's answer gives the member's ID (协查)");
                    } else {
                        m.note = Some("accepted by review (情况属实)");
                    }
                }
                Some((false, _)) if m.decision == Decision::Accepted => {
                    m.decision = Decision::Possible;
                    m.note = Some(REJECTED);
                }
                Some((false, _)) => m.note = Some(REJECTED),
                _ => {}
            }
        }
    }
}

/// `possible` pairs whose record would raise a reason at least `[review] lead_min_severity`,
/// a pair once per such reason, ranked by `rank_leads` and capped per township by
/// `mark_shown`. Pairs a review rejected are not listed again, nor records already accepted
/// for a member (a record is one person).
pub fn leads(
    pipeline: &Pipeline,
    ingested: &Ingested,
    links: &Links,
    (households, doubts): (&Households, &[Doubt]),
    as_of: NaiveDate,
) -> Vec<LeadRow> {
    let taken: std::collections::HashSet<(usize, usize)> = links
        .matches
        .iter()
        .filter(|m| m.decision == Decision::Accepted)
        .map(|m| (m.registry_idx, m.record_idx))
        .collect();
    let min_severity = pipeline.review.lead_min_severity;
    let mut leads: Vec<LeadRow> = links
        .matches
        .iter()
        .filter(|m| {
            m.decision == Decision::Possible
                && m.note != Some(REJECTED)
                && !taken.contains(&(m.registry_idx, m.record_idx))
        })
        .flat_map(|m| {
            let member = &ingested.roll[m.member_idx];
            let record = &ingested.registries[m.registry_idx].records[m.record_idx];
            households
                .by_id
                .get(&member.household_id)
                .into_iter()
                .flat_map(move |household| {
                    let at = At {
                        pipeline,
                        as_of,
                        household,
                    };
                    rules::would_raise(at, m.source, record)
                })
                .map(|reason| (reason, pipeline.rules.spec(reason).severity))
                .filter(move |(_, severity)| *severity >= min_severity)
                .map(move |(reason, severity)| {
                    lead_row(m, &Whose::member(member), record, (reason, severity))
                })
        })
        .collect();
    leads.extend(doubts.iter().filter_map(|doubt| {
        let m = doubt.pair.of(links);
        let severity = pipeline.rules.spec(doubt.reason).severity;
        if m.note == Some(REJECTED)
            || taken.contains(&(m.registry_idx, m.record_idx))
            || severity < min_severity
        {
            return None;
        }
        let household = households.by_id.get(&doubt.household_id)?;
        let record = &ingested.registries[m.registry_idx].records[m.record_idx];
        let whose = Whose::of_pair(ingested, m.member_idx, household);
        Some(lead_row(m, &whose, record, (doubt.reason, severity)))
    }));
    rank_leads(&mut leads);
    mark_shown(&mut leads, pipeline.review.max_leads_per_township);
    leads
}

/// Orders leads by how much a visit would settle: a more severe reason first (what it would
/// stop matters more), then the likelier pair (a visit more often ends in a flag), then
/// household and record for a stable order.
fn rank_leads(leads: &mut [LeadRow]) {
    leads.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.probability.total_cmp(&a.probability))
            .then_with(|| a.household_id.cmp(&b.household_id))
            .then_with(|| a.record_id.cmp(&b.record_id))
            .then_with(|| a.reason.cmp(&b.reason))
    });
}

/// Shows the first `per_township` ranked leads of each township; the rest stay in
/// leads.parquet and the report's count, never silently dropped.
fn mark_shown(leads: &mut [LeadRow], per_township: u32) {
    let mut shown: HashMap<String, u32> = HashMap::new();
    for lead in leads {
        let count = shown
            .entry(RegionCode::township_key(lead.region_code.as_deref()))
            .or_default();
        lead.shown = *count < per_township;
        *count += 1;
    }
}

/// Per township (`RegionCode::township_key`): leads shown in its workbook, and held back
/// over `[review] max_leads_per_township`.
pub fn leads_per_township(leads: &[LeadRow]) -> BTreeMap<String, (usize, usize)> {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for lead in leads {
        let count = counts
            .entry(RegionCode::township_key(lead.region_code.as_deref()))
            .or_default();
        if lead.shown {
            count.0 += 1;
        } else {
            count.1 += 1;
        }
    }
    counts
}

/// Whose pair a lead is, and the household it would flag: a member of it, or a supporter
/// of one of its members (a member of another household, or one of `Ingested::others`).
pub struct Whose<'a> {
    household_id: &'a str,
    /// The member id, or a supporter's key (`supporter:K-…`), as review labels name pairs.
    person_id: &'a str,
    id_number: Option<&'a str>,
    region_code: Option<&'a str>,
}

impl<'a> Whose<'a> {
    fn member(member: &'a RollMember) -> Whose<'a> {
        Whose {
            household_id: &member.household_id,
            person_id: &member.member_id,
            id_number: member.id_number.as_deref(),
            region_code: member.region_code.as_deref(),
        }
    }

    /// The person of a pair (`Normalized::persons` index) as a lead of `household`.
    fn of_pair(ingested: &'a Ingested, person_idx: usize, household: &'a Household) -> Whose<'a> {
        let (person_id, id_number) = if let Some(member) = ingested.roll.get(person_idx) {
            (member.member_id.as_str(), member.id_number.as_deref())
        } else {
            let other = &ingested.others[person_idx - ingested.roll.len()];
            (other.key.as_str(), other.person.id_number.as_deref())
        };
        Whose {
            household_id: &household.household_id,
            person_id,
            id_number,
            region_code: household.region_code.as_deref(),
        }
    }
}

/// The sheet's row for one lead: a `possible` pair and the reason it would raise.
fn lead_row(
    m: &Match,
    whose: &Whose,
    record: &RegistryRecord,
    (reason, severity): (Reason, Severity),
) -> LeadRow {
    let levels = [
        ("id", m.levels.id.code()),
        ("name", m.levels.name.code()),
        ("birth_date", m.levels.birth_date.code()),
        ("region", m.levels.region.code()),
        ("gender", m.levels.gender.code()),
    ];
    LeadRow {
        household_id: whose.household_id.to_string(),
        member_id: whose.person_id.to_string(),
        reason,
        severity,
        source: m.source.code().to_string(),
        source_label: m.source.label_zh().to_string(),
        record_id: record.record_id.clone(),
        probability: m.score,
        comparison: comparison_in_words(&levels),
        region_code: whose.region_code.map(str::to_string),
        expected_namesakes: m.expected_namesakes,
        shown: true,
        question: super::assist::question(record),
        member_id_digest: normalize_id(whose.id_number).valid().map(|valid| {
            super::assist::id_digest(m.source.code(), &record.record_id, &valid.text())
        }),
    }
}

/// A random generator seeded by `material` (run id and what is drawn), so the same run draws
/// the same households or findings on every machine.
pub fn seeded_rng(material: &str) -> rand_chacha::ChaCha8Rng {
    let seed = crate::config::hex_sha256(material.as_bytes());
    let seed = u64::from_str_radix(&seed[..16], 16).expect("sha256 hex is hex");
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// `per_township` unflagged households of each township, drawn at random with the run id as
/// the seed, so the same run draws the same households.
pub fn spot_checks(
    households: &Households,
    flags: &[FlagRow],
    per_township: u32,
    run_id: &str,
) -> Vec<SpotCheckRow> {
    if per_township == 0 {
        return Vec::new();
    }
    let flagged: HashSet<&str> = flags.iter().map(|f| f.flag.household_id.as_str()).collect();
    let mut by_township: BTreeMap<String, Vec<&crate::rules::Household>> = BTreeMap::new();
    for household in households.by_id.values() {
        if !flagged.contains(household.household_id.as_str()) {
            by_township
                .entry(RegionCode::township_key(household.region_code.as_deref()))
                .or_default()
                .push(household);
        }
    }
    let mut drawn = Vec::new();
    for (township, mut candidates) in by_township {
        candidates.shuffle(&mut seeded_rng(&format!("{run_id}|{township}")));
        let mut chosen: Vec<SpotCheckRow> = candidates
            .into_iter()
            .take(usize::try_from(per_township).unwrap_or(usize::MAX))
            .map(|h| SpotCheckRow {
                household_id: h.household_id.clone(),
                programme: h.programme,
                region_code: h.region_code.clone(),
            })
            .collect();
        chosen.sort_by(|a, b| a.household_id.cmp(&b.household_id));
        drawn.extend(chosen);
    }
    drawn
}

/// The items `review_summary` counts: every flag raised now, with its latest finding
/// (none while pending or reopened), every flag with a finding that no longer stands, and
/// every spot check with a finding.
pub(crate) fn reviewed_items<'a>(
    flags: &'a [FlagRow],
    warnings: &'a [crate::rundir::WarningRow],
    latest: &BTreeMap<(&'a str, &'a Subject), &'a Finding>,
    benefits: &HashMap<String, f64>,
) -> Vec<ReviewedItem<'a>> {
    let mut items = Vec::with_capacity(flags.len() + warnings.len());
    // Warnings count apart from flags (their own rows), under their id for a household.
    let mut warned: HashSet<(&str, crate::model::WarningKind)> = HashSet::new();
    for row in warnings {
        let kind = row.warning.kind;
        warned.insert((row.warning_id.as_str(), kind));
        let subject = Subject::Warning { warning: kind };
        let finding = latest.get(&(row.warning_id.as_str(), &subject)).copied();
        items.push(ReviewedItem {
            household_id: &row.warning_id,
            region_code: row.warning.region_code.as_deref(),
            reason: kind.code(),
            verdict: finding.map(|f| f.verdict),
            action: finding.and_then(|f| f.action),
            monthly_benefit: None,
            overpaid_yuan: None,
        });
    }
    let mut current: HashSet<(&str, Reason)> = HashSet::new();
    for row in flags {
        let flag = &row.flag;
        current.insert((flag.household_id.as_str(), flag.reason));
        let finding = row
            .finding
            .as_ref()
            .filter(|_| row.status != FlagStatus::Reopened);
        items.push(ReviewedItem {
            household_id: &flag.household_id,
            region_code: flag.region_code.as_deref(),
            reason: flag.reason.code(),
            verdict: finding.map(|f| f.verdict),
            action: finding.and_then(|f| f.action),
            monthly_benefit: benefits.get(&flag.household_id).copied(),
            overpaid_yuan: flag.overpaid_yuan(),
        });
    }
    for ((household, subject), finding) in latest {
        let reason = match subject {
            Subject::Flag { reason } if !current.contains(&(*household, *reason)) => reason.code(),
            Subject::SpotCheck => crate::rundir::names::SPOT_CHECK,
            Subject::Warning { warning } if !warned.contains(&(*household, *warning)) => {
                warning.code()
            }
            _ => continue,
        };
        items.push(ReviewedItem {
            household_id: household,
            region_code: finding.region_code.as_deref(),
            reason,
            verdict: Some(finding.verdict),
            action: finding.action,
            monthly_benefit: finding.monthly_benefit,
            overpaid_yuan: finding.overpaid_yuan,
        });
    }
    items
}

/// Each household's monthly benefit: the sum over its members' rows that give one.
pub fn household_benefits(ingested: &Ingested) -> HashMap<String, f64> {
    let mut benefits: HashMap<String, f64> = HashMap::new();
    for member in &ingested.roll {
        if let Some(benefit) = member.monthly_benefit {
            *benefits.entry(member.household_id.clone()).or_default() += benefit;
        }
    }
    benefits
}

/// What the findings so far add up to.
pub(crate) fn review_outcomes(
    history: &super::history::History,
    flags: &[FlagRow],
    warnings: &[crate::rundir::WarningRow],
    benefits: &HashMap<String, f64>,
    (pipeline, as_of): (&Pipeline, NaiveDate),
    households: &Households,
) -> ReviewOutcomes {
    let latest = history.findings().latest();
    let items = reviewed_items(flags, warnings, &latest, benefits);
    let flagged: HashSet<&str> = flags.iter().map(|f| f.flag.household_id.as_str()).collect();
    let summary = summary::summarize(&items);
    ReviewOutcomes {
        campaign: super::campaign::campaign(&items, &summary),
        summary,
        outcome: summary::outcome(&items),
        score_bands: summary::precision_by_score_band(latest.values().copied()),
        due_days: pipeline.review.due_days,
        recheck_due: super::recheck::due_list(
            households,
            &super::recheck::last_findings(history.findings()),
            |household| flagged.contains(household),
            &pipeline.recheck,
            as_of,
        ),
        findings: history.findings().len(),
        unflagged_households: households.by_id.len().saturating_sub(flagged.len()),
        rechecks: summary::rechecks(history.findings()),
        counties: summary::counties(households.by_id.values(), flags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(household: &str, reason: Reason, probability: f64, region: &str) -> LeadRow {
        LeadRow {
            household_id: household.into(),
            member_id: format!("{household}-01"),
            reason,
            severity: reason.default_severity(),
            source: "vehicle".into(),
            source_label: "车辆登记".into(),
            record_id: "R-1".into(),
            probability,
            comparison: String::new(),
            region_code: Some(region.into()),
            expected_namesakes: None,
            shown: true,
            question: None,
            member_id_digest: None,
        }
    }

    #[test]
    fn leads_rank_by_severity_then_probability_and_the_cap_holds_back_per_township() {
        let (high, low) = (Reason::DeceasedMember, Reason::InvalidId);
        assert!(high.default_severity() > low.default_severity());
        let mut leads = vec![
            lead("H1", low, 0.98, "411526101001"),
            lead("H2", high, 0.60, "411526101001"),
            lead("H3", high, 0.90, "411526101002"),
            lead("H4", low, 0.70, "411526102001"),
        ];
        rank_leads(&mut leads);
        let order: Vec<&str> = leads.iter().map(|l| l.household_id.as_str()).collect();
        assert_eq!(order, ["H3", "H2", "H1", "H4"]);
        mark_shown(&mut leads, 3);
        assert!(leads.iter().all(|l| l.shown), "no township is over 3");
        mark_shown(&mut leads, 1);
        let shown: Vec<(&str, bool)> = leads
            .iter()
            .map(|l| (l.household_id.as_str(), l.shown))
            .collect();
        // Township 411526101 has three leads: the best one is shown, two held back.
        assert_eq!(
            shown,
            [("H3", true), ("H2", false), ("H1", false), ("H4", true)]
        );
        let counts = leads_per_township(&leads);
        assert_eq!(counts["411526101000"], (1, 2));
        assert_eq!(counts["411526102000"], (1, 0));
    }
}
