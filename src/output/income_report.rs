//! The report's section on household income (contract v3, "Supporters"): per county and
//! township, households by tier (低保, 低保边缘, over) and by the action `income.parquet`
//! proposes (stop, reduce, increase, keep), with the monthly yuan at stake: what stopping
//! and reducing would save, what increasing would add.

use maud::{html, Markup};

use super::places::{by_place, place_row, ByPlace};
use crate::rules::income::{Action, HouseholdIncome, Tier};

/// Counts and yuan for one county or township.
#[derive(Debug, Default, Clone, PartialEq)]
struct Row {
    households: usize,
    tiers: [usize; 3],
    actions: [usize; 4],
    /// Monthly yuan: stopped, reduced, increased.
    yuan: [f64; 3],
}

impl Row {
    fn add(&mut self, h: &HouseholdIncome) {
        self.households += 1;
        if let Some(tier) = h.tier {
            self.tiers[match tier {
                Tier::Dibao => 0,
                Tier::Edge => 1,
                Tier::None => 2,
            }] += 1;
        }
        let entitled = h.entitlement_yuan.unwrap_or(0.0);
        if let Some(action) = h.action {
            let (i, at_stake) = match action {
                Action::Stop => (0, Some((0, h.paid_yuan))),
                Action::Reduce => (1, Some((1, h.paid_yuan - entitled))),
                Action::Increase => (2, Some((2, entitled - h.paid_yuan))),
                Action::Keep => (3, None),
            };
            self.actions[i] += 1;
            if let Some((j, yuan)) = at_stake {
                self.yuan[j] += yuan;
            }
        }
    }
}

/// The section's body: one row per county (its total) and per township under it.
pub fn render(households: &[HouseholdIncome]) -> Markup {
    let rows: ByPlace<Row> = by_place(
        households
            .iter()
            .filter(|h| h.standard.is_some())
            .map(|h| (h.region_code.as_deref(), h)),
        Row::add,
    );
    html! {
        p {
            "按家庭收入（成员养老金、社保缴费基数推算的工资、赡养义务人应付赡养费）测算每户应享待遇；“停发/减发/增发”为与现发金额比较的建议，需入户核实。"
            " Entitlement from household income (pensions, wages from contribution bases, support owed by supporters) against what is paid: proposals to verify, not decisions."
        }
        @if rows.is_empty() {
            p { "无可测算的家庭（临时救助不测算）。No household with an income standard." }
        } @else {
            table {
                tr {
                    th { "县区 county" } th { "乡镇 township" } th { "户数 households" }
                    th { "低保 dibao" } th { "边缘 edge" } th { "超出 over" }
                    th { "停发 stop" } th { "减发 reduce" } th { "增发 increase" } th { "维持 keep" }
                    th { "停发金额/月 stopped" } th { "减发金额/月 reduced" } th { "增发金额/月 added" }
                }
                @for ((county, township), row) in &rows {
                    (place_row(county, township, &html! {
                        td class="num" { (row.households) }
                        @for n in row.tiers { td class="num" { (n) } }
                        @for n in row.actions { td class="num" { (n) } }
                        @for yuan in row.yuan { td class="num" { (format!("{yuan:.2}")) } }
                    }))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Programme;
    use crate::rules::income::Standard;

    fn household(
        id: &str,
        region: &str,
        paid: f64,
        entitled: f64,
        action: Action,
    ) -> HouseholdIncome {
        HouseholdIncome {
            household_id: id.into(),
            programme: Programme::DibaoRural,
            region_code: Some(region.into()),
            n_members: 1,
            pension_yuan: 0.0,
            wage_yuan: 0.0,
            support_yuan: 0.0,
            income_yuan: 0.0,
            per_capita_yuan: 0.0,
            standard: Some(Standard {
                yuan: 600.0,
                region: None,
                from: None,
            }),
            entitlement_yuan: Some(entitled),
            paid_yuan: paid,
            action: Some(action),
            tier: Some(Tier::Dibao),
            member_ids: Vec::new(),
            details: Vec::new(),
            dated: Vec::new(),
            record_ids: Vec::new(),
            score: 1.0,
        }
    }

    #[test]
    fn yuan_at_stake_is_what_each_action_changes() {
        let mut row = Row::default();
        for h in [
            household("H1", "411526101001", 600.0, 0.0, Action::Stop),
            household("H2", "411526101001", 600.0, 120.0, Action::Reduce),
            household("H3", "411526101001", 100.0, 300.0, Action::Increase),
            household("H4", "411526101001", 300.0, 290.0, Action::Keep),
        ] {
            row.add(&h);
        }
        assert_eq!(row.households, 4);
        assert_eq!(row.actions, [1, 1, 1, 1]);
        let yuan = row.yuan.map(|y| format!("{y:.2}"));
        assert_eq!(yuan, ["600.00", "480.00", "200.00"]);
    }

    #[test]
    fn townships_sit_under_their_county_total() {
        let text = render(&[
            household("H1", "411526101001", 600.0, 0.0, Action::Stop),
            household("H2", "411526102001", 600.0, 120.0, Action::Reduce),
        ])
        .into_string();
        let county = text.find("合计 all").unwrap();
        let first = text.find("411526101000").unwrap();
        let second = text.find("411526102000").unwrap();
        assert!(county < first && first < second, "{text}");
        assert!(
            text.contains("<td class=\"num\">1080.00</td>") || text.contains(">600.00<"),
            "{text}"
        );
    }
}
