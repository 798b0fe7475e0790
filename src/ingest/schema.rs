//! Column names of every source (the contract's names are the constants), their Chinese
//! aliases, and which are required. Headers are matched case-insensitively after NFKC.

use unicode_normalization::UnicodeNormalization;

use super::fields::{Fields, RowProblem};
use super::RecordDetails;
use crate::model::{
    BusinessRole, BusinessStatus, DeathSource, Kinship, PensionType, PropertyUse, Source,
    VehicleType,
};

/// One column of a source.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
    /// Files often carry several of its headers (住址 and 户籍地址): the first in the
    /// order name, aliases is read, where two headers of any other column are an error.
    pub first_of_several: bool,
}

const fn req(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        required: true,
        aliases,
        first_of_several: false,
    }
}

const fn opt(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        required: false,
        aliases,
        first_of_several: false,
    }
}

/// An optional address column: the first of its headers a file carries is read.
const fn address(aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name: col::ADDRESS,
        required: false,
        aliases,
        first_of_several: true,
    }
}

pub mod col {
    pub const HOUSEHOLD_ID: &str = "household_id";
    pub const PROGRAMME: &str = "programme";
    pub const MEMBER_ID: &str = "member_id";
    pub const NAME: &str = "name";
    pub const ID_NUMBER: &str = "id_number";
    pub const RELATION: &str = "relation";
    pub const REGION_CODE: &str = "region_code";
    pub const MONTHLY_BENEFIT: &str = "monthly_benefit";
    pub const ENROLLED_ON: &str = "enrolled_on";
    pub const ADDRESS: &str = "address";
    pub const CATEGORY: &str = "category";
    pub const RECORD_ID: &str = "record_id";
    pub const BIRTH_DATE: &str = "birth_date";
    pub const DEATH_DATE: &str = "death_date";
    pub const SOURCE: &str = "source";
    pub const PENSION_TYPE: &str = "pension_type";
    pub const MONTHLY_AMOUNT: &str = "monthly_amount";
    pub const START_DATE: &str = "start_date";
    pub const END_DATE: &str = "end_date";
    pub const OWNER_NAME: &str = "owner_name";
    pub const OWNER_ID: &str = "owner_id";
    pub const OWNER_BIRTH_DATE: &str = "owner_birth_date";
    pub const PLATE: &str = "plate";
    pub const VEHICLE_TYPE: &str = "vehicle_type";
    pub const REGISTERED_ON: &str = "registered_on";
    pub const DEREGISTERED_ON: &str = "deregistered_on";
    pub const PROPERTY_ID: &str = "property_id";
    pub const USE: &str = "use";
    pub const AREA_M2: &str = "area_m2";
    pub const DISPOSED_ON: &str = "disposed_on";
    pub const PERSON_NAME: &str = "person_name";
    pub const PERSON_ID: &str = "person_id";
    pub const PERSON_BIRTH_DATE: &str = "person_birth_date";
    pub const ROLE: &str = "role";
    pub const BUSINESS_NAME: &str = "business_name";
    pub const USCC: &str = "uscc";
    pub const REGISTERED_CAPITAL: &str = "registered_capital";
    pub const STATUS: &str = "status";
    pub const ESTABLISHED_ON: &str = "established_on";
    pub const CLOSED_ON: &str = "closed_on";
    pub const CADRE_NAME: &str = "cadre_name";
    pub const CADRE_ID: &str = "cadre_id";
    pub const CADRE_POST: &str = "cadre_post";
    pub const RELATIVE_NAME: &str = "relative_name";
    pub const RELATIVE_ID: &str = "relative_id";
    pub const RELATIONSHIP: &str = "relationship";
    pub const RELATIVE_BIRTH_DATE: &str = "relative_birth_date";
    pub const RELATIVE_HOUSEHOLD_SIZE: &str = "relative_household_size";
    pub const RELATIVE_REGION_CODE: &str = "relative_region_code";
    pub const CONTRIBUTION_BASE: &str = "contribution_base";
    pub const EMPLOYER: &str = "employer";
    pub const GRADE: &str = "grade";
    pub const TYPE: &str = "type";
    pub const CERTIFIED_ON: &str = "certified_on";
    pub const REVOKED_ON: &str = "revoked_on";
    pub const SETTLED_ON: &str = "settled_on";
    pub const OUT_OF_POCKET: &str = "out_of_pocket";
    pub const ENDED_ON: &str = "ended_on";
}

const ID_ALIASES: &[&str] = &[
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "证件号码",
    "身份证",
];
const NAME_ALIASES: &[&str] = &["姓名"];
const BIRTH_ALIASES: &[&str] = &["出生日期"];
/// Where a person lives, in order of preference. A registry of people (deaths, pensions,
/// vehicle owners) takes a plain 地址 as theirs; a business or property register's 地址 is
/// the firm's or the building's, so there only headers naming a person's address count.
const ADDRESS_ALIASES: &[&str] = &["住址", "居住地址", "家庭住址", "地址", "户籍地址"];
const PERSON_ADDRESS_ALIASES: &[&str] = &["住址", "居住地址", "户籍地址"];

const ROLL: &[ColumnSpec] = &[
    req(col::HOUSEHOLD_ID, &["户编号", "家庭编号", "户号"]),
    req(col::PROGRAMME, &["救助类型", "保障类型", "救助类别"]),
    req(col::MEMBER_ID, &["成员编号", "人员编号"]),
    req(col::NAME, NAME_ALIASES),
    req(col::ID_NUMBER, ID_ALIASES),
    req(col::RELATION, &["与户主关系", "关系"]),
    opt(col::REGION_CODE, &["行政区划代码", "区划代码"]),
    opt(col::MONTHLY_BENEFIT, &["月保障金", "保障金额", "月救助金"]),
    opt(col::ENROLLED_ON, &["纳入日期", "批准日期"]),
    opt(col::ADDRESS, &["地址", "家庭住址"]),
    opt(col::CATEGORY, &["分类", "管理分类", "分类管理"]),
];

const DEATH: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::NAME, NAME_ALIASES),
    opt(col::ID_NUMBER, ID_ALIASES),
    opt(col::BIRTH_DATE, BIRTH_ALIASES),
    address(ADDRESS_ALIASES),
    req(col::DEATH_DATE, &["死亡日期"]),
    opt(col::SOURCE, &["信息来源", "来源"]),
];

const PENSION: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::NAME, NAME_ALIASES),
    opt(col::ID_NUMBER, ID_ALIASES),
    opt(col::BIRTH_DATE, BIRTH_ALIASES),
    address(ADDRESS_ALIASES),
    req(col::PENSION_TYPE, &["养老金类型", "待遇类型"]),
    req(col::MONTHLY_AMOUNT, &["月发放金额", "月养老金", "发放金额"]),
    req(col::START_DATE, &["开始日期", "起始日期", "待遇开始日期"]),
    opt(col::END_DATE, &["终止日期", "结束日期"]),
];

const VEHICLE: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::OWNER_NAME, &["所有人", "车主姓名", "所有人姓名"]),
    opt(col::OWNER_ID, ID_ALIASES),
    opt(col::OWNER_BIRTH_DATE, BIRTH_ALIASES),
    address(ADDRESS_ALIASES),
    opt(col::PLATE, &["号牌号码", "车牌号"]),
    req(col::VEHICLE_TYPE, &["车辆类型"]),
    req(col::REGISTERED_ON, &["登记日期", "初次登记日期"]),
    opt(col::DEREGISTERED_ON, &["注销日期"]),
];

const PROPERTY: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(
        col::PROPERTY_ID,
        &["不动产单元号", "房产编号", "不动产权证号"],
    ),
    req(col::OWNER_NAME, &["权利人", "权利人姓名"]),
    opt(col::OWNER_ID, ID_ALIASES),
    opt(col::OWNER_BIRTH_DATE, BIRTH_ALIASES),
    address(PERSON_ADDRESS_ALIASES),
    req(col::USE, &["用途", "房屋用途"]),
    opt(col::AREA_M2, &["建筑面积", "面积"]),
    req(col::REGISTERED_ON, &["登记日期"]),
    opt(col::DISPOSED_ON, &["注销日期", "转移日期"]),
];

const BUSINESS: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::PERSON_NAME, NAME_ALIASES),
    opt(col::PERSON_ID, ID_ALIASES),
    opt(col::PERSON_BIRTH_DATE, BIRTH_ALIASES),
    address(PERSON_ADDRESS_ALIASES),
    req(col::ROLE, &["身份", "人员类型", "职务"]),
    opt(col::BUSINESS_NAME, &["企业名称", "市场主体名称"]),
    opt(col::USCC, &["统一社会信用代码"]),
    opt(col::REGISTERED_CAPITAL, &["注册资本"]),
    req(col::STATUS, &["登记状态", "经营状态"]),
    req(col::ESTABLISHED_ON, &["成立日期"]),
    opt(col::CLOSED_ON, &["注销日期", "吊销日期"]),
];

const CADRE_RELATIVES: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    opt(col::CADRE_NAME, &["干部姓名"]),
    opt(col::CADRE_ID, &["干部身份证号"]),
    opt(col::CADRE_POST, &["干部职务", "职务"]),
    req(col::RELATIVE_NAME, &["亲属姓名"]),
    opt(col::RELATIVE_ID, &["亲属身份证号"]),
    opt(col::RELATIONSHIP, &["亲属关系", "关系"]),
];

const RELATIONS: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::PERSON_NAME, NAME_ALIASES),
    opt(col::PERSON_ID, ID_ALIASES),
    opt(col::PERSON_BIRTH_DATE, BIRTH_ALIASES),
    req(col::RELATIVE_NAME, &["关系人姓名", "亲属姓名"]),
    opt(
        col::RELATIVE_ID,
        &["关系人身份证号", "关系人身份证号码", "亲属身份证号"],
    ),
    opt(
        col::RELATIVE_BIRTH_DATE,
        &["关系人出生日期", "亲属出生日期"],
    ),
    req(col::RELATION, &["关系", "与本人关系"]),
    opt(
        col::RELATIVE_HOUSEHOLD_SIZE,
        &["关系人户内人数", "户内人数"],
    ),
    opt(
        col::RELATIVE_REGION_CODE,
        &["关系人行政区划代码", "关系人区划代码"],
    ),
];

const CONTRIBUTIONS: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::NAME, NAME_ALIASES),
    opt(col::ID_NUMBER, ID_ALIASES),
    opt(col::BIRTH_DATE, BIRTH_ALIASES),
    address(ADDRESS_ALIASES),
    req(col::CONTRIBUTION_BASE, &["缴费基数", "月缴费基数"]),
    opt(col::EMPLOYER, &["单位名称", "参保单位"]),
    req(col::START_DATE, &["参保日期", "开始日期", "缴费开始日期"]),
    opt(col::END_DATE, &["终止日期", "停保日期", "结束日期"]),
];

const DISABILITY: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号", "残疾证号"]),
    req(col::NAME, NAME_ALIASES),
    opt(col::ID_NUMBER, ID_ALIASES),
    opt(col::BIRTH_DATE, BIRTH_ALIASES),
    req(col::GRADE, &["等级", "残疾等级"]),
    opt(col::TYPE, &["类别", "残疾类别"]),
    req(col::CERTIFIED_ON, &["发证日期"]),
    opt(col::REVOKED_ON, &["注销日期"]),
    opt(col::REGION_CODE, &["行政区划代码", "区划代码"]),
];

const MEDICAL: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号", "结算编号"]),
    req(col::NAME, NAME_ALIASES),
    opt(col::ID_NUMBER, ID_ALIASES),
    opt(col::BIRTH_DATE, BIRTH_ALIASES),
    req(col::SETTLED_ON, &["结算日期"]),
    req(col::OUT_OF_POCKET, &["个人自付", "个人自付金额"]),
    opt(col::REGION_CODE, &["行政区划代码", "区划代码"]),
];

const UNEMPLOYMENT: &[ColumnSpec] = &[
    req(col::RECORD_ID, &["记录编号"]),
    req(col::NAME, NAME_ALIASES),
    opt(col::ID_NUMBER, ID_ALIASES),
    opt(col::BIRTH_DATE, BIRTH_ALIASES),
    req(col::REGISTERED_ON, &["登记日期", "失业登记日期"]),
    opt(col::ENDED_ON, &["终止日期"]),
    opt(col::REGION_CODE, &["行政区划代码", "区划代码"]),
];

/// The columns a registry writes its person in: name, ID and (where it has them) birth date
/// and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonColumns {
    pub name: &'static str,
    pub id_number: &'static str,
    pub birth_date: Option<&'static str>,
    pub address: Option<&'static str>,
}

/// One built-in source in one place: its columns (contract names, Chinese aliases, which
/// are required), who a row is about, how the rest of a row is read, and the prefix synthetic
/// record ids carry. Ingest reads the columns and parses rows with them (`parse_builtin`);
/// the SQL rules' tables and synth read the person's columns. A local registry's descriptor is read from the pipeline
/// (`LocalDescriptor`).
#[derive(Debug)]
pub struct Descriptor {
    pub source: Source,
    pub columns: &'static [ColumnSpec],
    /// `None` for the roll (its people are the members themselves).
    pub person: Option<PersonColumns>,
    /// Reads what a registry's row says beyond its person; `None` for the roll.
    pub details: Option<DetailsParser>,
    pub record_prefix: &'static str,
}

/// A registry row's details, or the problem that sends the row to quarantine.
pub type DetailsParser =
    fn(&super::fields::Fields) -> Result<super::RecordDetails, super::fields::RowProblem>;

/// A built-in registry's person: each but the cadre relatives' also has a birth date and an
/// address column.
const fn person(
    name: &'static str,
    id_number: &'static str,
    birth_date: &'static str,
) -> PersonColumns {
    PersonColumns {
        name,
        id_number,
        birth_date: Some(birth_date),
        address: Some(col::ADDRESS),
    }
}

/// The built-in sources, in `Source::ALL` order.
pub const DESCRIPTORS: [Descriptor; 12] = [
    Descriptor {
        source: Source::Roll,
        columns: ROLL,
        person: None,
        details: None,
        record_prefix: "H",
    },
    Descriptor {
        source: Source::Death,
        columns: DEATH,
        person: Some(person(col::NAME, col::ID_NUMBER, col::BIRTH_DATE)),
        details: Some(death_details),
        record_prefix: "D",
    },
    Descriptor {
        source: Source::Pension,
        columns: PENSION,
        person: Some(person(col::NAME, col::ID_NUMBER, col::BIRTH_DATE)),
        details: Some(pension_details),
        record_prefix: "P",
    },
    Descriptor {
        source: Source::Vehicle,
        columns: VEHICLE,
        person: Some(person(
            col::OWNER_NAME,
            col::OWNER_ID,
            col::OWNER_BIRTH_DATE,
        )),
        details: Some(vehicle_details),
        record_prefix: "V",
    },
    Descriptor {
        source: Source::Property,
        columns: PROPERTY,
        person: Some(person(
            col::OWNER_NAME,
            col::OWNER_ID,
            col::OWNER_BIRTH_DATE,
        )),
        details: Some(property_details),
        record_prefix: "R",
    },
    Descriptor {
        source: Source::Business,
        columns: BUSINESS,
        person: Some(person(
            col::PERSON_NAME,
            col::PERSON_ID,
            col::PERSON_BIRTH_DATE,
        )),
        details: Some(business_details),
        record_prefix: "B",
    },
    Descriptor {
        source: Source::CadreRelatives,
        columns: CADRE_RELATIVES,
        person: Some(PersonColumns {
            name: col::RELATIVE_NAME,
            id_number: col::RELATIVE_ID,
            birth_date: None,
            address: None,
        }),
        details: Some(cadre_relative_details),
        record_prefix: "C",
    },
    Descriptor {
        source: Source::Relations,
        columns: RELATIONS,
        person: Some(PersonColumns {
            name: col::PERSON_NAME,
            id_number: col::PERSON_ID,
            birth_date: Some(col::PERSON_BIRTH_DATE),
            address: None,
        }),
        details: Some(relation_details),
        record_prefix: "K",
    },
    Descriptor {
        source: Source::Contributions,
        columns: CONTRIBUTIONS,
        person: Some(person(col::NAME, col::ID_NUMBER, col::BIRTH_DATE)),
        details: Some(contribution_details),
        record_prefix: "S",
    },
    Descriptor {
        source: Source::Disability,
        columns: DISABILITY,
        person: Some(signal_person()),
        details: Some(disability_details),
        record_prefix: "DIS",
    },
    Descriptor {
        source: Source::Medical,
        columns: MEDICAL,
        person: Some(signal_person()),
        details: Some(medical_details),
        record_prefix: "MED",
    },
    Descriptor {
        source: Source::Unemployment,
        columns: UNEMPLOYMENT,
        person: Some(signal_person()),
        details: Some(unemployment_details),
        record_prefix: "UNE",
    },
];

/// The person of an early-warning registry: name, ID and birth date, no address.
const fn signal_person() -> PersonColumns {
    PersonColumns {
        name: col::NAME,
        id_number: col::ID_NUMBER,
        birth_date: Some(col::BIRTH_DATE),
        address: None,
    }
}

/// A built-in source's descriptor; `None` for a local registry.
pub fn descriptor(source: Source) -> Option<&'static Descriptor> {
    DESCRIPTORS.iter().find(|d| d.source == source)
}

/// The columns of a built-in source, in contract order (none for a local registry: its
/// columns come from the pipeline, `LocalDescriptor::columns`).
pub fn columns(source: Source) -> &'static [ColumnSpec] {
    descriptor(source).map_or(&[], |d| d.columns)
}

/// The columns a local registry's rows are read into, besides its typed fields: `record_id`
/// (optional: `<source>:<row>` when absent) and the person's.
pub const LOCAL_RECORD_ID: ColumnSpec = opt(col::RECORD_ID, &["记录编号"]);
pub const LOCAL_PERSON: PersonColumns = PersonColumns {
    name: col::NAME,
    id_number: col::ID_NUMBER,
    birth_date: Some(col::BIRTH_DATE),
    address: Some(col::ADDRESS),
};

/// The columns holding ID numbers: always read as text, never as numbers.
pub fn is_id_column(name: &str) -> bool {
    matches!(
        name,
        col::ID_NUMBER | col::OWNER_ID | col::PERSON_ID | col::CADRE_ID | col::RELATIVE_ID
    ) || name == col::RELATIVE_REGION_CODE
}

/// Folds a header for comparison: NFKC, trimmed, lower-case, BOM removed.
pub fn fold_header(header: &str) -> String {
    header
        .nfkc()
        .filter(|c| *c != '\u{feff}')
        .collect::<String>()
        .trim()
        .to_lowercase()
}

// ---- Each built-in registry's details, as its descriptor reads them ---------------------

fn death_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Death {
        death_date: f.required_date(col::DEATH_DATE)?,
        source: f.choice(col::SOURCE, DeathSource::parse, DeathSource::codes)?,
    })
}

fn pension_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Pension {
        pension_type: f.required_choice(
            col::PENSION_TYPE,
            PensionType::parse,
            PensionType::codes,
        )?,
        monthly_amount: f.required_money(col::MONTHLY_AMOUNT)?,
        start_date: f.required_date(col::START_DATE)?,
        end_date: f.date(col::END_DATE)?,
    })
}

fn vehicle_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Vehicle {
        plate: f.text(col::PLATE)?,
        vehicle_type: f.required_choice(
            col::VEHICLE_TYPE,
            VehicleType::parse,
            VehicleType::codes,
        )?,
        registered_on: f.required_date(col::REGISTERED_ON)?,
        deregistered_on: f.date(col::DEREGISTERED_ON)?,
    })
}

fn property_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Property {
        property_id: f.required_text(col::PROPERTY_ID)?,
        use_: f.required_choice(col::USE, PropertyUse::parse, PropertyUse::codes)?,
        area_m2: f.money(col::AREA_M2)?,
        registered_on: f.required_date(col::REGISTERED_ON)?,
        disposed_on: f.date(col::DISPOSED_ON)?,
    })
}

fn business_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Business {
        role: f.required_choice(col::ROLE, BusinessRole::parse, BusinessRole::codes)?,
        business_name: f.text(col::BUSINESS_NAME)?,
        uscc: f.text(col::USCC)?,
        registered_capital: f.money(col::REGISTERED_CAPITAL)?,
        status: f.required_choice(col::STATUS, BusinessStatus::parse, BusinessStatus::codes)?,
        established_on: f.required_date(col::ESTABLISHED_ON)?,
        closed_on: f.date(col::CLOSED_ON)?,
    })
}

fn cadre_relative_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::CadreRelative {
        cadre_name: f.text(col::CADRE_NAME)?,
        cadre_id: f.id_text(col::CADRE_ID)?,
        cadre_post: f.text(col::CADRE_POST)?,
        relationship: f.text(col::RELATIONSHIP)?,
    })
}

fn relation_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Relation {
        relative: Box::new(super::PersonFields {
            name: f.required_text(col::RELATIVE_NAME)?,
            id_number: f.id_text(col::RELATIVE_ID)?,
            birth_date: f.date(col::RELATIVE_BIRTH_DATE)?,
            address: None,
        }),
        kinship: f.required_choice(col::RELATION, Kinship::parse, Kinship::codes)?,
        household_size: f.household_size(col::RELATIVE_HOUSEHOLD_SIZE)?,
        region_code: f.id_text(col::RELATIVE_REGION_CODE)?,
    })
}

fn contribution_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Contribution {
        contribution_base: f.required_money(col::CONTRIBUTION_BASE)?,
        employer: f.text(col::EMPLOYER)?,
        start_date: f.required_date(col::START_DATE)?,
        end_date: f.date(col::END_DATE)?,
    })
}

fn disability_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    let text = f.required_text(col::GRADE)?;
    let grade = parse_grade(&text).ok_or_else(|| {
        RowProblem::at(
            col::GRADE,
            format!("not a disability grade (1–4, 一级…四级): `{text}`"),
        )
    })?;
    Ok(RecordDetails::Disability {
        grade,
        kind: f.text(col::TYPE)?,
        certified_on: f.required_date(col::CERTIFIED_ON)?,
        revoked_on: f.date(col::REVOKED_ON)?,
        region_code: f.id_text(col::REGION_CODE)?,
    })
}

/// A disability grade as certificates write it: `1`, `1级`, `一级`, `一`, `Ⅰ级`.
pub fn parse_grade(text: &str) -> Option<u8> {
    let text = text.trim().trim_end_matches('级').trim();
    match text {
        "1" | "一" | "Ⅰ" | "1.0" => Some(1),
        "2" | "二" | "Ⅱ" | "2.0" => Some(2),
        "3" | "三" | "Ⅲ" | "3.0" => Some(3),
        "4" | "四" | "Ⅳ" | "4.0" => Some(4),
        _ => None,
    }
}

fn medical_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Medical {
        settled_on: f.required_date(col::SETTLED_ON)?,
        out_of_pocket: f.required_money(col::OUT_OF_POCKET)?,
        region_code: f.id_text(col::REGION_CODE)?,
    })
}

fn unemployment_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Unemployment {
        registered_on: f.required_date(col::REGISTERED_ON)?,
        ended_on: f.date(col::ENDED_ON)?,
        region_code: f.id_text(col::REGION_CODE)?,
    })
}
