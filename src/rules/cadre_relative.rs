//! `cadre_relative`: a member is the relative named in a cadre-relatives record.
//! Why: not disqualifying by itself, but such entries must be reviewed openly.
//! Decoys: a member who is the cadre (only the `relative_*` side links).

use super::{match_finding, At, BuiltIn, Context, Finding, Reads};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::{Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::CadreRelative, cadre_relative).reading(READS);
const READS: Reads = Reads::new(Source::CadreRelatives, counts);

/// Every record naming the member as a cadre's relative counts: it is there to be reviewed.
fn counts(_: &At, record: &RegistryRecord) -> bool {
    matches!(record.details, RecordDetails::CadreRelative { .. })
}

fn cadre_relative(context: &Context) -> Vec<Finding> {
    context
        .counted(READS)
        .filter_map(|(m, member, record)| {
            let RecordDetails::CadreRelative {
                cadre_name,
                cadre_post,
                relationship,
                ..
            } = &record.details
            else {
                return None;
            };
            let cadre = cadre_name.as_deref().unwrap_or("（未填姓名）");
            let post = cadre_post
                .as_ref()
                .map(|p| format!("（{p}）"))
                .unwrap_or_default();
            let relationship = relationship
                .as_ref()
                .map_or_else(|| "的亲属".into(), |r| format!("的{r}"));
            let evidence = format!(
                "{} {}：{} 为村干部 {cadre}{post}{relationship}",
                Source::CadreRelatives.label_zh(),
                record.record_id,
                record.person.name,
            );
            Some(match_finding(member, m, record, evidence))
        })
        .collect()
}
