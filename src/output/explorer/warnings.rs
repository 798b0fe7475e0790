//! The early warnings (预警线索) the explorer shows beside the flags: per warning its kind, id,
//! name and masked ID, region, household (`should_raise`), signals, evidence, status and first
//! date, coded through the flags' dictionaries (regions and dates are shared, so the county and
//! township filters mean the same in both views); their form on the page (`WarningWire`); and
//! what `pseudonymize` leaves of them. The person key (the full ID) never enters the page: the
//! masked ID is made here, and IDs in evidence are masked again on the way in.

use serde::{Deserialize, Serialize};

use super::build::Dicts;
use super::wire::{pack, unpack, Coded, ListWire};
use crate::normalize::{mask_id, mask_ids_in_text};
use crate::rundir::{WarningRow, WARNING_COLUMNS};

/// A warning's statuses (`review::warnings`), in the order a caseworker meets them, with the
/// page's Chinese labels.
pub(super) const STATUSES: [(&str, &str); 6] = [
    ("new", "新增"),
    ("persisting", "持续"),
    ("enrolled", "已纳入（情况属实）"),
    ("raised", "已提标（情况属实）"),
    ("dismissed", "情况不属实"),
    ("unverifiable", "无法核实"),
];

/// The export's columns: warnings.csv's, with the masked ID where it has the person key.
pub(super) fn export_columns() -> Vec<String> {
    WARNING_COLUMNS
        .iter()
        .map(|&c| if c == "person_key" { "masked_id" } else { c }.to_string())
        .collect()
}

/// The warnings as columns; codes index `dict.warning`, `dict.region`, `dict.signal`,
/// `dict.warning_status` and `dict.date`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct WarningColumns {
    pub(super) kind: Vec<u32>,
    pub(super) warning_id: Vec<String>,
    pub(super) name: Vec<String>,
    /// Region code + last 4 only.
    pub(super) masked_id: Vec<String>,
    pub(super) region: Vec<u32>,
    /// `""` for `should_cover`: a person off the roll has no household.
    pub(super) household: Vec<String>,
    pub(super) signals: Vec<Vec<u32>>,
    pub(super) evidence: Vec<String>,
    pub(super) status: Vec<u32>,
    pub(super) first_warned_on: Vec<u32>,
}

impl WarningColumns {
    pub(super) fn of(rows: &[WarningRow], dict: &mut Dicts) -> WarningColumns {
        let mut columns = WarningColumns::default();
        for row in rows {
            let w = &row.warning;
            columns.kind.push(dict.warning.code(w.kind.code()));
            columns.warning_id.push(row.warning_id.clone());
            columns.name.push(w.name.clone());
            columns.masked_id.push(mask_id(&w.person_key));
            columns.region.push(dict.region(w.region_code.as_deref()));
            columns
                .household
                .push(w.household_id.clone().unwrap_or_default());
            columns.signals.push(
                w.signals
                    .iter()
                    .map(|s| dict.signal.code(s.code()))
                    .collect(),
            );
            columns.evidence.push(mask_ids_in_text(&w.evidence));
            columns.status.push(dict.warning_status.code(&row.status));
            columns
                .first_warned_on
                .push(dict.date.code(&row.first_warned_on.to_string()));
        }
        columns
    }

    /// Ids become pseudonyms; names, masked IDs and evidence go (as members' do).
    pub(super) fn pseudonymize(&mut self, pseudonym: &impl Fn(&str) -> String) {
        for id in self
            .warning_id
            .iter_mut()
            .chain(self.household.iter_mut())
            .filter(|v| !v.is_empty())
        {
            *id = pseudonym(id);
        }
        for text in self
            .name
            .iter_mut()
            .chain(self.masked_id.iter_mut())
            .chain(self.evidence.iter_mut())
        {
            text.clear();
        }
    }
}

/// The warnings as the page gets them: codes packed, households dictionary-coded (most are
/// `""`); warnings are few beside flags, so the texts go as they are.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WarningWire {
    pub(super) kind: String,
    pub(super) warning_id: Vec<String>,
    pub(super) name: Vec<String>,
    pub(super) masked_id: Vec<String>,
    pub(super) region: String,
    pub(super) household: Coded<String>,
    pub(super) signals: ListWire,
    pub(super) evidence: Vec<String>,
    pub(super) status: String,
    pub(super) first_warned_on: String,
}

impl WarningWire {
    pub(super) fn of(columns: &WarningColumns) -> WarningWire {
        WarningWire {
            kind: pack(&columns.kind),
            warning_id: columns.warning_id.clone(),
            name: columns.name.clone(),
            masked_id: columns.masked_id.clone(),
            region: pack(&columns.region),
            household: Coded::of(&columns.household, Clone::clone),
            signals: ListWire::of(&columns.signals),
            evidence: columns.evidence.clone(),
            status: pack(&columns.status),
            first_warned_on: pack(&columns.first_warned_on),
        }
    }

    pub(super) fn columns(self) -> Result<WarningColumns, String> {
        let columns = WarningColumns {
            kind: unpack(&self.kind)?,
            region: unpack(&self.region)?,
            household: self.household.items()?,
            signals: self.signals.lists()?,
            status: unpack(&self.status)?,
            first_warned_on: unpack(&self.first_warned_on)?,
            warning_id: self.warning_id,
            name: self.name,
            masked_id: self.masked_id,
            evidence: self.evidence,
        };
        let n = columns.kind.len();
        let lengths = [
            ("warning_id", columns.warning_id.len()),
            ("name", columns.name.len()),
            ("masked_id", columns.masked_id.len()),
            ("region", columns.region.len()),
            ("household", columns.household.len()),
            ("signals", columns.signals.len()),
            ("evidence", columns.evidence.len()),
            ("status", columns.status.len()),
            ("first_warned_on", columns.first_warned_on.len()),
        ];
        match lengths.iter().find(|(_, len)| *len != n) {
            Some((what, len)) => Err(format!("{len} rows of warnings.{what}, not {n}")),
            None => Ok(columns),
        }
    }
}
