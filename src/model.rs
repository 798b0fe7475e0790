//! The contract's vocabulary: sources, programmes, relations, registry enums, flag reasons.
//! Every stage speaks these words; parsing accepts the English codes and the Chinese
//! labels that departments actually export.

use serde::{Deserialize, Serialize};

/// Defines a vocabulary: each variant has its contract code, a Chinese label for people,
/// and extra spellings accepted on input (matched after trimming, case-insensitive). A
/// vocabulary marked `open` also takes names a pipeline declares (`Local`): local registries
/// and SQL rules.
macro_rules! vocabulary {
    (open $(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal $(, [$($alias:literal),*])?;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
            /// A name the pipeline declares; built-in values sort before it.
            Local(LocalName),
        }

        impl $name {
            vocabulary!(@common $name { $($variant = $code, $zh $(, [$($alias),*])?;)+ });

            /// The contract's code for this value, or the pipeline's name for it.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ $name::Local(name) => name.as_str() }
            }

            /// The Chinese label shown to reviewers (a local name's `label`, else the name).
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ $name::Local(name) => name.label() }
            }

            /// A name the pipeline declares, with its Chinese label.
            pub fn local(name: &str, label: Option<&str>) -> Self {
                $name::Local(LocalName::declare(stringify!($name), name, label))
            }

            /// A built-in code or label, a declared name or label, or a name a pipeline
            /// may declare (as read back from a run's own outputs); `None` otherwise.
            pub fn named(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::parse(text)
                    .or_else(|| LocalName::find(stringify!($name), text).map($name::Local))
                    .or_else(|| is_local_name(text).then(|| Self::local(text, None)))
            }

            /// A built-in code or label, or a name or label declared in this process; never
            /// declares one (a finding's reason must be one its run could raise).
            pub fn known(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::parse(text).or_else(|| LocalName::find(stringify!($name), text).map($name::Local))
            }

            /// The built-in values, then the declared ones among `seen`, by name: the rows or
            /// columns of a per-value count.
            pub fn listed(seen: impl IntoIterator<Item = Self>) -> Vec<Self> {
                let mut local: Vec<Self> = seen.into_iter().filter(|v| v.is_local()).collect();
                local.sort_unstable();
                local.dedup();
                Self::ALL.iter().copied().chain(local).collect()
            }

            pub fn is_local(self) -> bool {
                matches!(self, $name::Local(_))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text)
                    .or_else(|| is_local_name(&text).then(|| $name::Local(LocalName::declare(stringify!($name), &text, None))))
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown {} `{text}`", stringify!($name))))
            }
        }

        vocabulary!(@display $name);
    };
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal $(, [$($alias:literal),*])?;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            vocabulary!(@common $name { $($variant = $code, $zh $(, [$($alias),*])?;)+ });

            /// The contract's code for this value.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese label shown to reviewers.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
        }

        vocabulary!(@display $name);
    };
    (@common $name:ident { $($variant:ident = $code:literal, $zh:literal $(, [$($alias:literal),*])?;)+ }) => {
        /// The built-in values.
        pub const ALL: &'static [$name] = &[$($name::$variant),+];

        /// Parses a built-in code, the Chinese label or a known alias; `None` when unknown.
        pub fn parse(text: &str) -> Option<Self> {
            let text = text.trim();
            $(
                if text.eq_ignore_ascii_case($code) || text == $zh $($(|| text == $alias)*)? {
                    return Some($name::$variant);
                }
            )+
            None
        }

        /// The accepted built-in codes, for error messages.
        pub fn codes() -> String {
            Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
        }
    };
    (@display $name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// A name a pipeline declares (a local registry, a SQL rule), interned for the life of the
/// process so values that carry it stay `Copy`, with the Chinese label its pipeline gave.
/// Names are few and small (a pipeline's own), so keeping them is cheap. Equality and order
/// are by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalName {
    vocabulary: &'static str,
    name: &'static str,
}

/// Declared names by vocabulary, with their labels.
static LOCAL_NAMES: std::sync::LazyLock<
    std::sync::RwLock<std::collections::HashMap<(&'static str, &'static str), &'static str>>,
> = std::sync::LazyLock::new(Default::default);

impl LocalName {
    /// Declares `name` in `vocabulary` with its label (the name when none); a later
    /// declaration with a label replaces the label.
    fn declare(vocabulary: &'static str, name: &str, label: Option<&str>) -> LocalName {
        let mut names = LOCAL_NAMES
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = names
            .keys()
            .find(|(v, n)| *v == vocabulary && *n == name)
            .copied()
            .unwrap_or((vocabulary, intern(name)));
        let known = names.get(&key).copied();
        match (label, known) {
            (Some(label), Some(known)) if label == known => {}
            (Some(label), _) => {
                names.insert(key, intern(label));
            }
            (None, Some(_)) => {}
            (None, None) => {
                names.insert(key, key.1);
            }
        }
        LocalName {
            vocabulary,
            name: key.1,
        }
    }

    /// The name declared in `vocabulary` as `text`, or with `text` as its label.
    fn find(vocabulary: &'static str, text: &str) -> Option<LocalName> {
        let names = LOCAL_NAMES
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let of = |(v, n): &(&'static str, &'static str)| LocalName {
            vocabulary: v,
            name: n,
        };
        let declared = names.keys().filter(|(v, _)| *v == vocabulary);
        declared
            .clone()
            .find(|(_, n)| *n == text)
            .or_else(|| declared.clone().find(|key| names[*key] == text))
            .map(of)
    }

    pub fn as_str(self) -> &'static str {
        self.name
    }

    fn label(self) -> &'static str {
        let names = LOCAL_NAMES
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        names
            .get(&(self.vocabulary, self.name))
            .copied()
            .unwrap_or(self.name)
    }
}

/// `text` interned: one copy per distinct text for the life of the process (the names of a
/// pipeline's local fields, read as column names).
pub fn intern(text: &str) -> &'static str {
    static INTERNED: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashSet<&'static str>>,
    > = std::sync::LazyLock::new(Default::default);
    let mut interned = INTERNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = interned.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    interned.insert(leaked);
    leaked
}

/// Whether `text` can name a local registry or rule: a lower-case letter, then lower-case
/// letters, digits and `_` (it becomes a table name in SQL and a reason code in outputs).
pub fn is_local_name(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && text.len() <= 64
}

vocabulary! {
    open
    /// The input sources of the contract, and the local registries a pipeline declares.
    Source {
        Roll = "roll", "低保花名册";
        Death = "death", "死亡登记";
        Pension = "pension", "养老金发放";
        Vehicle = "vehicle", "车辆登记";
        Property = "property", "不动产登记";
        Business = "business", "市场主体登记";
        CadreRelatives = "cadre_relatives", "村干部亲属备案";
        Relations = "relations", "家庭关系";
        Contributions = "contributions", "社保缴费";
        Disability = "disability", "残疾人";
        Medical = "medical", "医保结算";
        Unemployment = "unemployment", "失业登记";
    }
}

impl Source {
    /// The registries, in the order rules and outputs list them.
    pub const REGISTRIES: [Source; 8] = [
        Source::Death,
        Source::Pension,
        Source::Vehicle,
        Source::Property,
        Source::Business,
        Source::CadreRelatives,
        Source::Relations,
        Source::Contributions,
    ];

    /// The early-warning registries: read once for their signals (people with a valid ID
    /// who may need help), not linked record by record.
    pub const SIGNALS: [Source; 3] = [Source::Disability, Source::Medical, Source::Unemployment];
}

vocabulary! {
    /// Assistance programme of a roll row.
    Programme {
        DibaoUrban = "dibao_urban", "城市低保", ["城镇低保", "城市最低生活保障"];
        DibaoRural = "dibao_rural", "农村低保", ["农村最低生活保障"];
        Tekun = "tekun", "特困", ["特困供养", "特困人员"];
        Linshi = "linshi", "临时救助";
    }
}

impl Programme {
    /// `linshi` combines with any programme; the other three exclude each other.
    pub fn excludes(self, other: Programme) -> bool {
        self != other && self != Programme::Linshi && other != Programme::Linshi
    }
}

vocabulary! {
    /// A roll member's relation to the head of household.
    Relation {
        Head = "head", "户主", ["本人"];
        Spouse = "spouse", "配偶", ["妻", "夫", "妻子", "丈夫"];
        Child = "child", "子女", ["子", "女", "儿子", "女儿", "长子", "长女", "次子", "次女"];
        Parent = "parent", "父母", ["父亲", "母亲", "父", "母"];
        Other = "other", "其他", ["孙子", "孙女", "兄弟姐妹", "儿媳", "女婿"];
    }
}

vocabulary! {
    /// How a relative in the relations registry (`relations`) stands to its person.
    Kinship {
        Child = "child", "子女", ["子", "女", "儿子", "女儿", "长子", "长女", "次子", "次女"];
        Spouse = "spouse", "配偶", ["妻", "夫", "妻子", "丈夫"];
        Parent = "parent", "父母", ["父亲", "母亲", "父", "母"];
        Sibling = "sibling", "兄弟姐妹", ["兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹"];
        Grandchild = "grandchild", "孙子女", ["孙子", "孙女", "外孙", "外孙女"];
    }
}

vocabulary! {
    /// What an early-warning registry says of a person at D (contract v3, "Early warning").
    Signal {
        SevereDisability = "severe_disability", "重度残疾";
        MedicalBurden = "medical_burden", "大额医疗自付";
        LongUnemployed = "long_unemployed", "长期失业";
    }
}

vocabulary! {
    /// An early warning: someone who should be helped (应纳未纳) or helped more (应增未增).
    WarningKind {
        ShouldCover = "should_cover", "应纳未纳";
        ShouldRaise = "should_raise", "应增未增";
    }
}

vocabulary! {
    /// Why a person is linked: a roll member, a member's supporter (from `relations`), or an
    /// early-warning candidate. All are linked by the same path.
    Role {
        Member = "member", "成员";
        Supporter = "supporter", "赡养人";
        Candidate = "candidate", "预警对象";
    }
}

vocabulary! {
    /// Who reported a death.
    DeathSource {
        Hospital = "hospital", "医院";
        Police = "police", "公安";
        Cremation = "cremation", "火化", ["殡葬", "殡仪馆"];
        CivilAffairs = "civil_affairs", "民政";
    }
}

vocabulary! {
    PensionType {
        Enterprise = "enterprise", "企业职工养老金", ["企业养老金", "企业职工基本养老保险"];
        Institution = "institution", "机关事业单位养老金", ["机关事业养老金"];
        ResidentBasic = "resident_basic", "城乡居民基础养老金", ["城乡居民养老金", "居民基础养老金"];
    }
}

vocabulary! {
    VehicleType {
        Car = "car", "小型汽车", ["汽车", "轿车", "小轿车", "小型客车", "客车"];
        Truck = "truck", "货车", ["载货汽车", "卡车"];
        Motorcycle = "motorcycle", "摩托车";
        Tricycle = "tricycle", "三轮车", ["三轮汽车"];
        Agricultural = "agricultural", "农用车", ["拖拉机", "农用运输车"];
        Disability = "disability", "残疾人专用车", ["残疾人机动轮椅车"];
    }
}

vocabulary! {
    PropertyUse {
        Residential = "residential", "住宅";
        Commercial = "commercial", "商业", ["商业用房", "商铺", "商服", "办公"];
        Industrial = "industrial", "工业", ["厂房", "工业用房"];
        Other = "other", "其他";
    }
}

vocabulary! {
    BusinessRole {
        LegalRep = "legal_rep", "法定代表人", ["法人代表", "法人"];
        SoleProprietor = "sole_proprietor", "个体工商户经营者", ["经营者", "个体户"];
        Shareholder = "shareholder", "股东";
    }
}

vocabulary! {
    BusinessStatus {
        Active = "active", "存续", ["在业", "在营", "开业"];
        Revoked = "revoked", "吊销";
        Cancelled = "cancelled", "注销";
    }
}

vocabulary! {
    open
    /// Why a household is flagged: the contract's built-in reasons, and the SQL rules a pipeline
    /// declares.
    Reason {
        DeceasedMember = "deceased_member", "家庭成员已死亡";
        DuplicateEnrollment = "duplicate_enrollment", "重复享受救助";
        PensionIncome = "pension_income", "养老金收入超标";
        VehicleOwned = "vehicle_owned", "名下有机动车";
        PropertyExcess = "property_excess", "房产超标";
        BusinessActive = "business_active", "经营企业或个体户";
        CadreRelative = "cadre_relative", "村干部亲属";
        IdentityConflict = "identity_conflict", "身份信息冲突";
        InvalidId = "invalid_id", "身份证号无效";
        IncomeOverStandard = "income_over_standard", "家庭收入超标";
        SupporterCapacity = "supporter_capacity", "赡养人有赡养能力";
    }
}

impl Reason {
    /// The severity a pipeline that does not set one gives this reason: the contract's flags
    /// table for the built-in reasons, medium for a rule the pipeline declares.
    pub fn default_severity(self) -> Severity {
        match self {
            Reason::DeceasedMember
            | Reason::DuplicateEnrollment
            | Reason::PensionIncome
            | Reason::IncomeOverStandard => Severity::High,
            Reason::VehicleOwned
            | Reason::SupporterCapacity
            | Reason::PropertyExcess
            | Reason::BusinessActive
            | Reason::IdentityConflict
            | Reason::Local(_) => Severity::Medium,
            Reason::CadreRelative | Reason::InvalidId => Severity::Low,
        }
    }
}

vocabulary! {
    /// Blocking rules: which pairs without a shared valid ID are worth comparing.
    BlockingRule {
        IdMasked = "id_masked", "身份证号单位遮蔽";
        MaskedIdVisible = "masked_id_visible", "身份证号可见位+出生日期或姓名";
        IdSortedDigits = "id_sorted_digits", "身份证号数字排序";
        BirthName = "birth_name", "出生日期+姓名";
        BirthSurnameReading = "birth_surname_reading", "出生日期+姓氏读音";
        RegionNameReading = "region_name_reading", "区划+姓名读音";
    }
}

vocabulary! {
    /// How urgent a flag is; ordered low < medium < high.
    Severity {
        Low = "low", "低";
        Medium = "medium", "中";
        High = "high", "高";
    }
}

vocabulary! {
    /// What a visit found (核查结论). A blank cell is no finding.
    Verdict {
        Confirmed = "confirmed", "情况属实", ["属实"];
        PartlyConfirmed = "partly_confirmed", "部分属实";
        Dismissed = "dismissed", "情况不属实", ["不属实"];
        Unverifiable = "unverifiable", "无法核实";
    }
}

impl Verdict {
    /// Whether the visit found the flag right, wholly or in part (precision's numerator).
    pub fn upholds(self) -> bool {
        matches!(self, Verdict::Confirmed | Verdict::PartlyConfirmed)
    }
}

vocabulary! {
    /// What the office did after a finding (处理结果).
    Action {
        Cancelled = "cancelled", "取消", ["取消救助", "停保"];
        Adjusted = "adjusted", "调整", ["调整救助", "调整保障金"];
        Kept = "kept", "维持", ["维持救助"];
        Rereview = "rereview", "转复核", ["复核"];
    }
}

/// An administrative division code as rolls and IDs write it: the first 6 digits name a
/// county (GB/T 2260), 9 a township, 12 a village. The one place that hierarchy is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode<'a>(&'a str);

/// How far two region codes agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionAgreement {
    Village,
    Township,
    County,
    Other,
}

/// The grouping key of a household without a usable region code.
pub const UNASSIGNED: &str = "unassigned";

impl<'a> RegionCode<'a> {
    /// A code of digits only (so it can name a file), else `None`.
    pub fn parse(code: &'a str) -> Option<RegionCode<'a>> {
        (!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit())).then_some(RegionCode(code))
    }

    pub fn as_str(self) -> &'a str {
        self.0
    }

    fn prefix(self, digits: usize) -> Option<&'a str> {
        self.0.get(..digits).filter(|_| self.0.len() >= digits)
    }

    /// The county: the first 6 digits, when the code has them.
    pub fn county(self) -> Option<&'a str> {
        self.prefix(6)
    }

    /// The township: the first 9 digits, when the code has them.
    pub fn township(self) -> Option<&'a str> {
        self.prefix(9)
    }

    /// The village: the first 12 digits, when the code has them.
    pub fn village(self) -> Option<&'a str> {
        self.prefix(12)
    }

    /// The finest level at which both codes name the same place.
    pub fn agreement(self, other: RegionCode) -> RegionAgreement {
        let same = |digits: usize| matches!((self.prefix(digits), other.prefix(digits)), (Some(a), Some(b)) if a == b);
        if same(12) {
            RegionAgreement::Village
        } else if same(9) {
            RegionAgreement::Township
        } else if same(6) {
            RegionAgreement::County
        } else {
            RegionAgreement::Other
        }
    }

    /// The township as workbooks and summaries name it: 9 digits written as 12
    /// (`411526101000`); a shorter code stands for itself; no code is `unassigned`.
    pub fn township_key(code: Option<&str>) -> String {
        match code.and_then(RegionCode::parse) {
            Some(region) => region
                .township()
                .map_or_else(|| region.as_str().to_string(), |t| format!("{t}000")),
            None => UNASSIGNED.to_string(),
        }
    }

    /// The county as summaries name it: 6 digits, else `unassigned`.
    pub fn county_key(code: Option<&str>) -> String {
        code.and_then(RegionCode::parse)
            .and_then(RegionCode::county)
            .map_or_else(|| UNASSIGNED.to_string(), str::to_string)
    }
}

/// Accepts `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYYMMDD`, `YYYY年M月D日`, single-digit
/// months and days, and a trailing time of day (exports often add ` 00:00:00`).
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        return chrono::NaiveDate::parse_from_str(date_part, "%Y%m%d").ok();
    }
    let unified: String = date_part
        .chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '年' | '月') {
                '-'
            } else {
                c
            }
        })
        .filter(|c| *c != '日')
        .collect();
    let mut parts = unified.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() > 2 || day.len() > 2 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_name_county_township_and_village() {
        let village = RegionCode::parse("411526101001").unwrap();
        assert_eq!(village.county(), Some("411526"));
        assert_eq!(village.township(), Some("411526101"));
        assert_eq!(RegionCode::parse("411526").unwrap().township(), None);
        assert_eq!(RegionCode::parse("../etc"), None);
        for (other, expected) in [
            ("411526101001", RegionAgreement::Village),
            ("411526101002", RegionAgreement::Township),
            ("411526", RegionAgreement::County),
            ("410101", RegionAgreement::Other),
        ] {
            let other_code = RegionCode::parse(other).unwrap();
            assert_eq!(village.agreement(other_code), expected, "{other}");
        }
        // Workbooks are named by township (a shorter code by itself) and grouped by county;
        // no code, or one that is not digits, goes to `unassigned`.
        for (code, township, county) in [
            (Some("411526101001"), "411526101000", "411526"),
            (Some("411526"), "411526", "411526"),
            (Some("4115"), "4115", "unassigned"),
            (Some("../etc"), "unassigned", "unassigned"),
            (None, "unassigned", "unassigned"),
        ] {
            assert_eq!(RegionCode::township_key(code), township, "{code:?}");
            assert_eq!(RegionCode::county_key(code), county, "{code:?}");
        }
    }

    #[test]
    fn parses_codes_chinese_labels_and_aliases() {
        assert_eq!(Programme::parse("dibao_rural"), Some(Programme::DibaoRural));
        assert_eq!(Programme::parse(" 城市低保 "), Some(Programme::DibaoUrban));
        assert_eq!(Programme::parse("DIBAO_URBAN"), Some(Programme::DibaoUrban));
        assert_eq!(
            VehicleType::parse("拖拉机"),
            Some(VehicleType::Agricultural)
        );
        assert_eq!(Relation::parse("cousin"), None);
    }

    #[test]
    fn linshi_combines_with_everything_else_excludes() {
        assert!(Programme::DibaoUrban.excludes(Programme::Tekun));
        assert!(!Programme::Linshi.excludes(Programme::Tekun));
        assert!(!Programme::DibaoRural.excludes(Programme::DibaoRural));
    }

    #[test]
    fn severity_orders_low_to_high() {
        assert!(Severity::High > Severity::Medium && Severity::Medium > Severity::Low);
    }
}
