//! `invalid_id`: a member's ID is not valid after normalisation.
//! Why: an ID that cannot be checked hides every other finding; it is never repaired.
//! Decoys: IDs that are only spaced, full-width, lower-case `x` or 15 digits (they normalise).

use super::{BuiltIn, Context, Finding};
use crate::model::Reason;
use crate::normalize::mask_id;

pub const RULE: BuiltIn = BuiltIn::new(Reason::InvalidId, invalid_id);

fn invalid_id(context: &Context) -> Vec<Finding> {
    context
        .normalized
        .members()
        .iter()
        .enumerate()
        .filter_map(|(member_idx, person)| {
            let problem = person.id.problem()?;
            let member = context.member(member_idx);
            let shown = if person.id.cleaned.is_empty() {
                String::new()
            } else {
                format!("“{}”", mask_id(&person.id.cleaned))
            };
            Some(Finding {
                household_id: member.household_id.clone(),
                member_ids: vec![member.member_id.clone()],
                record_ids: Vec::new(),
                evidence: format!(
                    "{} 的身份证号{shown}无效：{}",
                    member.name,
                    problem.label_zh()
                ),
                score: 1.0,
                since: None,
            })
        })
        .collect()
}
