//! `income_over_standard`: a dibao household's per-capita income at D (members' pensions and
//! wages, plus the support their supporters owe) exceeds its standard, strictly.
//! Why: eligibility is decided by household income (差额发放), not by single assets.
//! Decoys: a household exactly at the standard, one already flagged `pension_income` (the
//! same pensions would flag twice), tekun and linshi households, ended contributions.

use super::income::HouseholdIncome;
use super::{pension_income, yuan_standard, BuiltIn, Context, Finding};
use crate::model::{Programme, Reason};

pub const RULE: BuiltIn =
    BuiltIn::new(Reason::IncomeOverStandard, income_over_standard).unless(Reason::PensionIncome);

fn income_over_standard(context: &Context) -> Vec<Finding> {
    context
        .incomes
        .households
        .iter()
        .filter(|h| matches!(h.programme, Programme::DibaoUrban | Programme::DibaoRural))
        .filter_map(|h| {
            let standard = h.standard.as_ref()?;
            (h.per_capita_yuan > standard.yuan).then(|| Finding {
                household_id: h.household_id.clone(),
                member_ids: h.member_ids.clone(),
                record_ids: h.record_ids.clone(),
                evidence: format!(
                    "家庭月收入{}（{}），共{}人，人均{}，超过{}；{}",
                    yuan_standard(h.income_yuan),
                    parts(h).join("，"),
                    h.n_members,
                    yuan_standard(h.per_capita_yuan),
                    standard.describe(h.programme),
                    h.details.join("；")
                ),
                score: h.score,
                since: since(h, standard.yuan),
            })
        })
        .collect()
}

/// When income went over the standard: the earliest member's pension or wage that alone
/// (with the support owed) lifts it over, else the start of the last one needed; none when
/// support owed alone lifts it over (no record dates that).
fn since(h: &HouseholdIncome, standard: f64) -> Option<chrono::NaiveDate> {
    #[allow(clippy::cast_precision_loss)]
    let over = |amount: f64| (amount + h.support_yuan) / h.n_members as f64 > standard;
    if over(0.0) {
        return None;
    }
    pension_income::since(h.dated.clone(), over)
}

/// Each part of the income that is not nil: `养老金1200元`, `工资1000元（社保缴费基数）`,
/// `赡养费150元`.
fn parts(h: &HouseholdIncome) -> Vec<String> {
    [
        (h.pension_yuan, "养老金", ""),
        (h.wage_yuan, "工资", "（社保缴费基数）"),
        (h.support_yuan, "赡养费", ""),
    ]
    .into_iter()
    .filter(|(yuan, _, _)| *yuan > 0.0)
    .map(|(yuan, part, basis)| format!("{part}{}{basis}", yuan_standard(yuan)))
    .collect()
}
