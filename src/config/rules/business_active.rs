//! `[rules.business_active]`: which roles in an active business disqualify (contract default:
//! legal representative and sole proprietor), and above what registered capital a
//! shareholder does (100,000 yuan).

use serde::Deserialize;

use super::RuleSpec;
use crate::model::{BusinessRole, Reason, Severity};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    enabled: Option<bool>,
    severity: Option<Severity>,
    disqualifying_roles: Option<Vec<BusinessRole>>,
    shareholder_capital_threshold_yuan: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BusinessActive {
    pub disqualifying_roles: Vec<BusinessRole>,
    pub shareholder_capital_threshold_yuan: f64,
}

pub(super) fn resolve(raw: Raw, problems: &mut Vec<String>) -> (RuleSpec, BusinessActive) {
    let threshold = raw.shareholder_capital_threshold_yuan.unwrap_or(100_000.0);
    if !(threshold.is_finite() && threshold >= 0.0) {
        problems.push(format!(
            "rules.business_active.shareholder_capital_threshold_yuan: must be a non-negative number, got {threshold}"
        ));
    }
    let settings = BusinessActive {
        disqualifying_roles: raw
            .disqualifying_roles
            .unwrap_or_else(|| vec![BusinessRole::LegalRep, BusinessRole::SoleProprietor]),
        shareholder_capital_threshold_yuan: threshold,
    };
    (
        RuleSpec::of(Reason::BusinessActive, raw.enabled, raw.severity),
        settings,
    )
}
