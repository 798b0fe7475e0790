//! Pipeline files end to end: defaults, the shipped pipeline, and errors that name their key.

use super::*;
use crate::model::{Reason, Severity};

fn parse(text: &str) -> Result<Pipeline, ConfigError> {
    Pipeline::parse(text, Path::new("pipelines/test.toml"))
}

#[test]
fn minimal_pipeline_gets_contract_defaults() {
    let pipeline = parse("[sources.roll]\n").unwrap();
    assert_eq!(
        pipeline
            .programme(Programme::DibaoUrban)
            .per_capita_standard_yuan,
        Some(800.0)
    );
    assert_eq!(
        pipeline
            .programme(Programme::Linshi)
            .per_capita_standard_yuan,
        None
    );
    assert_eq!(
        pipeline.rules.spec(Reason::CadreRelative).severity,
        Severity::Low
    );
    assert!(
        (pipeline
            .rules
            .business_active
            .shareholder_capital_threshold_yuan
            - 100_000.0)
            .abs()
            < f64::EPSILON
    );
}

/// The shipped nightly pipeline spells out the code's defaults: a pipeline that names
/// only its sources resolves to the same programmes, rules, link and review settings.
#[test]
fn county_nightly_resolves_to_the_code_defaults() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/county-nightly.toml");
    let shipped = Pipeline::load(&shipped).unwrap();
    let sources = Source::ALL
        .iter()
        .map(|s| format!("[sources.{}]", s.code()))
        .collect::<Vec<_>>()
        .join("\n");
    let defaults = parse(&sources).unwrap();
    assert_eq!(shipped.programmes, defaults.programmes);
    assert_eq!(shipped.rules, defaults.rules);
    // The one value the county pipeline sets apart from the code: a county's
    // registries cover a county's people, the default a province's.
    assert!((shipped.link.default_population - 1_000_000.0).abs() < 1e-9);
    assert!((defaults.link.default_population - DEFAULT_POPULATION).abs() < 1e-9);
    let shipped_link = LinkSpec {
        default_population: DEFAULT_POPULATION,
        ..shipped.link.clone()
    };
    assert_eq!(shipped_link, defaults.link);
    assert_eq!(shipped.review, defaults.review);
    assert_eq!(shipped.supporters, defaults.supporters);
    assert_eq!(shipped.income, defaults.income);
    assert_eq!(shipped.warning, defaults.warning);
    assert_eq!(shipped.outcomes, defaults.outcomes);
    assert_eq!(shipped.recheck, defaults.recheck);
    assert_eq!(
        shipped.sources.keys().collect::<Vec<_>>(),
        defaults.sources.keys().collect::<Vec<_>>()
    );
}

#[test]
fn unknown_key_is_named_with_its_path() {
    let err = parse("[sources.roll]\n[rules.vehicle_owned]\nexempt = []\n").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("pipelines/test.toml"), "{message}");
    assert!(message.contains("rules.vehicle_owned"), "{message}");
    assert!(message.contains("exempt"), "{message}");
}

/// Asserts that `text` is refused with an error that names `key`.
fn assert_refused_naming(text: &str, key: &str) {
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains(key), "{key} not in {err}");
}

#[test]
fn wrong_type_is_named_with_its_path() {
    assert_refused_naming(
        "[sources.roll]\n[programmes.dibao_urban]\nper_capita_standard_yuan = \"800\"\n",
        "programmes.dibao_urban.per_capita_standard_yuan",
    );
}

#[test]
fn unknown_source_and_missing_roll_are_reported_together() {
    let err = parse("[sources.deaths]\n").unwrap_err().to_string();
    assert!(err.contains("sources.deaths: unknown source"), "{err}");
    assert!(err.contains("person"), "{err}");
    assert!(
        err.contains("sources.roll: the roll source is required"),
        "{err}"
    );
}

#[test]
fn a_local_registry_and_a_sql_rule_resolve() {
    let pipeline = parse(
        "[sources.roll]\n[sources.hukou]\nlabel = \"户籍\"\nperson = { name = \"姓名\", id_number = \"身份证号\" }\n\
         [sources.hukou.fields]\nhukou_no = { column = \"户号\", type = \"text\" }\n\
         moved_out = { column = \"迁出日期\", type = \"date\", required = false }\n\
         [rules.size_differs]\nlabel = \"户籍人口不符\"\nseverity = \"low\"\nsql = \"SELECT 1\"\n",
    )
    .unwrap();
    let source = Source::named("hukou").unwrap();
    assert!(source.is_local());
    assert_eq!(source.label_zh(), "户籍");
    let registry = pipeline.sources[&source].local.as_ref().unwrap();
    assert_eq!(registry.name_column, "姓名");
    assert_eq!(registry.birth_column, None);
    let fields: Vec<(&str, FieldType, bool)> = registry
        .fields
        .iter()
        .map(|f| (f.name, f.kind, f.required))
        .collect();
    assert_eq!(
        fields,
        [
            ("hukou_no", FieldType::Text, true),
            ("moved_out", FieldType::Date, false)
        ]
    );
    let rule = &pipeline.rules.sql[0];
    assert_eq!(rule.reason.code(), "size_differs");
    assert_eq!(rule.reason.label_zh(), "户籍人口不符");
    assert_eq!(pipeline.rules.spec(rule.reason).severity, Severity::Low);
    assert_eq!(pipeline.rules.reasons().last(), Some(&rule.reason));
}

#[test]
fn local_names_that_would_clash_are_refused_with_their_keys() {
    let err = parse(
        "[sources.roll]\n[sources.members]\nperson = { name = \"姓名\" }\n\
         [sources.tax]\nperson = { name = \"姓名\" }\n[sources.tax.fields]\nname = { column = \"x\", type = \"text\" }\n\
         [sources.hukou]\nperson = { name = \"姓名\", address = \"住址\" }\n[sources.hukou.fields]\naddress = { column = \"地址\", type = \"text\" }\n\
         [sources.death]\nperson = { name = \"姓名\" }\n\
         [rules.no_sql]\nlabel = \"无\"\n",
    )
    .unwrap_err()
    .to_string();
    for key in [
        "sources.members:",
        "sources.tax.fields.name:",
        "sources.hukou.fields.address: `address` is the person's address",
        "sources.death.person:",
        "rules.no_sql.sql:",
    ] {
        assert!(err.contains(key), "{key} not in {err}");
    }
    let err = parse("[sources.roll]\n[rules.invalid_id]\nsql = \"SELECT 1\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rules.invalid_id: `invalid_id` is a built-in reason"),
        "{err}"
    );
}

#[test]
fn bad_enum_value_names_key() {
    assert_refused_naming(
        "[sources.roll]\n[rules.vehicle_owned]\nexempt_vehicle_types = [\"bicycle\"]\n",
        "rules.vehicle_owned.exempt_vehicle_types",
    );
}

#[test]
fn unknown_relations_and_signals_name_their_key() {
    let err = Pipeline::parse(
        "[sources.roll]\n[supporters]\nrelations = [\"child\", \"cousin\"]\n[warning]\ncover_signals = [\"poverty\"]\nmax_grade = 5\n",
        Path::new("pipelines/test.toml"),
    )
    .unwrap_err()
    .to_string();
    for expected in [
        "supporters.relations: unknown value `cousin`",
        "warning.cover_signals: unknown value `poverty`",
        "warning.max_grade: 5",
    ] {
        assert!(err.contains(expected), "`{expected}` not in: {err}");
    }
}
