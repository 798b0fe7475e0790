//! The report's section on leads (待核实线索): per township, how many its workbook shows and
//! how many `[review] max_leads_per_township` held back (all are in leads.parquet, `shown`
//! false for those), so that no doubt is dropped unseen; and the records each registry is
//! asked about (`assist_request`).

use maud::{html, Markup};

use crate::review::outcomes::leads_per_township;
use crate::rundir::LeadRow;

/// The leads per township, most held back first.
pub fn render(leads: &[LeadRow]) -> Markup {
    if leads.is_empty() {
        return html! { p { "无待核实线索。No leads." } };
    }
    let mut townships: Vec<(String, (usize, usize))> =
        leads_per_township(leads).into_iter().collect();
    townships.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then_with(|| a.0.cmp(&b.0)));
    let held_back: usize = townships.iter().map(|(_, (_, held))| held).sum();
    html! {
        p {
            "共 " (leads.len()) " 条线索，工作簿列出 " (leads.len() - held_back)
            " 条，超出每乡镇上限未列 " (held_back) " 条（全部见 leads.parquet，shown 列）。"
            " Leads " (leads.len()) ", shown " (leads.len() - held_back)
            ", held back over the township cap " (held_back) "."
        }
        table {
            tr {
                th { "乡镇 township" }
                th { "列出 shown" }
                th { "超出上限未列 held back" }
            }
            @for (township, (shown, held)) in &townships {
                tr { td { (township) } td { (shown) } td { (held) } }
            }
        }
        @let asked = super::assist_request::questions(leads);
        @if !asked.is_empty() {
            p {
                "协查请求（assist/协查_<来源>.xlsx，请登记机关填写身份证号后导入）Assistance requests: "
                @for (i, (source, records)) in asked.iter().enumerate() {
                    @if i > 0 { "，" }
                    (source) " " (records.len()) " 条"
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Reason, Severity};

    fn lead(region: &str, shown: bool) -> LeadRow {
        LeadRow {
            household_id: "H1".into(),
            member_id: "H1-01".into(),
            reason: Reason::VehicleOwned,
            severity: Severity::Medium,
            source: "vehicle".into(),
            source_label: "车辆登记".into(),
            record_id: "V-1".into(),
            probability: 0.9,
            comparison: String::new(),
            region_code: Some(region.into()),
            expected_namesakes: None,
            shown,
            question: None,
            member_id_digest: None,
        }
    }

    #[test]
    fn every_township_counts_what_it_shows_and_holds_back() {
        let leads = [
            lead("411526101001", true),
            lead("411526101002", false),
            lead("411526102001", true),
        ];
        let page = render(&leads).into_string();
        assert!(page.contains("超出每乡镇上限未列 1 条"), "{page}");
        assert!(
            page.contains("<td>411526101000</td><td>1</td><td>1</td>"),
            "{page}"
        );
        assert!(
            page.contains("<td>411526102000</td><td>1</td><td>0</td>"),
            "{page}"
        );
    }
}
