//! Resident ID numbers (GB 11643-1999): cleaning the damaged forms seen in the wild,
//! upgrading 15-digit IDs, and validating format, birth date and check character.
//! Digits are never guessed: an ID that cannot be made valid stays invalid.

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Why an ID is not valid after normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdProblem {
    Blank,
    /// Excel turned the ID into a number (`4.11526E+17`): digits are lost.
    ExcelNumber,
    BadCharacters,
    BadLength,
    BadBirthDate,
    BadCheckChar,
    /// Digits hidden by `*` in a shared extract (`411526********123X`): neither valid nor
    /// blank, its visible characters are evidence (`NormalizedId::masked`).
    Masked,
}

impl IdProblem {
    pub fn code(self) -> &'static str {
        match self {
            IdProblem::Blank => "blank",
            IdProblem::ExcelNumber => "excel_number",
            IdProblem::BadCharacters => "bad_characters",
            IdProblem::BadLength => "bad_length",
            IdProblem::BadBirthDate => "bad_birth_date",
            IdProblem::BadCheckChar => "bad_check_char",
            IdProblem::Masked => "masked",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            IdProblem::Blank => "身份证号为空",
            IdProblem::ExcelNumber => "身份证号被Excel存为数字，位数已丢失",
            IdProblem::BadCharacters => "身份证号含非法字符",
            IdProblem::BadLength => "身份证号位数不对",
            IdProblem::BadBirthDate => "身份证号中的出生日期不存在",
            IdProblem::BadCheckChar => "身份证号校验位错误",
            IdProblem::Masked => "身份证号部分隐藏",
        }
    }
}

/// A valid 18-character ID and what it encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidId {
    /// The first 17 digits as a number: a compact, unique join key. With the check
    /// character they determine, the whole ID (`text`).
    pub key: u64,
    pub birth_date: NaiveDate,
    pub male: bool,
}

impl ValidId {
    /// The canonical 18-character form (digits and upper-case `X`), rebuilt from `key`: a
    /// roll holds millions of valid IDs, and holding their text took 48 bytes each.
    pub fn text(&self) -> IdText {
        let mut text = [0; 18];
        let mut rest = self.key;
        for digit in text[..17].iter_mut().rev() {
            *digit = b'0' + u8::try_from(rest % 10).expect("a digit");
            rest /= 10;
        }
        text[17] = u8::try_from(check_char(&text)).expect("an ASCII check character");
        IdText(text)
    }
}

/// A valid ID's 18 characters, made on the stack (`ValidId::text`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdText([u8; 18]);

impl std::ops::Deref for IdText {
    type Target = str;
    fn deref(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits and X are ASCII")
    }
}

impl AsRef<str> for IdText {
    fn as_ref(&self) -> &str {
        self
    }
}

impl std::fmt::Display for IdText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl std::fmt::Debug for IdText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The outcome of normalising one raw ID cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedId {
    /// The cleaned text (spaces, dashes, apostrophes removed; full-width folded; `x`→`X`).
    pub cleaned: Box<str>,
    pub result: Result<ValidId, IdProblem>,
    /// Text besides `cleaned` that comparisons borrow, rarely needed: the canonical form of
    /// an upgraded 15-digit ID (a valid 18-character ID is its own cleaned text), or the
    /// 18-position pattern of a masked ID (`IdProblem::Masked`).
    other: Option<Box<str>>,
}

impl NormalizedId {
    pub fn valid(&self) -> Option<&ValidId> {
        self.result.as_ref().ok()
    }

    pub fn problem(&self) -> Option<IdProblem> {
        self.result.as_ref().err().copied()
    }

    /// The characters this ID offers for comparison, valid or not: the canonical 18 when
    /// valid, else the cleaned text when it is 15 to 18 digits (a damaged ID still carries
    /// most of its digits). Excel numbers and other text offer nothing.
    pub fn comparable(&self) -> Option<&str> {
        if self.valid().is_some() {
            return Some(self.other.as_deref().unwrap_or(&self.cleaned));
        }
        let cleaned = &*self.cleaned;
        let body = cleaned.strip_suffix('X').unwrap_or(cleaned);
        let usable = (15..=18).contains(&cleaned.len()) && body.bytes().all(|b| b.is_ascii_digit());
        usable.then_some(cleaned)
    }

    /// A masked ID as 18 positions, `*` where a digit is hidden (a 15-digit extract is laid
    /// out as its 18-digit form: `19` before the year, the check character hidden).
    pub fn masked(&self) -> Option<&str> {
        self.other
            .as_deref()
            .filter(|_| self.problem() == Some(IdProblem::Masked))
    }
}

/// The fewest visible characters a masked ID must show to weigh for a match. Fewer
/// (`****************92`) still rule a pair out when one disagrees (contract, matching
/// item 6), but agreeing they are about as telling as no ID (`masked_shows_little`).
const MIN_TELLING_VISIBLE: usize = 4;

/// Whether a masked pattern shows too few characters for its agreement to count: such a
/// pair is decided as one without an ID (name, birth date and namesakes).
pub fn masked_shows_little(pattern: &str) -> bool {
    pattern.bytes().filter(|b| *b != b'*').count() < MIN_TELLING_VISIBLE
}

/// The 18-position pattern of a cleaned ID with hidden digits (`*`), if it is one: 15 or 18
/// characters of digits and stars (a final `X`), at least one star and one character shown.
/// However few are shown, each is evidence against another person's ID.
fn masked_pattern(cleaned: &str) -> Option<String> {
    let bytes = cleaned.as_bytes();
    let stars = cleaned.matches('*').count();
    let shape_ok = |len: usize| {
        bytes.len() == len
            && bytes[..len - 1]
                .iter()
                .all(|b| b.is_ascii_digit() || *b == b'*')
            && matches!(bytes[len - 1], b'0'..=b'9' | b'*' | b'X')
    };
    if stars == 0 || bytes.len() == stars {
        return None;
    }
    if shape_ok(18) {
        return Some(cleaned.to_string());
    }
    if shape_ok(15) && bytes[14] != b'X' {
        return Some(format!("{}19{}*", &cleaned[..6], &cleaned[6..]));
    }
    None
}

/// Whether every visible character of a masked pattern equals the other ID's character
/// at its position: a full ID, or another mask (where both show one).
pub fn masked_agrees(pattern: &str, other: &str) -> bool {
    pattern.len() == other.len()
        && pattern
            .bytes()
            .zip(other.bytes())
            .all(|(p, o)| p == b'*' || o == b'*' || p == o)
}

/// Which positions a masked pattern shows, in words for evidence: `前6位和后4位` for the
/// common forms, else a count of the visible characters.
pub fn masked_visible_zh(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let leading = bytes.iter().take_while(|b| **b != b'*').count();
    let trailing = bytes.iter().rev().take_while(|b| **b != b'*').count();
    let visible = bytes.iter().filter(|b| **b != b'*').count();
    if leading + trailing == visible && leading > 0 && trailing > 0 {
        format!("前{leading}位和后{trailing}位")
    } else if trailing == visible {
        format!("后{trailing}位")
    } else {
        format!("{visible}位")
    }
}

/// Normalises a raw ID cell (possibly absent) per the contract.
pub fn normalize_id(raw: Option<&str>) -> NormalizedId {
    let cleaned = clean_id(raw.unwrap_or(""));
    let (result, other) = match masked_pattern(&cleaned) {
        Some(pattern) => (Err(IdProblem::Masked), Some(pattern.into_boxed_str())),
        None => match validate_cleaned(&cleaned) {
            Ok(valid) if cleaned.len() != 18 => (Ok(valid), Some(Box::from(&*valid.text()))),
            result => (result, None),
        },
    };
    NormalizedId {
        cleaned: cleaned.into_boxed_str(),
        result,
        other,
    }
}

/// What `normalize_id(Some(raw)).comparable()` gives, without its work for the cell most
/// columns hold: 17 digits and a check character compare as written (`x` upper-cased),
/// valid or not.
pub fn comparable_id(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    if bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && matches!(bytes[17], b'0'..=b'9' | b'X' | b'x')
    {
        return Some(raw.to_ascii_uppercase());
    }
    normalize_id(Some(raw)).comparable().map(str::to_string)
}

/// Removes the noise that exports add around an ID without touching its digits.
pub fn clean_id(raw: &str) -> String {
    super::until_stable(raw, |raw| {
        let folded = super::nfkc(raw);
        let mut text = folded.trim();
        // Excel's text-forcing forms: ="4101..." and a leading apostrophe.
        if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
            text = inner;
        }
        text.chars()
            .filter(|c| !c.is_whitespace() && !is_separator(*c))
            .map(|c| if c == 'x' { 'X' } else { c })
            .collect()
    })
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '‐' | '‑' | '‒' | '–' | '—' | '\'' | '’' | '‘' | '`' | '"' | '\u{200b}' | '\u{feff}'
    )
}

fn validate_cleaned(cleaned: &str) -> Result<ValidId, IdProblem> {
    if cleaned.is_empty() {
        return Err(IdProblem::Blank);
    }
    if looks_like_excel_number(cleaned) {
        return Err(IdProblem::ExcelNumber);
    }
    let bytes = cleaned.as_bytes();
    let body_ok = |body: &[u8]| body.iter().all(u8::is_ascii_digit);
    match bytes.len() {
        15 if body_ok(bytes) => {
            let upgraded = upgrade_15(cleaned);
            validate_18(&upgraded)
        }
        18 if body_ok(&bytes[..17]) && (bytes[17].is_ascii_digit() || bytes[17] == b'X') => {
            validate_18(cleaned)
        }
        15 | 18 => Err(IdProblem::BadCharacters),
        _ if cleaned.chars().all(|c| c.is_ascii_digit() || c == 'X') => Err(IdProblem::BadLength),
        _ => Err(IdProblem::BadCharacters),
    }
}

fn looks_like_excel_number(cleaned: &str) -> bool {
    let upper = cleaned.to_ascii_uppercase();
    upper.contains("E+") || (upper.contains('.') && upper.chars().any(|c| c.is_ascii_digit()))
}

/// 15-digit IDs (born 19YY) gain "19" before the year and a computed check character.
/// The caller guarantees 15 ASCII digits.
pub fn upgrade_15(id15: &str) -> String {
    let mut body = String::with_capacity(18);
    body.push_str(&id15[..6]);
    body.push_str("19");
    body.push_str(&id15[6..]);
    let check = check_char(body.as_bytes());
    body.push(check);
    body
}

/// The ISO 7064 MOD 11-2 check character over the first 17 ASCII digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .take(17)
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

/// Whether a cleaned ID is a valid 18-character one (the form `comparable` gives a valid
/// ID): the same rule as `normalize_id`, without building a `ValidId`, for comparing
/// millions of pairs.
pub fn is_valid_18(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 18 && bytes[..17].iter().all(u8::is_ascii_digit) && check_18(id).is_ok()
}

fn validate_18(id: &str) -> Result<ValidId, IdProblem> {
    let birth_date = check_18(id)?;
    let bytes = id.as_bytes();
    let key = id[..17]
        .parse::<u64>()
        .expect("17 ASCII digits always fit in u64");
    let male = (bytes[16] - b'0') % 2 == 1;
    Ok(ValidId {
        key,
        birth_date,
        male,
    })
}

/// The validity rule of an 18-character ID whose first 17 characters are digits: a real
/// birth date, no leading zero, and the check character. Gives the birth date.
fn check_18(id: &str) -> Result<NaiveDate, IdProblem> {
    let bytes = id.as_bytes();
    let birth_date = birth_date_of(&id[6..14]).ok_or(IdProblem::BadBirthDate)?;
    if bytes[0] == b'0' {
        return Err(IdProblem::BadCharacters);
    }
    if check_char(bytes) != char::from(bytes[17]) {
        return Err(IdProblem::BadCheckChar);
    }
    Ok(birth_date)
}

fn birth_date_of(yyyymmdd: &str) -> Option<NaiveDate> {
    let year: i32 = yyyymmdd[..4].parse().ok()?;
    let month: u32 = yyyymmdd[4..6].parse().ok()?;
    let day: u32 = yyyymmdd[6..8].parse().ok()?;
    if !(1880..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Masks an ID for anything that leaves the office: region code and last 4 only,
/// never the birth date.
pub fn mask_id(cleaned: &str) -> String {
    let chars: Vec<char> = cleaned.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// Free text with every run of 15 to 18 ID characters (digits, a final X) masked like an ID:
/// a clerk may type an ID into a note, and notes reach outputs.
pub fn mask_ids_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || matches!(c, 'x' | 'X'))
            .count();
        if (15..=18).contains(&run) {
            out.push_str(&mask_id(&chars[i..i + run].iter().collect::<String>()));
        } else {
            out.extend(&chars[i..i + run.max(1)]);
        }
        i += run.max(1);
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn ids_typed_into_notes_are_masked() {
        assert_eq!(
            mask_ids_in_text("本人411526199001011234已搬走，电话13800001111"),
            "本人411526********1234已搬走，电话13800001111"
        );
        assert_eq!(mask_ids_in_text("无"), "无");
    }

    #[test]
    fn cleaning_is_stable_when_removed_whitespace_brings_combining_marks_together() {
        // Found by fuzzing: NFKC reorders combining marks that only meet once the carriage
        // returns between them are gone.
        let raw = ".\u{4}\u{33a}\u{d}\u{d}\u{d}\u{5ba})))\u{4}\u{33a}\u{5ba})))";
        let cleaned = clean_id(raw);
        assert_eq!(clean_id(&cleaned), cleaned);
    }
    use super::*;
    use proptest::prelude::*;

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()))
    }

    #[test]
    fn known_valid_id_validates() {
        // GB 11643's worked example.
        let id = normalize_id(Some("11010519491231002X"));
        let valid = id.valid().expect("worked example is valid");
        assert_eq!(
            valid.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(!valid.male);
    }

    #[test]
    fn damaged_forms_clean_to_the_same_id() {
        let canonical = "11010519491231002X";
        for raw in [
            "11010519491231002x",
            " 110105 19491231 002X ",
            "110105-19491231-002X",
            "'11010519491231002X",
            "１１０１０５１９４９１２３１００２Ｘ",
            "=\"11010519491231002X\"",
        ] {
            let id = normalize_id(Some(raw));
            assert_eq!(
                id.valid().map(|v| v.text().to_string()).as_deref(),
                Some(canonical),
                "{raw}"
            );
        }
    }

    #[test]
    fn problems_are_named_not_repaired() {
        let problem = |raw: &str| normalize_id(Some(raw)).problem();
        assert_eq!(problem(""), Some(IdProblem::Blank));
        assert_eq!(problem("4.11526E+17"), Some(IdProblem::ExcelNumber));
        assert_eq!(problem("110105194912310021"), Some(IdProblem::BadCheckChar));
        assert_eq!(problem("11010519491331002X"), Some(IdProblem::BadBirthDate));
        assert_eq!(problem("1101051949123100"), Some(IdProblem::BadLength));
        assert_eq!(
            problem("11010519491231002Y"),
            Some(IdProblem::BadCharacters)
        );
    }

    #[test]
    fn impossible_leap_day_is_a_bad_birth_date() {
        let id = with_check("41152620250229123");
        assert_eq!(
            normalize_id(Some(&id)).problem(),
            Some(IdProblem::BadBirthDate)
        );
    }

    #[test]
    fn fifteen_digit_id_upgrades_to_its_eighteen_digit_form() {
        let upgraded = normalize_id(Some("110105491231002"));
        assert_eq!(&*upgraded.valid().unwrap().text(), "11010519491231002X");
    }

    #[test]
    fn masked_forms_keep_their_visible_characters() {
        let full = "41152619800101123X";
        for raw in [
            "411526********123X",
            "4115**********123X",
            "４１１５２６＊＊＊＊＊＊＊＊１２３Ｘ",
            "411526 198******* 3x",
        ] {
            let id = normalize_id(Some(raw));
            assert_eq!(id.problem(), Some(IdProblem::Masked), "{raw}");
            assert_eq!(id.comparable(), None, "{raw}");
            let pattern = id.masked().expect(raw);
            assert_eq!(pattern.len(), 18);
            assert!(masked_agrees(pattern, full), "{raw}");
            assert!(!masked_agrees(pattern, "41152619800101124X"), "{raw}");
        }
        // 15-digit extracts are laid out as their 18-digit form.
        let id = normalize_id(Some("411526******123"));
        assert_eq!(id.masked(), Some("41152619******123*"));
        // However little is shown, it is a mask (its characters can disagree), but fewer
        // than four agreeing say little; all stars or no star is no mask.
        let few = normalize_id(Some("****************3X"));
        assert_eq!(few.problem(), Some(IdProblem::Masked));
        let pattern = few.masked().expect("two characters shown");
        assert!(masked_agrees(pattern, full) && masked_shows_little(pattern));
        assert!(!masked_agrees(pattern, "411526198001011292"));
        assert!(!masked_shows_little("**************123X"));
        assert_eq!(normalize_id(Some("******************")).masked(), None);
        assert_eq!(normalize_id(Some(full)).masked(), None);
        assert_eq!(masked_visible_zh("****************92"), "后2位");
        assert_eq!(masked_visible_zh("411526********123X"), "前6位和后4位");
        assert_eq!(masked_visible_zh("4115**********123X"), "前4位和后4位");
        assert_eq!(masked_visible_zh("4115**1980******3X"), "10位");
    }

    #[test]
    fn mask_keeps_region_and_last_four_only() {
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
    }

    fn arb_first17() -> impl Strategy<Value = String> {
        (
            100_000u32..=899_999,
            1900i32..=2020,
            1u32..=12,
            1u32..=28,
            0u32..=999,
        )
            .prop_map(|(region, year, month, day, seq)| {
                format!("{region:06}{year:04}{month:02}{day:02}{seq:03}")
            })
    }

    proptest! {
        #[test]
        fn comparable_id_takes_the_short_cut_only_where_it_agrees(
            raw in "[0-9]{17}[0-9xX]|[0-9]{15,18}|\\PC{0,20}",
        ) {
            prop_assert_eq!(
                comparable_id(&raw),
                normalize_id(Some(&raw)).comparable().map(str::to_string)
            );
        }

        #[test]
        fn is_valid_18_agrees_with_normalize_id(
            id in arb_first17().prop_map(|first17| with_check(&first17)).boxed()
                .prop_union("[0-9]{17}[0-9X]|[0-9]{15}".boxed()),
        ) {
            prop_assert_eq!(is_valid_18(&id), id.len() == 18 && normalize_id(Some(&id)).valid().is_some());
        }

        #[test]
        fn mask_hides_every_birth_date_position(cleaned in "\\PC{18}") {
            // Any 18 characters, stars included (a masked export fed back in).
            let masked: Vec<char> = mask_id(&cleaned).chars().collect();
            prop_assert_eq!(masked.len(), 18);
            prop_assert!(masked[6..14].iter().all(|c| *c == '*'));
        }

        #[test]
        fn valid_ids_round_trip(first17 in arb_first17()) {
            let id = with_check(&first17);
            let normalized = normalize_id(Some(&id));
            prop_assert_eq!(normalized.valid().map(|v| v.text().to_string()), Some(id));
        }

        #[test]
        fn normalizing_twice_equals_once(raw in "[0-9xX '\\-]{0,22}") {
            let once = clean_id(&raw);
            prop_assert_eq!(clean_id(&once), once.clone());
            prop_assert_eq!(normalize_id(Some(&once)), normalize_id(Some(&raw)));
        }

        #[test]
        fn upgraded_fifteen_digit_ids_always_validate(
            region in 100_000u32..=899_999, yy in 0u32..=99, month in 1u32..=12,
            day in 1u32..=28, seq in 0u32..=999,
        ) {
            let id15 = format!("{region:06}{yy:02}{month:02}{day:02}{seq:03}");
            prop_assert!(normalize_id(Some(&id15)).valid().is_some());
        }

        #[test]
        fn one_digit_typo_never_validates(first17 in arb_first17(), pos in 0usize..17, delta in 1u8..=9) {
            let id = with_check(&first17);
            let mut bytes = id.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(normalize_id(Some(&typo)).valid().is_none());
        }
    }
}
