//! `rollcheck explain`: for one household of a finished run, each flag with its evidence and,
//! for every record behind it, the comparison table that linked the record to the member.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::link::corroborate::RegionFrom;
use crate::link::words::level_words;
use crate::link::FIELDS;
use crate::model::Reason;
use crate::review::findings::{Finding, Findings, Subject};
use crate::review::review_status;
use crate::rules::overpayment::grouped_yuan;
use crate::rundir::names::{FLAGS_PARQUET, MATCHES};
use crate::rundir::{read, state_dir_of_run, FlagColumns, MatchColumns, OutputError, Texts};

/// The explanation of one household's flags, as text.
pub fn explain(out_dir: &Path, household_id: &str) -> Result<String, OutputError> {
    let flags_path = out_dir.join(FLAGS_PARQUET);
    let matches_path = out_dir.join(MATCHES);
    let flag_frame = read(&flags_path)?;
    let match_frame = read(&matches_path)?;
    let flags = FlagColumns::of(&flag_frame, &flags_path)?;
    let matches = MatchColumns::of(&match_frame, &matches_path)?;
    // Statuses are read after the matches: a run broken in both places names the same
    // problem first as it always did.
    let statuses = FlagColumns::statuses(&flag_frame, &flags_path)?;
    let findings = Findings::read(&state_dir_of_run(out_dir))?;
    let explanation = Explanation {
        household_id,
        flags,
        statuses,
        matches,
        findings: &findings,
        latest: findings.latest(),
    };

    let mut out = String::new();
    let flagged: Vec<usize> = (0..explanation.flags.households.len())
        .filter(|&i| explanation.flags.households[i].as_deref() == Some(household_id))
        .collect();
    for &flag in &flagged {
        explanation.explain_flag(&mut out, flag);
    }
    if flagged.is_empty() {
        let _ = writeln!(out, "{household_id}: no flags in {}", out_dir.display());
        explanation.explain_resolved(&mut out);
    }
    Ok(out)
}

/// What a run holds about the household explained: its flags, the matches behind them,
/// and the findings of visits.
struct Explanation<'a> {
    household_id: &'a str,
    flags: FlagColumns,
    /// Per flag, its review status in the run.
    statuses: Texts,
    matches: MatchColumns,
    findings: &'a Findings,
    latest: BTreeMap<(&'a str, &'a Subject), &'a Finding>,
}

/// How a reason's `since` is chosen (`rules::overpayment` and the rules that date facts).
fn since_basis(reason: Reason) -> &'static str {
    match reason {
        Reason::DeceasedMember => {
            "the earliest death_date among deceased members; each deceased member counts \
             from their own death at their share of the household's benefit (÷ n_members)"
        }
        Reason::PensionIncome => {
            "the earliest start_date of a counted pension that alone exceeds the standard, \
             else the start_date of the last pension needed to exceed it"
        }
        Reason::VehicleOwned => "the earliest registered_on among the counted vehicles",
        Reason::PropertyExcess => {
            "the earliest registered_on of a non-residential property, else the day the \
             residential properties first numbered more than allowed"
        }
        Reason::BusinessActive => "the earliest established_on among the counted businesses",
        _ => "the date the rule gives the fact",
    }
}

/// "1 in N" for a share, N rounded to three significant figures and grouped (1 in 33,600).
fn one_in(share: f64) -> String {
    let n = 1.0 / share;
    #[allow(clippy::cast_possible_truncation)]
    let magnitude = 10f64.powi(n.log10().floor() as i32 - 2).max(1.0);
    grouped_yuan((n / magnitude).round() * magnitude)
}

impl Explanation<'_> {
    /// One flag: what it says, what visits found, and each record behind it.
    fn explain_flag(&self, out: &mut String, flag: usize) {
        let household_id = self.household_id;
        let flags = &self.flags;
        let text = |v: &Texts| v[flag].clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "{household_id}  {}  ({})  members {}",
            text(&flags.reasons),
            text(&flags.severities),
            text(&flags.members)
        );
        let _ = writeln!(out, "  evidence: {}", text(&flags.evidence));
        let reason = Reason::named(&text(&flags.reasons));
        if let (Some(since), Some(reason)) = (flags.since[flag].as_deref(), reason) {
            let _ = writeln!(
                out,
                "  since: {since} — {}; overpaid: {} yuan (whole months from since or the \
                 household's earliest enrolment, whichever is later, to the as-of date, at \
                 most the pipeline's lookback)",
                since_basis(reason),
                flags.overpaid_yuan[flag]
                    .as_deref()
                    .unwrap_or("not estimated: no monthly_benefit on the roll")
            );
        }
        if let Some(reason) = reason {
            let list = |text: String| -> Vec<String> {
                text.split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let support =
                crate::review::support(&list(text(&flags.records)), &list(text(&flags.members)));
            self.explain_findings(
                out,
                &Subject::Flag { reason },
                text(&self.statuses) != "new",
                &support,
            );
        }
        for record_id in text(&flags.records).split(';').filter(|r| !r.is_empty()) {
            let matches = &self.matches;
            let rows = (0..matches.records.len()).filter(|&j| {
                matches.households[j].as_deref() == Some(household_id)
                    && matches.records[j].as_deref() == Some(record_id)
            });
            for j in rows {
                self.explain_match(out, record_id, j);
            }
        }
        out.push('\n');
    }

    /// The match of row `j` that links `record_id` to a member: its decision, then the
    /// comparison table field by field.
    fn explain_match(&self, out: &mut String, record_id: &str, j: usize) {
        let matches = &self.matches;
        let get = |v: &Texts| v[j].clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "  record {record_id} ({}) ↔ {} {}: {} by {}, probability {:.6}{}",
            get(&matches.sources),
            matches
                .roles
                .as_ref()
                .and_then(|roles| roles[j].as_deref())
                .unwrap_or("member"),
            get(&matches.members),
            get(&matches.decisions),
            get(&matches.methods),
            matches.scores[j],
            matches.notes[j]
                .as_ref()
                .map(|n| format!(" — held back: {n}"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "    {:<11} {:<18} {:>8}  meaning",
            "field", "level", "weight"
        );
        let share =
            |shares: &Option<Vec<f64>>| shares.as_ref().map(|s| s[j]).filter(|s| !s.is_nan());
        let (name_share, birth_share) = (
            share(&matches.name_shares),
            share(&matches.birth_date_shares),
        );
        // A pair decided without an ID is weighed on the population's scale (term frequencies).
        let in_population = name_share.is_some() || birth_share.is_some();
        for (f, field) in FIELDS.iter().enumerate() {
            let level = matches.levels[f][j].clone().unwrap_or_default();
            let from = (*field == "region")
                .then(|| matches.region_from.as_ref().and_then(|r| r[j].as_deref()))
                .flatten()
                .and_then(RegionFrom::words)
                .map(|words| format!(" ({words})"))
                .unwrap_or_default();
            let frequency = match *field {
                "name" => name_share.map(|s| {
                    format!(
                        "; about 1 in {} people in the population has this name",
                        one_in(s)
                    )
                }),
                "birth_date" => birth_share
                    .map(|s| format!("; about 1 in {} people was born that day", one_in(s))),
                "gender" if in_population && level == "same" => {
                    Some("; no weight: namesakes mostly share the gender".to_string())
                }
                _ => None,
            }
            .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {field:<11} {level:<18} {:>+8.2}  {}{from}{frequency}",
                matches.weights[f][j],
                level_words(field, &level)
            );
        }
        let prior_words = if in_population {
            format!(
                "one person in the registry's population of about {}",
                one_in(matches.priors[j].exp2())
            )
        } else {
            "how rare a match is among all pairs".to_string()
        };
        let _ = writeln!(
            out,
            "    {:<11} {:<18} {:>+8.2}  {prior_words}",
            "prior", "", matches.priors[j]
        );
        let _ = writeln!(
            out,
            "    {:<11} {:<18} {:>+8.2}  log2 odds; probability = 1 / (1 + 2^-total)",
            "total", "", matches.totals[j]
        );
        if let Some(expected) = matches
            .namesakes
            .as_ref()
            .map(|n| n[j])
            .filter(|n| !n.is_nan())
        {
            let _ = writeln!(
                out,
                "    namesakes: about {} other people in the registry's population share this name and birth date",
                crate::rules::about(expected)
            );
        }
    }

    /// Findings outlive flags: a confirmed flag resolves when its household leaves.
    fn explain_resolved(&self, out: &mut String) {
        let household_id = self.household_id;
        for (_, subject) in self.latest.keys().filter(|(h, _)| *h == household_id) {
            let _ = writeln!(
                out,
                "{household_id}  {} (no longer flagged)",
                subject.reason_code()
            );
            self.explain_findings(out, subject, true, &[]);
        }
    }

    /// Every finding on one item, oldest first, and the status the latest one gives it now
    /// (decided by `review_status`, as the run decides it).
    fn explain_findings(
        &self,
        out: &mut String,
        subject: &Subject,
        seen_before: bool,
        support: &[String],
    ) {
        let household_id = self.household_id;
        let on_item: Vec<&Finding> = self
            .findings
            .all()
            .map(|(_, f)| f)
            .filter(|f| f.household_id == household_id && &f.subject == subject)
            .collect();
        if on_item.is_empty() {
            return;
        }
        let newest = self.latest.get(&(household_id, subject)).copied();
        let (status, unseen) = review_status(seen_before, newest, support);
        let _ = writeln!(
            out,
            "  status: {} ({}){}",
            status.code(),
            status.label_zh(),
            if unseen.is_empty() {
                String::new()
            } else {
                format!(" — records not seen at review: {}", unseen.join(", "))
            }
        );
        for finding in on_item {
            let marker = if newest.is_some_and(|n| std::ptr::eq(n, finding)) {
                "latest"
            } else {
                "earlier"
            };
            let _ = writeln!(
                out,
                "  finding ({marker}): {} {} by {} on {}{}{} — {}{} row {}",
                finding.verdict.label_zh(),
                finding.verdict.code(),
                finding.reviewer,
                finding.reviewed_on,
                finding
                    .action
                    .map(|a| format!(", action {} {}", a.label_zh(), a.code()))
                    .unwrap_or_default(),
                finding
                    .note
                    .as_deref()
                    .map(|n| format!(", note: {n}"))
                    .unwrap_or_default(),
                finding.file,
                finding
                    .sheet
                    .as_deref()
                    .map(|s| format!(" [{s}]"))
                    .unwrap_or_default(),
                finding.row
            );
        }
    }
}
