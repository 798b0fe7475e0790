//! `cadre_relative`: a member is the relative named in a cadre-relatives record.
//! Why: not disqualifying by itself, but such entries must be reviewed openly.
//! Decoys: a member who is the cadre (only the `relative_*` side links).

use super::{match_finding, Context, Finding};
use crate::ingest::RecordDetails;
use crate::model::Source;

pub fn cadre_relative(context: &Context) -> Vec<Finding> {
    context
        .accepted(Source::CadreRelatives)
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
