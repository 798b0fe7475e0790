//! Chinese names: the match key (NFKC, no spaces or middle dots, simplified characters),
//! the reading (pinyin with our surname overrides), and the contract's compatibility test.

use std::borrow::Cow;
use std::sync::OnceLock;

use ferrous_opencc::{config::BuiltinConfig, OpenCC};
use pinyin::ToPinyin;

/// A name ready for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NameKey {
    /// NFKC, whitespace and middle dots removed, traditional folded to simplified.
    pub key: String,
    /// One syllable per character of `key`, tone-less; surnames read as surnames. Borrowed
    /// from the pinyin tables where possible: a name's reading costs one allocation.
    pub reading: Vec<Cow<'static, str>>,
}

/// How two names compare, best level first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameLevel {
    /// The same text as written (after trimming).
    Identical,
    /// The same after normalisation (traditional/simplified, spaces, middle dots, width).
    Normalized,
    /// Different characters, the same reading (homophones: 王立/王丽).
    SameReading,
    /// Exactly one character differs (a look-alike or typo).
    OneCharDiff,
    /// Two or more characters differ and the readings differ too.
    Different,
}

impl NameLevel {
    pub fn code(self) -> &'static str {
        match self {
            NameLevel::Identical => "identical",
            NameLevel::Normalized => "normalized",
            NameLevel::SameReading => "same_reading",
            NameLevel::OneCharDiff => "one_char_diff",
            NameLevel::Different => "different",
        }
    }

    /// The contract's "compatible name": everything but a clear difference.
    pub fn is_compatible(self) -> bool {
        self != NameLevel::Different
    }
}

/// Builds the match key and reading of a raw name.
pub fn name_key(raw: &str) -> NameKey {
    NameKey::of_match_key(match_key(raw))
}

impl NameKey {
    /// The name key of text that is already a match key (`match_key`'s output).
    pub fn of_match_key(key: String) -> NameKey {
        let reading = reading_of(&key);
        NameKey { key, reading }
    }
}

/// The match key: for matching only, never shown to people.
pub fn match_key(raw: &str) -> String {
    super::until_stable(raw, |text| {
        let folded: String = super::nfkc(text)
            .chars()
            .filter(|c| !c.is_whitespace() && !is_middle_dot(*c) && !is_invisible(*c))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        to_simplified(&folded)
    })
}

/// The dot inside minority names arrives as any of these, or not at all.
fn is_middle_dot(c: char) -> bool {
    matches!(c, '·' | '•' | '.' | '・' | '‧' | '∙' | '⋅' | '･' | '．')
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{feff}' | '\u{2060}')
}

fn to_simplified(text: &str) -> String {
    static T2S: OnceLock<Option<OpenCC>> = OnceLock::new();
    let converter = T2S.get_or_init(|| OpenCC::from_config(BuiltinConfig::T2s).ok());
    if text.is_ascii() {
        return text.to_string();
    }
    match converter {
        Some(converter) => converter.convert(text),
        // The built-in table is compiled in; if it ever failed to load, keys stay as
        // written (less recall on traditional names, never a wrong match).
        None => text.to_string(),
    }
}

/// Compound surnames and surname readings that pinyin tables get wrong.
const SURNAME_READINGS: &[(&str, &[&str])] = &[
    ("尉迟", &["yu", "chi"]),
    ("欧阳", &["ou", "yang"]),
    ("单于", &["chan", "yu"]),
    ("万俟", &["mo", "qi"]),
    ("长孙", &["zhang", "sun"]),
    ("澹台", &["tan", "tai"]),
    ("令狐", &["ling", "hu"]),
    ("上官", &["shang", "guan"]),
    ("司马", &["si", "ma"]),
    ("诸葛", &["zhu", "ge"]),
    ("皇甫", &["huang", "fu"]),
    ("宇文", &["yu", "wen"]),
    ("公孙", &["gong", "sun"]),
    ("慕容", &["mu", "rong"]),
    ("夏侯", &["xia", "hou"]),
    ("曾", &["zeng"]),
    ("单", &["shan"]),
    ("解", &["xie"]),
    ("仇", &["qiu"]),
    ("区", &["ou"]),
    ("查", &["zha"]),
    ("朴", &["piao"]),
    ("盖", &["ge"]),
    ("覃", &["qin"]),
    ("缪", &["miao"]),
    ("翟", &["zhai"]),
    ("乐", &["yue"]),
    ("任", &["ren"]),
    ("华", &["hua"]),
    ("柏", &["bai"]),
    ("秘", &["bi"]),
    ("种", &["chong"]),
    ("尉", &["wei"]),
    ("召", &["shao"]),
    ("员", &["yun"]),
    ("贲", &["ben"]),
    ("繁", &["po"]),
    ("牟", &["mou"]),
    ("重", &["chong"]),
    ("长", &["chang"]),
    ("藏", &["zang"]),
    ("折", &["she"]),
    ("隗", &["wei"]),
    ("眭", &["sui"]),
    ("冼", &["xian"]),
    ("佘", &["she"]),
    ("阚", &["kan"]),
    ("沈", &["shen"]),
    ("薄", &["bo"]),
    ("燕", &["yan"]),
    ("宿", &["su"]),
    ("句", &["gou"]),
];

/// Reads a normalised key: the surname by the override table, the rest by pinyin.
fn reading_of(key: &str) -> Vec<Cow<'static, str>> {
    let chars: Vec<char> = key.chars().collect();
    let mut reading = Vec::with_capacity(chars.len());
    let mut start = 0;
    // Only a name of two or more characters has a surname to override.
    if chars.len() >= 2 {
        if let Some((surname, syllables)) = SURNAME_READINGS
            .iter()
            .find(|(surname, _)| key.starts_with(surname) && key.len() > surname.len())
        {
            reading.extend(syllables.iter().map(|s| Cow::Borrowed(*s)));
            start = surname.chars().count();
        }
    }
    for c in &chars[start..] {
        match c.to_pinyin() {
            Some(pinyin) => reading.push(Cow::Borrowed(pinyin.plain())),
            None => reading.push(Cow::Owned(c.to_lowercase().collect())),
        }
    }
    reading
}

/// Compares two names per the contract (raw text first, then keys and readings).
pub fn compare_names(raw_a: &str, a: &NameKey, raw_b: &str, b: &NameKey) -> NameLevel {
    if raw_a.trim() == raw_b.trim() {
        return NameLevel::Identical;
    }
    if a.key == b.key {
        return NameLevel::Normalized;
    }
    if !a.reading.is_empty() && a.reading == b.reading {
        return NameLevel::SameReading;
    }
    if char_edit_distance(&a.key, &b.key) <= 1 {
        return NameLevel::OneCharDiff;
    }
    NameLevel::Different
}

fn char_edit_distance(a: &str, b: &str) -> usize {
    strsim::generic_levenshtein(
        &a.chars().collect::<Vec<_>>(),
        &b.chars().collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn match_key_is_stable_where_the_table_maps_twice() {
        // Found by fuzzing: one pass of the traditional→simplified table left a character
        // that a second pass changed again.
        let key = match_key("\u{85b4}");
        assert_eq!(match_key(&key), key);
    }
    use super::*;
    use proptest::prelude::*;

    fn level(a: &str, b: &str) -> NameLevel {
        compare_names(a, &name_key(a), b, &name_key(b))
    }

    #[test]
    fn traditional_and_simplified_share_a_key() {
        assert_eq!(match_key("陳大文"), "陈大文");
        assert_eq!(level("陳大文", "陈大文"), NameLevel::Normalized);
    }

    #[test]
    fn spaces_width_and_middle_dots_fold_away() {
        for raw in [
            "阿依古丽·买买提",
            "阿依古丽•买买提",
            "阿依古丽.买买提",
            "阿依古丽・买买提",
            "阿依古丽 买买提",
            "阿依古丽买买提",
        ] {
            assert_eq!(match_key(raw), "阿依古丽买买提", "{raw}");
        }
        assert_eq!(match_key("张　三"), "张三");
    }

    #[test]
    fn surnames_read_as_surnames() {
        assert_eq!(name_key("曾小明").reading[0], "zeng");
        assert_eq!(name_key("单田芳").reading[0], "shan");
        assert_eq!(name_key("尉迟恭").reading[..2], ["yu", "chi"]);
        // A lone character is not a surname.
        assert_eq!(name_key("曾").reading, ["ceng"]);
    }

    #[test]
    fn compatibility_levels_follow_the_contract() {
        assert_eq!(level("张三", "张三"), NameLevel::Identical);
        assert_eq!(level("王立", "王丽"), NameLevel::SameReading);
        assert_eq!(level("王小明", "王晓明"), NameLevel::SameReading);
        assert_eq!(level("张大伟", "张大为"), NameLevel::SameReading);
        assert_eq!(level("李建国", "李建军"), NameLevel::OneCharDiff);
        assert_eq!(level("张三", "李四"), NameLevel::Different);
        assert_eq!(level("刘德华", "刘德"), NameLevel::OneCharDiff);
    }

    proptest! {
        #[test]
        fn match_key_is_idempotent(raw in "[张王李陳陈·• 　a-zＡ-Ｚ]{0,8}") {
            let once = match_key(&raw);
            prop_assert_eq!(match_key(&once), once.clone());
        }

        #[test]
        fn a_name_is_compatible_with_itself(raw in "[张王李陈刘杨黄赵][伟芳娜秀英敏静丽强磊]{1,2}") {
            prop_assert!(level(&raw, &raw).is_compatible());
        }
    }
}
