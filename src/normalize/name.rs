//! Chinese names: the match key (NFKC, no spaces or middle dots, simplified characters),
//! the reading (pinyin with our surname overrides), and the contract's compatibility test.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{LazyLock, OnceLock, RwLock};

use ferrous_opencc::{config::BuiltinConfig, OpenCC};
use pinyin::ToPinyin;

/// A name ready for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NameKey {
    /// NFKC, whitespace and middle dots removed, traditional folded to simplified.
    pub key: Box<str>,
    /// One syllable per character of `key`, tone-less; surnames read as surnames.
    pub reading: Reading,
}

/// A name's reading: one syllable per character, each held as the number of its text
/// (`Syllable`). A roll holds millions: as a `Vec` of 24-byte `Cow`s a three-character
/// reading took 104 bytes, as numbers it takes 32.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reading(Box<[Syllable]>);

/// A syllable's text, by number: equal numbers are equal texts. The numbers are given in
/// the order texts are first seen (which threads decide), so they mean nothing outside a
/// process: readings hash and print by their texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Syllable(u32);

/// Every syllable text seen, numbered. Texts come from the pinyin table or, for characters
/// it cannot read, are the character lower-cased: each is held once (a few hundred pinyin
/// syllables and the few characters names hold besides), and never freed.
#[derive(Default)]
struct Syllables {
    numbers: HashMap<&'static str, u32>,
    texts: Vec<&'static str>,
}

static SYLLABLES: LazyLock<RwLock<Syllables>> = LazyLock::new(RwLock::default);

impl Syllable {
    fn of(text: Cow<'static, str>) -> Syllable {
        // A poisoned lock still holds a consistent table: entries are added whole.
        let known = SYLLABLES
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .numbers
            .get(&*text)
            .copied();
        if let Some(number) = known {
            return Syllable(number);
        }
        let mut syllables = SYLLABLES
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(&number) = syllables.numbers.get(&*text) {
            return Syllable(number);
        }
        let text: &'static str = match text {
            Cow::Borrowed(text) => text,
            Cow::Owned(text) => Box::leak(text.into_boxed_str()),
        };
        let number = u32::try_from(syllables.texts.len()).expect("fewer than 2^32 syllables");
        syllables.texts.push(text);
        syllables.numbers.insert(text, number);
        Syllable(number)
    }

    fn text(self) -> &'static str {
        SYLLABLES
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .texts[self.0 as usize]
    }
}

impl Reading {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The syllables' texts, in order.
    pub fn syllables(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|syllable| syllable.text())
    }

    /// The first syllable's text (a surname's, in most names).
    pub fn first(&self) -> Option<&'static str> {
        self.0.first().map(|syllable| syllable.text())
    }

    /// The syllables' texts joined by `separator`.
    pub fn join(&self, separator: &str) -> String {
        self.syllables().collect::<Vec<_>>().join(separator)
    }
}

/// Hashes as the `Vec` of syllable texts it replaced, so blocking keys and the census's
/// counts are what they were.
impl Hash for Reading {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for text in self.syllables() {
            text.hash(state);
        }
    }
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
        NameKey {
            key: key.into_boxed_str(),
            reading,
        }
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
fn reading_of(key: &str) -> Reading {
    let chars: Vec<char> = key.chars().collect();
    let mut reading = Vec::with_capacity(chars.len());
    let mut start = 0;
    // Only a name of two or more characters has a surname to override.
    if chars.len() >= 2 {
        if let Some((surname, syllables)) = SURNAME_READINGS
            .iter()
            .find(|(surname, _)| key.starts_with(surname) && key.len() > surname.len())
        {
            reading.extend(syllables.iter().map(|s| Syllable::of(Cow::Borrowed(*s))));
            start = surname.chars().count();
        }
    }
    for c in &chars[start..] {
        reading.push(Syllable::of(match c.to_pinyin() {
            Some(pinyin) => Cow::Borrowed(pinyin.plain()),
            None => Cow::Owned(c.to_lowercase().collect()),
        }));
    }
    Reading(reading.into_boxed_slice())
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
        let reading = |name: &str| name_key(name).reading.syllables().collect::<Vec<_>>();
        assert_eq!(reading("曾小明")[0], "zeng");
        assert_eq!(reading("单田芳")[0], "shan");
        assert_eq!(reading("尉迟恭")[..2], ["yu", "chi"]);
        // A lone character is not a surname.
        assert_eq!(reading("曾"), ["ceng"]);
    }

    #[test]
    fn readings_hash_and_compare_as_their_texts() {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let hash = |value: &dyn Fn(&mut DefaultHasher)| {
            let mut hasher = DefaultHasher::new();
            value(&mut hasher);
            hasher.finish()
        };
        // Characters the pinyin table cannot read are their lower-cased selves; one of
        // them reads as a pinyin syllable does (`A` as 啊's `a`).
        for name in ["王小明", "欧阳修", "JOHN", "A啊", ""] {
            let key = name_key(name);
            let texts: Vec<Cow<'static, str>> =
                key.reading.syllables().map(Cow::Borrowed).collect();
            assert_eq!(
                hash(&|h| key.reading.hash(h)),
                hash(&|h| texts.hash(h)),
                "{name}"
            );
        }
        let reading = name_key("A啊").reading;
        assert_eq!(reading.syllables().collect::<Vec<_>>(), ["a", "a"]);
        assert_eq!(reading.0[0], reading.0[1]);
        assert_eq!(name_key("王立").reading, name_key("王丽").reading);
        assert_ne!(name_key("王立").reading, name_key("王力宏").reading);
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
