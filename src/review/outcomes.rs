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
use crate::link::{Decision, Links, Match};
use crate::model::{Reason, RegionCode, Severity, Verdict};
use crate::rules::{self, At, Households};
use crate::rundir::{FlagRow, FlagStatus, LeadRow, SpotCheckRow};

/// Review labels on pairs, by (`member_id`, source, `record_id`): true accepts, false rejects.
#[derive(Debug, Clone, Default)]
pub struct PairLabels {
    labels: HashMap<(String, String, String), bool>,
}

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
                label,
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
        for m in &mut links.matches {
            let member = &ingested.roll[m.member_idx];
            let record = &ingested.registries[m.registry_idx].records[m.record_idx];
            let key = (
                member.member_id.clone(),
                m.source.code().to_string(),
                record.record_id.clone(),
            );
            match self.labels.get(&key) {
                Some(true)
                    if m.decision == Decision::Possible
                        && !taken.contains(&(m.registry_idx, m.record_idx)) =>
                {
                    m.decision = Decision::Accepted;
                    m.note = Some("accepted by review (情况属实)");
                }
                Some(false) if m.decision == Decision::Accepted => {
                    m.decision = Decision::Possible;
                    m.note = Some("rejected by review (情况不属实)");
                }
                Some(false) => m.note = Some("rejected by review (情况不属实)"),
                _ => {}
            }
        }
    }
}

/// `possible` pairs whose record would raise a high-severity reason, best first: a pair once
/// per such reason. Pairs a review rejected are not listed again, nor records already
/// accepted for a member (a record is one person).
pub fn leads(
    pipeline: &Pipeline,
    ingested: &Ingested,
    links: &Links,
    households: &Households,
    as_of: NaiveDate,
) -> Vec<LeadRow> {
    let taken: std::collections::HashSet<(usize, usize)> = links
        .matches
        .iter()
        .filter(|m| m.decision == Decision::Accepted)
        .map(|m| (m.registry_idx, m.record_idx))
        .collect();
    let mut leads: Vec<LeadRow> = links
        .matches
        .iter()
        .filter(|m| {
            m.decision == Decision::Possible
                && m.note != Some("rejected by review (情况不属实)")
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
                .filter(|reason| pipeline.rules.spec(*reason).severity == Severity::High)
                .map(move |reason| lead_row(m, member, record, reason))
        })
        .collect();
    leads.sort_by(|a, b| {
        b.probability
            .total_cmp(&a.probability)
            .then_with(|| a.household_id.cmp(&b.household_id))
            .then_with(|| a.record_id.cmp(&b.record_id))
    });
    leads
}

/// The sheet's row for one lead: a `possible` pair and the reason it would raise.
fn lead_row(m: &Match, member: &RollMember, record: &RegistryRecord, reason: Reason) -> LeadRow {
    let levels = [
        ("id", m.levels.id.code()),
        ("name", m.levels.name.code()),
        ("birth_date", m.levels.birth_date.code()),
        ("region", m.levels.region.code()),
        ("gender", m.levels.gender.code()),
    ];
    LeadRow {
        household_id: member.household_id.clone(),
        member_id: member.member_id.clone(),
        reason,
        source: m.source.code().to_string(),
        source_label: m.source.label_zh().to_string(),
        record_id: record.record_id.clone(),
        probability: m.score,
        comparison: comparison_in_words(&levels),
        region_code: member.region_code.clone(),
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
