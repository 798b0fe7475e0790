//! `business_active`: a member is legal representative or sole proprietor of a business
//! active at the as-of date, or a shareholder of one whose registered capital exceeds the
//! threshold.
//! Why: running a business is income the means test does not see.
//! Decoys: revoked or cancelled businesses, closed ones, small shareholdings (capital at or
//! below the threshold).

use super::{active_at, match_finding, yuan_standard, At, BuiltIn, Context, Finding, Reads};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::{BusinessRole, BusinessStatus, Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::BusinessActive, business_active).reading(READS);
const READS: Reads = Reads::new(Source::Business, counts);

/// A business active at D (status active, established, not closed) counts when the member
/// is in a disqualifying role, or a shareholder above the capital threshold.
fn counts(at: &At, record: &RegistryRecord) -> bool {
    let RecordDetails::Business {
        role,
        registered_capital,
        status,
        established_on,
        closed_on,
        ..
    } = &record.details
    else {
        return false;
    };
    let settings = &at.pipeline.rules.business_active;
    let large_share = *role == BusinessRole::Shareholder
        && registered_capital.is_some_and(|c| c > settings.shareholder_capital_threshold_yuan);
    *status == BusinessStatus::Active
        && active_at(*established_on, *closed_on, at.as_of)
        && (settings.disqualifying_roles.contains(role) || large_share)
}

fn business_active(context: &Context) -> Vec<Finding> {
    context
        .counted(READS)
        .filter_map(|(m, member, record)| {
            let RecordDetails::Business {
                role,
                business_name,
                uscc,
                registered_capital,
                status,
                established_on,
                ..
            } = &record.details
            else {
                return None;
            };
            let name = business_name.as_deref().unwrap_or("（未填名称）");
            let uscc = uscc
                .as_ref()
                .map(|u| format!("（统一社会信用代码 {u}）"))
                .unwrap_or_default();
            let capital = registered_capital
                .map(|c| format!("，注册资本{}", yuan_standard(c)))
                .unwrap_or_default();
            let evidence = format!(
                "{} {}：{} 为“{name}”{uscc}{}，{}{capital}，{}成立",
                Source::Business.label_zh(),
                record.record_id,
                record.person.name,
                role.label_zh(),
                status.label_zh(),
                established_on.format("%Y-%m-%d"),
            );
            Some(Finding {
                since: Some(*established_on),
                ..match_finding(member, m, record, evidence)
            })
        })
        .collect()
}
