//! `supporter_capacity`: a tekun member has a supporter (a child or spouse living apart) who
//! owes support at D, or who alone owns what `vehicle_owned`, `business_active` or
//! `property_excess` would flag.
//! Why: 特困 is for people with no one legally obliged and able to support them.
//! Decoys: a supporter of the member's own household, a deceased supporter, a supporter
//! whose per-capita income is under the standard and who owns nothing that flags, dibao
//! households (their supporters count as income instead).

use super::{BuiltIn, Context, Finding};
use crate::model::{Programme, Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::SupporterCapacity, supporter_capacity);

fn supporter_capacity(context: &Context) -> Vec<Finding> {
    context
        .incomes
        .supporters
        .iter()
        .filter(|s| context.households.get(&s.support.household_id).programme == Programme::Tekun)
        .filter_map(|s| {
            let mut shows = Vec::new();
            let mut record_ids = vec![s.support.record_id.clone()];
            if s.owed_yuan > 0.0 {
                shows.push(format!(
                    "月收入{}，户内{}人，人均{}，应承担赡养费{}",
                    super::yuan_standard(s.income.total()),
                    s.support.household_size,
                    super::yuan_standard(super::income::cents(s.per_capita_yuan)),
                    super::yuan_standard(super::income::cents(s.owed_yuan))
                ));
                record_ids.extend(s.income.record_ids.iter().cloned());
            }
            let mut score = s.support.score;
            if s.owed_yuan > 0.0 {
                score = score.min(s.income.score);
            }
            for asset in &s.assets {
                record_ids.extend(asset.record_ids.iter().cloned());
                shows.push(asset.text.clone());
                score = score.min(asset.score);
            }
            if shows.is_empty() {
                return None;
            }
            let member = context.member(s.support.member_idx);
            Some(Finding {
                household_id: s.support.household_id.clone(),
                member_ids: vec![member.member_id.clone()],
                record_ids,
                evidence: format!(
                    "{}的{}{}（{}，{}记录{}）：{}",
                    member.name,
                    s.support.kinship.label_zh(),
                    s.name,
                    s.masked_id,
                    Source::Relations.label_zh(),
                    s.support.record_id,
                    shows.join("；")
                ),
                score,
                // Not a dated reason: capacity is a state, not an event (contract v3).
                since: None,
            })
        })
        .collect()
}
