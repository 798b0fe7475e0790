//! `identity_conflict`: a member's valid ID appears in a registry record, or on the roll
//! again, under a clearly different name (two or more characters differ and so do readings).
//! Why: one person's benefit paid under another's identity; or a registry keying error.
//! Such a record raises no other reason (identity conflict wins).
//! Decoys: homophones, traditional characters, a one-character difference.

use super::{BuiltIn, Context, Finding};
use crate::link::Decision;
use crate::model::Reason;

pub const RULE: BuiltIn = BuiltIn::new(Reason::IdentityConflict, identity_conflict);

fn identity_conflict(context: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = context
        .links
        .matches
        .iter()
        .filter(|m| m.decision == Decision::IdentityConflict)
        .map(|m| {
            let member = context.member(m.member_idx);
            let record = context.record(m);
            Finding {
                household_id: member.household_id.clone(),
                member_ids: vec![member.member_id.clone()],
                record_ids: vec![record.record_id.clone()],
                evidence: format!(
                    "身份证号 {} 在{} {} 中登记为“{}”，与花名册姓名“{}”明显不同",
                    context.masked_id(m.member_idx),
                    m.source.label_zh(),
                    record.record_id,
                    record.person.name,
                    member.name
                ),
                score: 1.0,
                since: None,
            }
        })
        .collect();
    for pair in context
        .links
        .roll_pairs
        .iter()
        .filter(|p| !p.name.is_compatible())
    {
        let (first, second) = (
            context.member(pair.first_idx),
            context.member(pair.second_idx),
        );
        let masked = context.masked_id(pair.first_idx);
        for (this, other) in [(first, second), (second, first)] {
            findings.push(Finding {
                household_id: this.household_id.clone(),
                member_ids: vec![this.member_id.clone()],
                record_ids: Vec::new(),
                evidence: format!(
                    "身份证号 {masked} 在花名册中另登记为“{}”（户 {}，成员 {}），与“{}”明显不同",
                    other.name, other.household_id, other.member_id, this.name
                ),
                score: 1.0,
                since: None,
            });
        }
    }
    findings
}
