//! Name material for synthetic people: surnames weighted by frequency (roughly the
//! national ranking), given-name characters, and the variants registries produce.

use std::collections::HashMap;
use std::sync::LazyLock;

use rand::Rng;

/// (surname, weight): weights follow the common-surname ranking; tails are rarer names.
pub const SURNAMES: &[(&str, u32)] = &[
    ("王", 720),
    ("李", 710),
    ("张", 680),
    ("刘", 550),
    ("陈", 450),
    ("杨", 320),
    ("黄", 230),
    ("赵", 210),
    ("吴", 200),
    ("周", 190),
    ("徐", 140),
    ("孙", 130),
    ("马", 120),
    ("朱", 120),
    ("胡", 110),
    ("郭", 110),
    ("何", 100),
    ("林", 90),
    ("高", 90),
    ("罗", 90),
    ("郑", 80),
    ("梁", 80),
    ("谢", 60),
    ("宋", 60),
    ("唐", 60),
    ("许", 50),
    ("韩", 50),
    ("冯", 50),
    ("邓", 50),
    ("曹", 50),
    ("彭", 40),
    ("曾", 40),
    ("肖", 40),
    ("田", 40),
    ("董", 40),
    ("潘", 30),
    ("袁", 30),
    ("蔡", 30),
    ("蒋", 30),
    ("余", 30),
    ("于", 30),
    ("杜", 30),
    ("叶", 30),
    ("程", 30),
    ("魏", 30),
    ("苏", 30),
    ("吕", 30),
    ("丁", 30),
    ("任", 30),
    ("单", 8),
    ("解", 6),
    ("仇", 4),
    ("查", 4),
    ("朴", 3),
    ("欧阳", 5),
    ("司马", 2),
    ("诸葛", 1),
];

/// Characters used in given names.
pub const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "兰", "霞", "平", "刚", "桂", "华", "建", "国", "红", "玉", "文", "志", "海",
    "林", "春", "燕", "梅", "凤", "龙", "云", "东", "贵", "宝", "荣", "宁", "德", "福", "振", "家",
    "永", "金", "小", "佳", "欣", "晓", "子", "俊", "浩", "宇", "鹏", "新", "琴", "萍", "莉", "婷",
    "雪", "慧", "颖", "晶", "倩", "悦", "怡", "婉", "蓉", "菊", "翠", "珍", "珠", "琼", "瑶", "璐",
    "露", "薇", "蕾", "莹", "嘉", "馨", "妍", "娇", "媛", "婕", "晴", "晨", "曦", "阳", "秋", "冬",
    "月", "星", "辰", "轩", "睿", "哲", "瀚", "泽", "宏", "飞", "翔", "虎", "彪", "豪", "峰", "岩",
    "松", "柏", "森", "树", "昌", "盛", "兴", "旺", "禄", "寿", "喜", "庆", "祥", "瑞", "吉", "安",
    "康", "健", "乐", "仁", "义", "礼", "智", "信", "忠", "孝", "诚", "善", "良", "贤", "淑", "惠",
    "慈", "恩", "爱", "心", "思", "梦", "雨", "霖", "冰", "清", "澄", "波", "江", "河", "湖", "川",
    "山", "岭", "峻", "崇", "远", "长", "恒", "久", "旭", "正", "方", "银", "铁", "钢", "锋", "锐",
    "锦", "绣", "彩", "霓", "青", "丹", "彤", "黛", "书", "诗", "琪", "瑜", "璇", "珊", "琦", "璋",
    "琛", "瑾", "璟", "昊", "晟", "昱", "晔", "晖", "景", "毅", "坚", "勋", "功", "业", "成", "立",
    "达", "通", "顺", "利", "进", "发", "财", "富", "美", "艺", "才", "学", "武", "斌", "彬", "杉",
    "栋", "梁", "桥", "楠", "桐", "枫", "柳", "梓", "榕", "桃", "莲", "荷", "菲", "芬", "芝", "蕙",
    "苗", "茂", "芸", "茜", "萱", "蕊", "元", "初", "民", "友", "伦", "雄", "彦", "士", "翰", "卫",
    "光", "辉", "亮", "鑫", "淼", "焱", "垚", "昆", "仑", "峥", "嵘", "凯", "旋", "胜", "勤", "俭",
    "朴", "素", "纯", "洁", "雅", "致", "恬", "娴", "媚", "娅", "婵", "娥", "姣", "嫣", "妮", "姗",
    "姝", "嫦", "琰", "璞", "琨", "珏", "玲", "珑", "琬", "瑗", "璨", "灿", "烨", "炎", "煜", "熙",
    "熠", "照", "耀", "焕", "然", "炜", "烽", "炬", "燃", "宸", "宙", "宵", "寅", "卯", "巍", "峨",
    "嵩", "岳", "崴", "屹", "岚", "峦", "崎", "蓓", "蕴", "藉", "莎", "菁", "芮", "苒", "萌", "蔚",
    "蓝",
];

/// Minority names with a middle dot, for a few households.
pub const MINORITY: &[&str] = &[
    "阿依古丽·买买提",
    "艾力·吐尔逊",
    "古丽娜尔·阿不都",
    "热依拉·艾合买提",
    "买买提·依明",
];

/// Simplified → traditional for characters above, as older registries write them.
const TRADITIONAL: &[(char, char)] = &[
    ('陈', '陳'),
    ('刘', '劉'),
    ('张', '張'),
    ('杨', '楊'),
    ('黄', '黃'),
    ('赵', '趙'),
    ('吴', '吳'),
    ('郑', '鄭'),
    ('孙', '孫'),
    ('马', '馬'),
    ('罗', '羅'),
    ('许', '許'),
    ('邓', '鄧'),
    ('冯', '馮'),
    ('韩', '韓'),
    ('丽', '麗'),
    ('华', '華'),
    ('军', '軍'),
    ('国', '國'),
    ('红', '紅'),
    ('兰', '蘭'),
    ('凤', '鳳'),
    ('龙', '龍'),
    ('伟', '偉'),
    ('刚', '剛'),
    ('东', '東'),
    ('云', '雲'),
    ('贵', '貴'),
    ('宝', '寶'),
    ('荣', '榮'),
    ('宁', '寧'),
    ('叶', '葉'),
    ('苏', '蘇'),
    ('吕', '呂'),
    ('杰', '傑'),
    ('涛', '濤'),
    ('娟', '娟'),
    ('艳', '艷'),
    ('霞', '霞'),
    ('晓', '曉'),
    ('鹏', '鵬'),
    ('浩', '浩'),
];

pub fn pick_surname(rng: &mut impl Rng) -> &'static str {
    super::pick_weighted(rng, SURNAMES)
}

/// The share of names given a second given-name character.
const TWO_GIVEN: f64 = 0.85;
/// The share of names drawn from `MINORITY`.
const MINORITY_SHARE: f64 = 0.004;
/// The default steepness of given-name characters' shares by rank (see `Names`).
pub const NAME_SKEW: f64 = 0.5;

/// Each given-name character's place in `GIVEN`.
static GIVEN_RANK: LazyLock<HashMap<char, usize>> = LazyLock::new(|| {
    GIVEN
        .iter()
        .enumerate()
        .filter_map(|(rank, g)| Some((g.chars().next()?, rank)))
        .collect()
});

/// The name distribution a county draws from. Given-name characters are drawn by rank
/// (Zipf, exponent `skew`): 伟 and 芳 often, the tail of the list rarely, so common names
/// are common and rare ones rare. At the default `NAME_SKEW` (0.5) the commonest full name
/// (王 + one character) holds about 0.05% of people; 张伟, China's commonest, holds about
/// 0.02%. A steeper skew makes the common names commoner, 0 makes every character alike
/// (issue 31: decisions must not hinge on one generator's name frequencies).
#[derive(Debug, Clone)]
pub struct Names {
    given_shares: Vec<f64>,
}

impl Default for Names {
    fn default() -> Self {
        Self::new(NAME_SKEW)
    }
}

impl Names {
    pub fn new(skew: f64) -> Self {
        #[allow(clippy::cast_precision_loss)] // ranks of a short constant list
        let weights: Vec<f64> = (0..GIVEN.len())
            .map(|rank| ((rank + 1) as f64).powf(-skew))
            .collect();
        let total: f64 = weights.iter().sum();
        Self {
            given_shares: weights.into_iter().map(|w| w / total).collect(),
        }
    }

    fn given_char(&self, rng: &mut impl Rng) -> &'static str {
        let mut roll: f64 = rng.random();
        for (g, share) in GIVEN.iter().zip(self.given_shares.iter()) {
            if roll < *share {
                return g;
            }
            roll -= share;
        }
        GIVEN[GIVEN.len() - 1]
    }

    pub fn given_name(&self, rng: &mut impl Rng) -> String {
        let n = if rng.random_bool(TWO_GIVEN) { 2 } else { 1 };
        (0..n).map(|_| self.given_char(rng)).collect()
    }

    /// The share of a given name (one or two characters) among those `given_name` draws.
    pub fn given_share(&self, given: &str) -> f64 {
        let shares: Option<Vec<f64>> = given
            .chars()
            .map(|c| GIVEN_RANK.get(&c).map(|rank| self.given_shares[*rank]))
            .collect();
        match shares.as_deref() {
            Some([one]) => (1.0 - TWO_GIVEN) * one,
            Some([first, second]) => TWO_GIVEN * first * second,
            _ => 0.0,
        }
    }

    pub fn full_name(&self, rng: &mut impl Rng, surname: &str) -> String {
        if rng.random_bool(MINORITY_SHARE) {
            return MINORITY[rng.random_range(0..MINORITY.len())].to_string();
        }
        format!("{surname}{}", self.given_name(rng))
    }

    /// The share of `name` among the names `full_name` draws (given `pick_surname`'s
    /// weights): how common a full name is, for modelling namesakes. Zero for a name it
    /// never draws.
    #[allow(clippy::cast_precision_loss)] // lengths of short constant lists
    pub fn name_share(&self, name: &str) -> f64 {
        if MINORITY.contains(&name) {
            return MINORITY_SHARE / MINORITY.len() as f64;
        }
        let total: u32 = SURNAMES.iter().map(|(_, w)| w).sum();
        // The longest surname the name starts with (欧阳 before any one-character surname).
        let Some((surname, weight)) = SURNAMES
            .iter()
            .filter(|(s, _)| name.starts_with(s))
            .max_by_key(|(s, _)| s.len())
        else {
            return 0.0;
        };
        let given_share = self.given_share(&name[surname.len()..]);
        (1.0 - MINORITY_SHARE) * f64::from(*weight) / f64::from(total) * given_share
    }

    /// A clearly different name: a different surname (not a homophone of it) and no
    /// character in common with `name`, so at least two characters and the readings differ.
    pub fn clearly_different(&self, rng: &mut impl Rng, name: &str) -> String {
        const SAME_READING: &[&str] = &["于", "余"];
        loop {
            let surname = pick_surname(rng);
            let candidate = format!("{surname}{}", self.given_name(rng));
            let shares_char = candidate.chars().any(|c| name.contains(c));
            let homophone_surnames =
                SAME_READING.contains(&surname) && SAME_READING.iter().any(|s| name.starts_with(s));
            if candidate.chars().count() >= 2 && !shares_char && !homophone_surnames {
                return candidate;
            }
        }
    }
}

/// A name as written (traditional characters, stray spaces) back in the simplified form
/// the roll uses: the key under which the synthetic data compares names.
pub fn simplified(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| other_form(c, false))
        .collect()
}

/// The name in traditional characters where we know them.
pub fn traditional(name: &str) -> String {
    name.chars().map(|c| other_form(c, true)).collect()
}

/// `c` written the other way where `TRADITIONAL` knows it: its traditional form
/// (`to_traditional`) or its simplified one; else `c` itself.
fn other_form(c: char, to_traditional: bool) -> char {
    TRADITIONAL
        .iter()
        .map(|&(simplified, traditional)| {
            if to_traditional {
                (simplified, traditional)
            } else {
                (traditional, simplified)
            }
        })
        .find(|&(from, _)| from == c)
        .map_or(c, |(_, to)| to)
}

/// Given-name characters and a homophone of each (same reading, different character).
const HOMOPHONES: &[(char, char)] = &[
    ('伟', '炜'),
    ('芳', '方'),
    ('丽', '莉'),
    ('军', '君'),
    ('明', '铭'),
    ('华', '桦'),
    ('红', '虹'),
    ('玉', '钰'),
    ('文', '雯'),
    ('燕', '艳'),
    ('静', '婧'),
    ('杰', '洁'),
    ('涛', '韬'),
    ('平', '萍'),
    ('英', '瑛'),
    ('兰', '岚'),
    ('林', '琳'),
    ('宇', '雨'),
    ('鹏', '朋'),
    ('新', '欣'),
    ('国', '帼'),
];

/// The name with its first replaceable given-name character swapped for a homophone, or in
/// traditional characters when none is replaceable (either way: the same person).
pub fn homophone(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    for c in chars.iter_mut().skip(1) {
        if let Some((_, other)) = HOMOPHONES.iter().find(|(s, _)| s == c) {
            *c = *other;
            return chars.into_iter().collect();
        }
    }
    traditional(name)
}

/// A name with a stray space or full-width space, as hand-keyed registries have.
pub fn spaced(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.len() >= 2 {
        chars.insert(1, '\u{3000}');
    }
    chars.into_iter().collect()
}

#[cfg(test)]
#[allow(clippy::cast_precision_loss, clippy::float_cmp)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Shares sum to one and match what is drawn, at the default skew and at the ends of
    /// the range the knob is meant for.
    #[test]
    fn name_shares_are_the_generators_distribution() {
        for skew in [0.0, NAME_SKEW, 1.0] {
            shares_match_draws(&Names::new(skew));
        }
        let (flat, default, steep) = (Names::new(0.0), Names::default(), Names::new(1.0));
        // A steeper skew makes the commonest name commoner and a rare one rarer.
        assert!(steep.name_share("王伟") > 2.0 * default.name_share("王伟"));
        assert!(default.name_share("王伟") > 2.0 * flat.name_share("王伟"));
        assert!(steep.name_share("王蓝") < default.name_share("王蓝"));
        assert_eq!(flat.given_share("伟"), flat.given_share("蓝"));
        assert!(default.name_share("王伟") > 50.0 * default.name_share("诸葛晓宇"));
    }

    fn shares_match_draws(names: &Names) {
        // Given names: every one and two characters long, shares summing to one.
        let mut given = 0.0;
        for a in GIVEN {
            given += names.given_share(a);
            for b in GIVEN {
                given += names.given_share(&format!("{a}{b}"));
            }
        }
        assert!((given - 1.0).abs() < 1e-9, "{given}");
        // Full names: each surname's share of the given names, plus the minority names.
        let mut total: f64 = SURNAMES
            .iter()
            .map(|(surname, _)| {
                names.name_share(&format!("{surname}{}", GIVEN[0])) / names.given_share(GIVEN[0])
            })
            .sum();
        total += MINORITY.iter().map(|n| names.name_share(n)).sum::<f64>();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // Sampled frequencies agree: one-character given names under 王.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 200_000u32;
        let sampled = (0..n)
            .map(|_| {
                let surname = pick_surname(&mut rng);
                names.full_name(&mut rng, surname)
            })
            .filter(|name| name.starts_with('王') && name.chars().count() == 2)
            .count();
        let expected: f64 = GIVEN
            .iter()
            .map(|g| names.name_share(&format!("王{g}")))
            .sum::<f64>()
            * f64::from(n);
        assert!(
            (sampled as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "{sampled} vs {expected}"
        );
        assert!(names.name_share("王伟") >= names.name_share("诸葛晓宇"));
        assert_eq!(names.name_share("Smith"), 0.0);
    }
}
