//! Comparison levels in words: English for `explain`, Chinese for the reviewers' leads.

/// What each level means, in words a reviewer reads.
pub fn level_words(field: &str, level: &str) -> &'static str {
    match (field, level) {
        ("id", "identical") => "ID numbers identical as written",
        ("id", "normalized") => {
            "ID numbers equal after normalisation (spacing, width, 15→18 digits)"
        }
        ("id", "one_digit") => "ID numbers differ in one digit",
        ("id", "transposition") => "ID numbers differ by two swapped digits",
        ("id", "masked_agree") => {
            "ID partly hidden (masked); every visible character agrees with the member's ID"
        }
        ("id", "different") => "ID numbers differ",
        ("id", "masked_agree_partial") => {
            "ID partly hidden, some of its last four too; every visible character agrees"
        }
        ("id", "masked_disagree") => {
            "ID partly hidden (masked); a visible character differs from the member's ID"
        }
        ("name", "identical") => "names identical",
        ("name", "normalized") => {
            "names equal after normalisation (traditional/simplified, spaces, dots)"
        }
        ("name", "same_reading") => "names read the same (homophones)",
        ("name", "one_char_diff") => "names differ in one character",
        ("name", "different") => "names clearly differ",
        ("birth_date", "equal") => "birth dates equal",
        ("birth_date", "one_field_off") => "birth dates differ in year, month or day",
        ("birth_date", "day_month_swapped") => "birth dates with day and month swapped",
        ("birth_date", "different") => "birth dates differ",
        ("region", "village") => "same village",
        ("region", "township") => "same township",
        ("region", "county") => "same county",
        ("region", "other") => "different county",
        ("gender", "same") => "same gender (from the ID)",
        ("gender", "different") => "different gender (from the ID)",
        (_, "missing") => {
            "not compared: unknown on one side, or already counted in the ID (no weight)"
        }
        _ => "",
    }
}

/// What each level means, in Chinese, for the workbooks' leads.
fn level_words_zh(field: &str, level: &str) -> &'static str {
    match (field, level) {
        ("id", "identical") => "身份证号完全一致",
        ("id", "normalized") => "身份证号规范化后一致",
        ("id", "one_digit") => "身份证号差一位",
        ("id", "transposition") => "身份证号两位颠倒",
        ("id", "masked_agree") => "身份证号部分隐藏，可见位全部一致",
        ("id", "different") => "身份证号不同",
        ("id", "masked_agree_partial") => "身份证号大部分隐藏（后四位不全），可见位全部一致",
        ("id", "masked_disagree") => "身份证号部分隐藏，可见位不一致",
        ("name", "identical") => "姓名一致",
        ("name", "normalized") => "姓名规范化后一致（繁简、空格、间隔号）",
        ("name", "same_reading") => "姓名同音",
        ("name", "one_char_diff") => "姓名差一字",
        ("name", "different") => "姓名明显不同",
        ("birth_date", "equal") => "出生日期一致",
        ("birth_date", "one_field_off") => "出生日期年、月或日不同",
        ("birth_date", "day_month_swapped") => "出生日期月日颠倒",
        ("birth_date", "different") => "出生日期不同",
        ("region", "village") => "同村",
        ("region", "township") => "同乡镇",
        ("region", "county") => "同县",
        ("region", "other") => "不同县",
        ("gender", "same") => "性别一致",
        ("gender", "different") => "性别不同",
        ("id", "missing") => "登记记录无可用身份证号",
        _ => "",
    }
}

/// A pair's comparison levels in Chinese words, for a reviewer: `(field, level)` in
/// `link::FIELDS` order; fields that were not compared are left out.
pub fn comparison_in_words(levels: &[(&str, &str)]) -> String {
    levels
        .iter()
        .map(|(field, level)| level_words_zh(field, level))
        .filter(|words| !words.is_empty())
        .collect::<Vec<_>>()
        .join("；")
}
