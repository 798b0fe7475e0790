//! The explorer's data: built from a run, through the page's JSON and back, pseudonymized.

use chrono::NaiveDate;

use super::build::Cohort;
use super::wire::*;
use super::*;
use crate::model::{Programme, Reason, Severity, Signal, WarningKind};
use crate::output::ReviewMember;
use crate::rules::warnings::Warning;
use crate::rules::Flag;
use crate::rundir::{FlagRow, FlagStatus, MatchRow, WarningRow};

/// The full IDs of `warnings()`: none may reach a page.
const COVER_ID: &str = "411526195102111029";
const RAISE_ID: &str = "41152619610311122X";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn flag(household_id: &str, reason: Reason, evidence: &str, record_ids: &[&str]) -> FlagRow {
    FlagRow {
        flag: Flag {
            household_id: household_id.into(),
            programme: Programme::DibaoRural,
            region_code: Some("411526101003".into()),
            reason,
            severity: Severity::Medium,
            member_ids: vec![format!("{household_id}-01")],
            evidence: evidence.into(),
            record_ids: record_ids.iter().map(|r| (*r).to_string()).collect(),
            score: 0.987_654,
            overpayment: None,
        },
        status: FlagStatus::New,
        first_flagged_on: date("2025-06-30"),
        finding: None,
    }
}

/// One `should_raise` warning in H1 and one `should_cover` off the roll, placed by the ID's
/// county only; the evidence names the full ID (masked on the way in).
fn warnings() -> Vec<WarningRow> {
    let warning = |kind, person_key: &str, household_id: Option<&str>, region: &str| WarningRow {
        warning: Warning {
            kind,
            person_key: person_key.into(),
            name: "赵一".into(),
            region_code: Some(region.into()),
            household_id: household_id.map(Into::into),
            signals: vec![Signal::SevereDisability, Signal::MedicalBurden],
            evidence: format!("一级肢体残疾（身份证号{person_key}）</script>"),
            record_ids: vec!["DIS-1".into()],
        },
        warning_id: format!("W{}", &person_key[14..]),
        status: "new".into(),
        first_warned_on: date("2025-05-31"),
    };
    let mut cover = warning(WarningKind::ShouldCover, COVER_ID, None, "411526");
    cover.warning.signals = vec![Signal::MedicalBurden];
    cover.status = "dismissed".into();
    vec![
        warning(
            WarningKind::ShouldRaise,
            RAISE_ID,
            Some("H1"),
            "411526102001",
        ),
        cover,
    ]
}

fn member(household_id: &str) -> ReviewMember {
    ReviewMember {
        household_id: household_id.into(),
        member_id: format!("{household_id}-01"),
        name: "张三".into(),
        masked_id: "411526********123X".into(),
        is_head: true,
    }
}

fn pair(household_id: &str, record_id: &str) -> MatchRow {
    MatchRow {
        household_id: household_id.into(),
        member_id: format!("{household_id}-01"),
        source: "vehicle",
        record_id: record_id.into(),
        method: "probabilistic",
        score: 0.999_123_456,
        id_level: "one_digit",
        name_level: "identical",
        birth_date_level: "equal",
        region_level: "township",
        gender_level: "missing",
        field_weights: vec![5.126, 8.0, 9.3333, 1.0, 0.0],
        prior_weight: -12.5,
        match_weight: 10.9593,
        decision: "accepted",
        note: None,
        expected_namesakes: None,
        name_share: None,
        birth_date_share: None,
        namesake_rate: None,
        region_from: None,
        role: crate::model::Role::Member,
    }
}

fn data() -> ExplorerData {
    let mut invalid = flag("H1", Reason::InvalidId, "身份证号无效</script><!--", &[]);
    invalid.flag.member_ids = vec!["H1-05".into()];
    let flags = [
        flag(
            "H1",
            Reason::VehicleOwned,
            "车辆登记 V-1：张三 名下小型汽车（豫P1）",
            &["V-1"],
        ),
        flag(
            "H2",
            Reason::VehicleOwned,
            "车辆登记 V-2：李四 名下小型汽车（豫P2）",
            &["V-2"],
        ),
        invalid,
    ];
    let run = RunInfo {
        run_id: "r1".into(),
        as_of: "2025-06-30".into(),
        tool_version: "0".into(),
        pipeline: "p".into(),
        households: 2,
        members: 2,
        pseudonymized: false,
    };
    let named = ReviewMember {
        member_id: "H1-05".into(),
        name: "张五".into(),
        masked_id: "4.1152*E+17".into(),
        is_head: false,
        ..member("H1")
    };
    let bystander = ReviewMember {
        member_id: "H1-09".into(),
        is_head: false,
        ..member("H1")
    };
    let cohort = Cohort {
        flags: &flags,
        matches: &[pair("H1", "V-1"), pair("H2", "V-2"), pair("H3", "V-9")],
        members: &[member("H1"), member("H2"), member("H3"), named, bystander],
        warnings: &warnings(),
    };
    ExplorerData::new(run, &cohort, &[])
}

/// Through the page's JSON and back.
fn read_back(data: &ExplorerData) -> ExplorerData {
    let json = serde_json::to_string(&Wire::of(data).unwrap()).unwrap();
    serde_json::from_str::<Wire>(&json).unwrap().data().unwrap()
}

/// The page's decoding, in Rust: index into the dictionaries.
#[test]
fn columns_decode_to_the_flags() {
    let data = data();
    let (d, f) = (&data.dict, &data.flags);
    assert_eq!(d.household, ["H1", "H2"]);
    assert_eq!(f.household, [0, 1, 0]);
    let reasons: Vec<&str> = f
        .reason
        .iter()
        .map(|&r| d.reason[r as usize].as_str())
        .collect();
    assert_eq!(reasons, ["vehicle_owned", "vehicle_owned", "invalid_id"]);
    assert_eq!(d.severity, ["high", "medium", "low"], "high first");
    assert_eq!(f.evidence[1], "车辆登记 V-2：李四 名下小型汽车（豫P2）");
    assert_eq!(f.score, [Some(0.9877); 3], "four decimals, as flags.csv");
    assert_eq!(d.verdict[f.verdict[0] as usize], "", "no finding");
    let region = f.region[0] as usize;
    assert_eq!(d.county[data.regions.county[region] as usize], "411526");
    assert_eq!(
        d.township[data.regions.township[region] as usize],
        "411526101000"
    );
    // Heads and named members of flagged households only, household by household, with
    // masked IDs; H3 has no flag and H1-09 is neither head nor named. H1-05 was named
    // after H2's head was listed.
    assert_eq!(data.members.id, ["H1-01", "H1-05", "H2-01"]);
    assert_eq!(data.members.household, [0, 0, 1]);
    assert_eq!(data.members.head, [1, 0, 1]);
    assert_eq!(data.members.masked_id[0], "411526********123X");
    assert_eq!(f.members, [vec![0], vec![2], vec![1]]);
    // Matches behind flags only, with one shared comparison, weights to two decimals.
    assert_eq!(data.matches.record.len(), 2);
    assert_eq!(data.matches.member, [0, 2]);
    assert_eq!(data.comparisons.len(), 1);
    let comparison = &data.comparisons[0];
    assert_eq!(comparison.weights[0], Some(5.13));
    assert_eq!(comparison.score, Some(0.999_123));
    assert_eq!(data.labels["level"]["id:one_digit"], "身份证号差一位");
    assert!(data.labels["level"]["gender:missing"].starts_with("未比对"));
}

#[test]
fn nothing_in_the_data_ends_the_script_block() {
    let html = render(&data()).unwrap();
    let start = html.find(DATA_OPEN).unwrap() + DATA_OPEN.len();
    let block = &html[start..start + html[start..].find("</script>").unwrap()];
    assert!(!block.contains('<') && !block.contains("<!--"), "{block}");
    assert!(block.contains(r"身份证号无效\u003c/script\u003e\u003c!--"));
    let back: Wire = serde_json::from_str(block).unwrap();
    assert_eq!(
        back.data().unwrap(),
        data(),
        "the page's JSON reads back as written"
    );
    assert!(!SCRIPT.contains("</script") && !STYLE.contains("</style"));
}

#[test]
fn findings_are_written_where_there_are_some() {
    let mut data = data();
    let wire = Wire::of(&data).unwrap();
    assert_eq!(
        wire.flags.finding.flag.as_deref(),
        Some("1"),
        "none: no rows"
    );
    assert_eq!(wire.flags.finding.verdict, "1");
    // One finding of three: that row only.
    data.flags.verdict[2] = 1;
    data.flags.reviewer[2] = 1;
    data.dict.reviewer.push("王五".into());
    let wire = Wire::of(&data).unwrap();
    assert_eq!(wire.flags.finding.flag.as_deref(), Some("12"));
    assert_eq!(read_back(&data), data);
    // Two of three: every row.
    data.flags.reviewed_on[0] = 1;
    assert!(Wire::of(&data).unwrap().flags.finding.flag.is_none());
    assert_eq!(read_back(&data), data);
}

#[test]
fn packed_columns_read_back() {
    for values in [
        vec![],
        vec![0, 1, 63],
        vec![64, 0, 4095],
        vec![4096, 262_143, 262_144],
        vec![u32::MAX, 0, 7],
    ] {
        assert_eq!(unpack(&pack(&values)).unwrap(), values, "{values:?}");
    }
    assert_eq!(pack(&[0, 1, 10, 63]), "101A_");
    assert_eq!(pack(&[64, 4095]), "210__");
    assert_eq!(pack(&[]), "1");
    for bad in ["", "0", "7000000", "2A", "1*", "6zzzzzz"] {
        assert!(unpack(bad).is_err(), "{bad}");
    }
}

#[test]
fn evidence_is_shapes_and_phrases_and_reads_back() {
    let mut texts: Vec<String> = (0..40)
        .map(|k| {
            format!(
                "车辆登记 V-{k:07}：张{k} 名下小型汽车（豫P{k}），2024-01-0{}登记",
                k % 9
            )
        })
        .collect();
    texts.extend([
        String::new(),
        "a|b~c||~~|".into(),
        "~".into(),
        "|".into(),
        "无（全角），也无数字".into(),
        "无（全角），也无数字".into(),
        "𝄞 12 ab".into(),
    ]);
    let reasons: Vec<u32> = (0..texts.len()).map(|k| u32::from(k >= 40)).collect();
    let wire = EvidenceWire::of(&texts, &reasons);
    assert_eq!(wire.texts().unwrap(), texts);
    assert!(
        wire.templates
            .iter()
            .any(|t| t.starts_with("车辆登记 V-|：") && t.contains(" 名下小型汽车（豫P|）")),
        "{:?}",
        wire.templates
    );
    assert!(wire.templates.contains(&String::new()), "empty evidence");
    // `|` and `~` only ever as codes and separators.
    assert!(wire.phrases.contains(&"|".to_string()) && wire.phrases.contains(&"~".to_string()));
    let none = EvidenceWire::of(&[String::new(), String::new()], &[0, 0]);
    assert_eq!(none.templates, [""]);
    assert_eq!(none.values, "");
    assert_eq!(none.texts().unwrap(), ["", ""]);
    let one = EvidenceWire::of(&["x".into()], &[0]);
    assert_eq!(one.texts().unwrap(), ["x"]);
    assert_eq!(
        tokens("P-0318164 杨家（企业职工养老金，4318.27元/月）"),
        [
            "P-",
            "0318164",
            " ",
            "杨家（",
            "企业职工养老金，",
            "4318",
            ".",
            "27",
            "元/月）"
        ]
    );
}

#[test]
fn members_read_back_household_by_household() {
    let households = ["H1".to_string(), "H2".into(), "H3".into()];
    let masked = [
        "411526********123X",
        "",
        "4.1152*E+17",
        "12345",
        "4115**𝄞x*",
        "***",
    ];
    let members = MemberColumns {
        id: ["H1-01", "H1-02", "X-7", "H3-01", "H3", "H3-02"]
            .map(String::from)
            .to_vec(),
        household: vec![0, 0, 0, 2, 2, 2],
        name: ["张三", "", "李四", "张三", "王　五", "张三"]
            .map(String::from)
            .to_vec(),
        masked_id: masked.map(String::from).to_vec(),
        head: vec![1, 0, 0, 1, 0, 0],
    };
    let wire = MemberWire::of(&members, &households).unwrap();
    assert_eq!(wire.count, "1303");
    assert_eq!(wire.id.other, ["X-7"]);
    assert_eq!(wire.masked_id.tail, "123XE+1712345𝄞x*");
    assert_eq!(wire.name.values, ["张三", "", "李四", "王　五"]);
    assert_eq!(wire.columns(&households).unwrap(), members);
    let mut unsorted = members.clone();
    unsorted.household = vec![0, 2, 0, 2, 2, 2];
    assert!(MemberWire::of(&unsorted, &households).is_err());
}

#[test]
fn pseudonymized_pages_keep_no_names_ids_or_evidence() {
    let html = render(&data()).unwrap();
    let page = pseudonymized(&html, |id| format!("p_{}", id.len())).unwrap();
    for gone in [
        "张三",
        "张五",
        "李四",
        "123X",
        "E+17",
        "H1",
        "V-1",
        "名下小型汽车",
        "豫P1",
    ] {
        assert!(
            !page.contains(gone),
            "{gone} left in the pseudonymized page"
        );
    }
    assert!(page.contains("假名化副本"));
}

#[test]
fn warnings_decode_with_the_flags_regions_and_masked_ids() {
    let data = data();
    let (d, w) = (&data.dict, &data.warnings);
    let kinds: Vec<&str> = w
        .kind
        .iter()
        .map(|&k| d.warning[k as usize].as_str())
        .collect();
    assert_eq!(kinds, ["should_raise", "should_cover"]);
    assert_eq!(d.warning_status[w.status[1] as usize], "dismissed");
    assert_eq!(w.masked_id, ["411526********122X", "411526********1029"]);
    assert_eq!(w.household, ["H1", ""]);
    assert_eq!(w.warning_id, ["W122X", "W1029"]);
    let signals: Vec<Vec<&str>> = w
        .signals
        .iter()
        .map(|list| {
            list.iter()
                .map(|&s| d.signal[s as usize].as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        signals,
        [
            vec!["severe_disability", "medical_burden"],
            vec!["medical_burden"]
        ]
    );
    // Regions share the flags' dictionaries: the county filter means the same in both views;
    // a person placed by the ID's county only has no township.
    let township =
        |region: u32| d.township[data.regions.township[region as usize] as usize].as_str();
    assert_eq!(township(w.region[0]), "411526102000");
    assert_eq!(township(w.region[1]), "411526");
    assert_eq!(
        d.county[data.regions.county[w.region[1] as usize] as usize],
        "411526"
    );
    assert_eq!(d.date[w.first_warned_on[0] as usize], "2025-05-31");
    assert!(
        w.evidence[0].contains("411526********122X"),
        "{}",
        w.evidence[0]
    );
    assert_eq!(data.labels["warning"]["should_cover"], "应纳未纳");
    assert_eq!(data.labels["signal"]["severe_disability"], "重度残疾");
    assert!(!data.warning_columns.contains(&"person_key".to_string()));
    assert_eq!(read_back(&data), data);
}

#[test]
fn no_full_id_anywhere_in_the_page() {
    let html = render(&data()).unwrap();
    for id in [COVER_ID, RAISE_ID] {
        assert!(!html.contains(id), "{id} in the page");
        // Nor the birth date it holds.
        assert!(!html.contains(&id[6..14]), "{} in the page", &id[6..14]);
    }
    assert!(html.contains("411526********1029") && html.contains("W1029"));
    assert!(html.contains("预警线索"));
}

#[test]
fn pseudonymized_pages_keep_warnings_without_names_or_ids() {
    let page = pseudonymized(&render(&data()).unwrap(), |id| format!("p_{}", id.len())).unwrap();
    let start = page.find(DATA_OPEN).unwrap() + DATA_OPEN.len();
    let block = &page[start..start + page[start..].find("</script>").unwrap()];
    let back = serde_json::from_str::<Wire>(block).unwrap().data().unwrap();
    let w = &back.warnings;
    assert_eq!(w.warning_id, ["p_5", "p_5"]);
    assert_eq!(w.household, ["p_2", ""]);
    assert!(w
        .name
        .iter()
        .chain(&w.masked_id)
        .chain(&w.evidence)
        .all(String::is_empty));
    assert_eq!(
        w.kind.len(),
        2,
        "still counted by kind, region, signal and status"
    );
    for gone in ["赵一", "122X", "1029", "一级肢体残疾"] {
        assert!(
            !block.contains(gone),
            "{gone} left in the pseudonymized page"
        );
    }
}
