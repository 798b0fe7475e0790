//! `duplicate_enrollment`: one person (same valid ID, compatible name) is on the roll in two
//! households, or in two programmes that exclude each other. Every household involved flags.
//! Why: double enrolment pays one person twice.
//! Decoys: `linshi` beside another programme in the same household; the same ID under a
//! clearly different name (that is an `identity_conflict`).

use super::{BuiltIn, Context, Finding};
use crate::model::Reason;

pub const RULE: BuiltIn = BuiltIn::new(Reason::DuplicateEnrollment, duplicate_enrollment);

fn duplicate_enrollment(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for pair in context
        .links
        .roll_pairs
        .iter()
        .filter(|p| p.name.is_compatible())
    {
        let (first, second) = (
            context.member(pair.first_idx),
            context.member(pair.second_idx),
        );
        let same_household = first.household_id == second.household_id;
        if same_household && !first.programme.excludes(second.programme) {
            continue;
        }
        let masked = context.masked_id(pair.first_idx);
        // Within one household one sentence says it; across two, each household gets its own.
        let sides: &[_] = if same_household {
            &[(first, second)]
        } else {
            &[(first, second), (second, first)]
        };
        for &(this, other) in sides {
            let evidence = if same_household {
                format!(
                    "{}（身份证号 {masked}）在本户同时享受{}和{}",
                    this.name,
                    this.programme.label_zh(),
                    other.programme.label_zh()
                )
            } else {
                format!(
                    "{}（身份证号 {masked}）同时登记在户 {}（{}，成员 {} {}）",
                    this.name,
                    other.household_id,
                    other.programme.label_zh(),
                    other.member_id,
                    other.name
                )
            };
            findings.push(Finding {
                household_id: this.household_id.clone(),
                member_ids: vec![this.member_id.clone()],
                record_ids: Vec::new(),
                evidence,
                score: 1.0,
                since: None,
            });
        }
    }
    findings
}
