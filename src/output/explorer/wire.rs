//! The page's form of `ExplorerData` (`Wire`): dictionary codes packed into strings,
//! evidence as shared shapes and phrases, members household by household. explorer.js
//! decodes it; `Wire::data` reads it back for the tests and `read_data`.

#![allow(clippy::wildcard_imports)]

use super::*;

/// `ExplorerData` as the page gets it, smaller: codes and counts packed into strings (`pack`),
/// scores and names dictionary-coded, evidence as shapes and phrases (`EvidenceWire`), members
/// household by household with their ids after the household's and their masked IDs without
/// the run of `*` (`MemberWire`), the finding columns only where there are findings.
/// explorer.js decodes it; `data` reads it back.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Wire {
    pub(super) run: RunInfo,
    pub(super) columns: Vec<String>,
    pub(super) fields: Vec<String>,
    pub(super) labels: BTreeMap<String, BTreeMap<String, String>>,
    pub(super) dict: Dictionaries,
    pub(super) regions: Regions,
    pub(super) flags: FlagWire,
    pub(super) members: MemberWire,
    pub(super) matches: MatchWire,
    pub(super) comparisons: Vec<Comparison>,
    pub(super) trend: Trend,
    /// Absent from pages written before warnings.
    #[serde(default)]
    pub(super) warnings: Option<warnings::WarningWire>,
    #[serde(default)]
    pub(super) warning_columns: Vec<String>,
}

/// The flag columns; every string but in `evidence` is a packed column.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct FlagWire {
    pub(super) household: String,
    pub(super) programme: String,
    pub(super) region: String,
    pub(super) reason: String,
    pub(super) severity: String,
    pub(super) status: String,
    pub(super) first_flagged_on: String,
    pub(super) members: ListWire,
    pub(super) records: ListWire,
    pub(super) score: Coded<Option<f64>>,
    pub(super) since: String,
    pub(super) overpaid: Coded<Option<f64>>,
    pub(super) evidence: EvidenceWire,
    pub(super) finding: FindingWire,
}

/// A list column: each row's length, then every row's items in one run (both packed).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ListWire {
    pub(super) len: String,
    pub(super) at: String,
}

/// Dictionary-coded values: row `i` is `values[code[i]]` (`code` packed).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Coded<T> {
    pub(super) values: Vec<T>,
    pub(super) code: String,
}

/// The four finding columns at the flags in `flag` (packed; every flag when absent), the
/// other flags having none (code 0 in each).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct FindingWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) flag: Option<String>,
    pub(super) verdict: String,
    pub(super) action: String,
    pub(super) reviewer: String,
    pub(super) reviewed_on: String,
}

/// The evidence column. Each text is cut into tokens (`tokens`); the tokens in at least a
/// fifth of a reason's flags make up the shape of each of its texts, with `|` where a run of
/// other tokens, a value, goes. Shapes that recur are `templates`; a text whose shape does
/// not recur is `|`, one value. The values of all flags follow one another in `values`,
/// separated by `|`; in them `~` and `width` digits stand for a phrase, a token that recurs
/// where its code is shorter than it. A `|` or `~` in evidence is always a phrase, so
/// neither is ever text.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct EvidenceWire {
    pub(super) templates: Vec<String>,
    pub(super) phrases: Vec<String>,
    pub(super) width: usize,
    /// Per flag, an index into `templates` (packed).
    pub(super) template: String,
    pub(super) values: String,
}

/// Members household by household: how many each entry of `dict.household` has (packed),
/// then per member its id, name, masked ID and whether it heads the household (packed).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MemberWire {
    pub(super) count: String,
    pub(super) id: MemberIds,
    pub(super) name: Coded<String>,
    pub(super) masked_id: MaskedIds,
    pub(super) head: String,
}

/// Member ids: with code `k > 0` the household's id followed by `suffix[k - 1]`, with code 0
/// the next of `other` (packed codes).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MemberIds {
    pub(super) suffix: Vec<String>,
    pub(super) code: String,
    pub(super) other: Vec<String>,
}

/// Masked IDs as `[visible start, number of *, length of the tail]` patterns, one per member
/// (packed codes), the tails (lengths in UTF-16 units, as JS counts) one after another.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MaskedIds {
    pub(super) pattern: Vec<(String, usize, usize)>,
    pub(super) code: String,
    pub(super) tail: String,
}

/// The match columns, each packed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MatchWire {
    pub(super) household: String,
    pub(super) member: String,
    pub(super) record: String,
    pub(super) source: String,
    pub(super) comparison: String,
}

/// The 64 digits of a packed number, in value order; none needs escaping in JSON or HTML.
pub(super) const DIGITS: &[u8; 64] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
/// In a shape, where a value goes; in the values, between one value and the next.
pub(super) const HOLE: char = '|';
/// In a value, a phrase code follows.
pub(super) const PHRASE: char = '~';

/// How many digits the number takes.
pub(super) fn width(max: u32) -> usize {
    let mut width = 1;
    while width < 6 && max >> (6 * width) != 0 {
        width += 1;
    }
    width
}

pub(super) fn push_digits(out: &mut String, value: u32, width: usize) {
    for k in (0..width).rev() {
        out.push(char::from(DIGITS[((value >> (6 * k)) & 63) as usize]));
    }
}

pub(super) fn digits_value(digits: &[u8]) -> Result<u32, String> {
    let mut value: u64 = 0;
    for &d in digits {
        let digit = match d {
            b'0'..=b'9' => d - b'0',
            b'A'..=b'Z' => d - b'A' + 10,
            b'a'..=b'z' => d - b'a' + 36,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(format!("`{}` is not a packed digit", char::from(d))),
        };
        value = value * 64 + u64::from(digit);
    }
    u32::try_from(value).map_err(|_| format!("packed number {value} out of range"))
}

/// Numbers as one string: how many digits each takes (`1`–`6`), then each in that many
/// base-64 digits (`DIGITS`).
pub(super) fn pack(values: &[u32]) -> String {
    let width = width(values.iter().copied().max().unwrap_or(0));
    let mut out = String::with_capacity(1 + width * values.len());
    out.push(char::from(
        b'0' + u8::try_from(width).expect("at most 6 digits"),
    ));
    for &value in values {
        push_digits(&mut out, value, width);
    }
    out
}

pub(super) fn unpack(text: &str) -> Result<Vec<u32>, String> {
    let (&width, digits) = text
        .as_bytes()
        .split_first()
        .ok_or("an empty packed column")?;
    let width = usize::from(width.wrapping_sub(b'0'));
    if !(1..=6).contains(&width) || digits.len() % width != 0 {
        return Err(format!(
            "a packed column of {} digits, {width} each",
            digits.len()
        ));
    }
    digits.chunks(width).map(digits_value).collect()
}

pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 rows")
}

impl Wire {
    pub(super) fn of(data: &ExplorerData) -> Result<Wire, String> {
        let f = &data.flags;
        Ok(Wire {
            run: data.run.clone(),
            columns: data.columns.clone(),
            fields: data.fields.clone(),
            labels: data.labels.clone(),
            dict: data.dict.clone(),
            regions: data.regions.clone(),
            flags: FlagWire {
                household: pack(&f.household),
                programme: pack(&f.programme),
                region: pack(&f.region),
                reason: pack(&f.reason),
                severity: pack(&f.severity),
                status: pack(&f.status),
                first_flagged_on: pack(&f.first_flagged_on),
                members: ListWire::of(&f.members),
                records: ListWire::of(&f.records),
                score: Coded::of(&f.score, |s| s.map(f64::to_bits)),
                since: pack(&f.since),
                overpaid: Coded::of(&f.overpaid, |s| s.map(f64::to_bits)),
                evidence: EvidenceWire::of(&f.evidence, &f.reason),
                finding: FindingWire::of(f),
            },
            members: MemberWire::of(&data.members, &data.dict.household)?,
            matches: MatchWire {
                household: pack(&data.matches.household),
                member: pack(&data.matches.member),
                record: pack(&data.matches.record),
                source: pack(&data.matches.source),
                comparison: pack(&data.matches.comparison),
            },
            comparisons: data.comparisons.clone(),
            trend: data.trend.clone(),
            warnings: Some(warnings::WarningWire::of(&data.warnings)),
            warning_columns: data.warning_columns.clone(),
        })
    }

    /// The data the page shows, as written.
    pub(super) fn data(self) -> Result<ExplorerData, String> {
        let f = self.flags;
        let household = unpack(&f.household)?;
        let n = household.len();
        let rows = |what: &str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(format!("{len} rows of flags.{what}, not {n}"))
            }
        };
        let column = |what: &str, packed: &str| {
            let values = unpack(packed)?;
            rows(what, values.len()).map(|()| values)
        };
        let members = f.members.lists()?;
        let records = f.records.lists()?;
        let score = f.score.items()?;
        let overpaid = f.overpaid.items()?;
        rows("overpaid", overpaid.len())?;
        let evidence = f.evidence.texts()?;
        rows("members", members.len())?;
        rows("records", records.len())?;
        rows("score", score.len())?;
        rows("evidence", evidence.len())?;
        let [verdict, action, reviewer, reviewed_on] = f.finding.columns(n)?;
        let m = self.matches;
        Ok(ExplorerData {
            members: self.members.columns(&self.dict.household)?,
            flags: FlagColumns {
                household,
                programme: column("programme", &f.programme)?,
                region: column("region", &f.region)?,
                reason: column("reason", &f.reason)?,
                severity: column("severity", &f.severity)?,
                members,
                evidence,
                records,
                score,
                status: column("status", &f.status)?,
                first_flagged_on: column("first_flagged_on", &f.first_flagged_on)?,
                verdict,
                action,
                reviewer,
                reviewed_on,
                since: column("since", &f.since)?,
                overpaid,
            },
            matches: MatchColumns {
                household: unpack(&m.household)?,
                member: unpack(&m.member)?,
                record: unpack(&m.record)?,
                source: unpack(&m.source)?,
                comparison: unpack(&m.comparison)?,
            },
            run: self.run,
            columns: self.columns,
            fields: self.fields,
            labels: self.labels,
            dict: self.dict,
            regions: self.regions,
            comparisons: self.comparisons,
            trend: self.trend,
            warnings: self.warnings.map_or_else(
                || Ok(WarningColumns::default()),
                warnings::WarningWire::columns,
            )?,
            warning_columns: self.warning_columns,
        })
    }
}

impl ListWire {
    pub(super) fn of(lists: &[Vec<u32>]) -> ListWire {
        let len: Vec<u32> = lists.iter().map(|list| count(list.len())).collect();
        ListWire {
            len: pack(&len),
            at: pack(&lists.concat()),
        }
    }

    pub(super) fn lists(&self) -> Result<Vec<Vec<u32>>, String> {
        let items = unpack(&self.at)?;
        let mut rest = items.as_slice();
        let lists = unpack(&self.len)?
            .into_iter()
            .map(|len| {
                let len = len as usize;
                if len > rest.len() {
                    return Err("a list column with too few items".to_string());
                }
                let (list, tail) = rest.split_at(len);
                rest = tail;
                Ok(list.to_vec())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if rest.is_empty() {
            Ok(lists)
        } else {
            Err("a list column with items left over".into())
        }
    }
}

impl<T: Clone> Coded<T> {
    pub(super) fn of<K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Coded<T> {
        let mut codes: HashMap<K, u32> = HashMap::new();
        let mut values = Vec::new();
        let code: Vec<u32> = items
            .iter()
            .map(|item| {
                *codes.entry(key(item)).or_insert_with(|| {
                    values.push(item.clone());
                    count(values.len() - 1)
                })
            })
            .collect();
        Coded {
            values,
            code: pack(&code),
        }
    }

    pub(super) fn items(&self) -> Result<Vec<T>, String> {
        unpack(&self.code)?
            .into_iter()
            .map(|code| {
                self.values
                    .get(code as usize)
                    .cloned()
                    .ok_or_else(|| format!("code {code} of {} values", self.values.len()))
            })
            .collect()
    }
}

impl FindingWire {
    pub(super) fn of(flags: &FlagColumns) -> FindingWire {
        let columns = [
            &flags.verdict,
            &flags.action,
            &flags.reviewer,
            &flags.reviewed_on,
        ];
        let n = flags.verdict.len();
        let found: Vec<usize> = (0..n)
            .filter(|&i| columns.iter().any(|column| column[i] != 0))
            .collect();
        let sparse = found.len() * 2 < n;
        let rows: Vec<usize> = if sparse { found } else { (0..n).collect() };
        let at = |column: &[u32]| pack(&rows.iter().map(|&i| column[i]).collect::<Vec<_>>());
        FindingWire {
            flag: sparse.then(|| pack(&rows.iter().map(|&i| count(i)).collect::<Vec<_>>())),
            verdict: at(&flags.verdict),
            action: at(&flags.action),
            reviewer: at(&flags.reviewer),
            reviewed_on: at(&flags.reviewed_on),
        }
    }

    pub(super) fn columns(&self, n: usize) -> Result<[Vec<u32>; 4], String> {
        let rows: Vec<usize> = match &self.flag {
            Some(flags) => unpack(flags)?.into_iter().map(|i| i as usize).collect(),
            None => (0..n).collect(),
        };
        let mut columns = [vec![0; n], vec![0; n], vec![0; n], vec![0; n]];
        let packed = [
            &self.verdict,
            &self.action,
            &self.reviewer,
            &self.reviewed_on,
        ];
        for (column, packed) in columns.iter_mut().zip(packed) {
            let values = unpack(packed)?;
            if values.len() != rows.len() {
                return Err(format!("{} findings at {} flags", values.len(), rows.len()));
            }
            for (&i, value) in rows.iter().zip(values) {
                *column.get_mut(i).ok_or("a finding past the last flag")? = value;
            }
        }
        Ok(columns)
    }
}

/// Evidence cut into tokens: after each punctuation mark or space (the phrases the rules
/// write, `身份证号相同，`, recur), around each run of ASCII digits (record ids, dates and sums
/// apart from the words around them), and `|` and `~` alone.
pub(super) fn tokens(text: &str) -> Vec<&str> {
    const ENDS: &[char] = &[
        '（', '）', '，', '；', '：', '、', '“', '”', ' ', '(', ')', ',',
    ];
    let mut out = Vec::new();
    let mut start = 0;
    let mut after_digit = false;
    for (at, c) in text.char_indices() {
        let digit = c.is_ascii_digit();
        let reserved = c == HOLE || c == PHRASE;
        if at > start && (reserved || digit != after_digit) {
            out.push(&text[start..at]);
            start = at;
        }
        if reserved || ENDS.contains(&c) {
            let end = at + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
        after_digit = digit;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

pub(super) fn reserved(token: &str) -> bool {
    token.len() == 1 && token.starts_with([HOLE, PHRASE])
}

/// Values and how often each occurs, commonest first, then in text order.
pub(super) fn by_count(counts: HashMap<&str, usize>) -> Vec<(&str, usize)> {
    let mut counted: Vec<(&str, usize)> = counts.into_iter().collect();
    counted.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counted
}

/// A text's shape (`|` where a value goes) and its values, each a run of tokens.
type Shaped<'a> = (String, Vec<Vec<&'a str>>);

/// Each text's shape and values: the tokens in at least a fifth of its reason's flags (and
/// in two or more) are the shape; a shape no other text has becomes `|`, the whole text one
/// value.
fn shapes<'a>(cut: &[Vec<&'a str>], reason: &[u32]) -> Vec<Shaped<'a>> {
    // How many of a reason's flags have each token.
    let mut flags_of: HashMap<u32, usize> = HashMap::new();
    let mut having: HashMap<(u32, &str), usize> = HashMap::new();
    for (tokens, &reason) in cut.iter().zip(reason) {
        *flags_of.entry(reason).or_default() += 1;
        let mut distinct = tokens.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for token in distinct {
            *having.entry((reason, token)).or_default() += 1;
        }
    }
    let in_shape = |reason: u32, token: &str| {
        let flags = having[&(reason, token)];
        !reserved(token) && flags >= 2 && flags * 5 >= flags_of[&reason]
    };
    let mut shaped: Vec<Shaped> = cut
        .iter()
        .zip(reason)
        .map(|(tokens, &reason)| {
            let (mut shape, mut values) = (String::new(), Vec::<Vec<&str>>::new());
            let mut open = false;
            for &token in tokens {
                if in_shape(reason, token) {
                    shape.push_str(token);
                    open = false;
                } else if open {
                    values.last_mut().expect("an open value").push(token);
                } else {
                    shape.push(HOLE);
                    values.push(vec![token]);
                    open = true;
                }
            }
            (shape, values)
        })
        .collect();
    let mut shape_counts: HashMap<String, usize> = HashMap::new();
    for (shape, _) in &shaped {
        *shape_counts.entry(shape.clone()).or_default() += 1;
    }
    for ((shape, values), tokens) in shaped.iter_mut().zip(cut) {
        if shape_counts[shape.as_str()] < 2 && !tokens.is_empty() {
            *shape = HOLE.to_string();
            *values = vec![tokens.clone()];
        }
    }
    shaped
}

/// The tokens of the values worth a code: a phrase earns its place when its codes and its
/// entry take fewer bytes than it; `|` and `~` always are phrases.
fn phrases(shaped: &[Shaped]) -> Dictionary {
    let mut token_counts: HashMap<&str, usize> = HashMap::new();
    for token in shaped
        .iter()
        .flat_map(|(_, values)| values.iter().flatten())
    {
        *token_counts.entry(token).or_default() += 1;
    }
    let candidates: Vec<(&str, usize)> = by_count(token_counts)
        .into_iter()
        .filter(|&(token, n)| n >= 2 || reserved(token))
        .collect();
    let code_bytes = 1 + width(count(candidates.len()));
    Dictionary::of(
        candidates
            .into_iter()
            .filter(|&(token, n)| {
                reserved(token) || n * token.len().saturating_sub(code_bytes) > token.len() + 3
            })
            .map(|(token, _)| token),
    )
}

/// Every text's values one after another, separated by `|`, phrases written as `~` and
/// their code in `width` digits.
fn joined_values(shaped: &[Shaped], phrases: &Dictionary, width: usize) -> String {
    let mut values = String::new();
    let mut first = true;
    for value in shaped.iter().flat_map(|(_, values)| values) {
        if !std::mem::take(&mut first) {
            values.push(HOLE);
        }
        for token in value {
            match phrases.codes.get(*token) {
                Some(&code) => {
                    values.push(PHRASE);
                    push_digits(&mut values, code, width);
                }
                None => values.push_str(token),
            }
        }
    }
    values
}

impl EvidenceWire {
    pub(super) fn of(evidence: &[String], reason: &[u32]) -> EvidenceWire {
        let cut: Vec<Vec<&str>> = evidence.iter().map(|text| tokens(text)).collect();
        let shaped = shapes(&cut, reason);
        let mut shape_counts: HashMap<&str, usize> = HashMap::new();
        for (shape, _) in &shaped {
            *shape_counts.entry(shape.as_str()).or_default() += 1;
        }
        let templates = Dictionary::of(by_count(shape_counts).into_iter().map(|(s, _)| s));
        let phrases = phrases(&shaped);
        let width = width(count(phrases.values.len().saturating_sub(1)));
        let template: Vec<u32> = shaped
            .iter()
            .map(|(shape, _)| templates.codes[shape.as_str()])
            .collect();
        EvidenceWire {
            templates: templates.values,
            values: joined_values(&shaped, &phrases, width),
            phrases: phrases.values,
            width,
            template: pack(&template),
        }
    }

    pub(super) fn texts(&self) -> Result<Vec<String>, String> {
        let shapes: Vec<Vec<&str>> = self
            .templates
            .iter()
            .map(|template| template.split(HOLE).collect())
            .collect();
        let mut values = self.values.split(HOLE);
        let mut taken = 0;
        let texts = unpack(&self.template)?
            .into_iter()
            .map(|template| {
                let parts = shapes
                    .get(template as usize)
                    .ok_or("an evidence template out of range")?;
                let mut text = parts[0].to_string();
                for part in &parts[1..] {
                    let value = values.next().ok_or("too few evidence values")?;
                    taken += 1;
                    self.expand(value, &mut text)?;
                    text.push_str(part);
                }
                Ok(text)
            })
            .collect::<Result<Vec<String>, String>>()?;
        let left: Vec<&str> = values.collect();
        if left.is_empty() || (taken == 0 && left == [""]) {
            Ok(texts)
        } else {
            Err("evidence values left over".into())
        }
    }

    /// A value with its phrases written out.
    pub(super) fn expand(&self, value: &str, out: &mut String) -> Result<(), String> {
        let mut rest = value;
        while let Some(at) = rest.find(PHRASE) {
            out.push_str(&rest[..at]);
            let digits = rest
                .as_bytes()
                .get(at + 1..at + 1 + self.width)
                .ok_or("a phrase code cut short")?;
            let code = digits_value(digits)?;
            out.push_str(
                self.phrases
                    .get(code as usize)
                    .ok_or("a phrase code out of range")?,
            );
            rest = &rest[at + 1 + self.width..];
        }
        out.push_str(rest);
        Ok(())
    }
}

/// A masked ID as its visible start, the number of `*` after it, and the rest; one with no
/// `*` is all rest.
pub(super) fn mask_parts(masked: &str) -> (&str, usize, &str) {
    match masked.find('*') {
        Some(start) => {
            let hidden = masked[start..].bytes().take_while(|&b| b == b'*').count();
            (&masked[..start], hidden, &masked[start + hidden..])
        }
        None => ("", 0, masked),
    }
}

impl MemberWire {
    pub(super) fn of(members: &MemberColumns, households: &[String]) -> Result<MemberWire, String> {
        let mut counts = vec![0u32; households.len()];
        let mut last = 0;
        for &household in &members.household {
            if household < last {
                return Err("members not listed household by household".into());
            }
            last = household;
            *counts
                .get_mut(household as usize)
                .ok_or("a member's household out of range")? += 1;
        }
        let mut suffixes = Dictionary::default();
        let mut id_codes = Vec::with_capacity(members.id.len());
        let mut other = Vec::new();
        for (id, &household) in members.id.iter().zip(&members.household) {
            if let Some(suffix) = id.strip_prefix(households[household as usize].as_str()) {
                id_codes.push(suffixes.code(suffix) + 1);
            } else {
                id_codes.push(0);
                other.push(id.clone());
            }
        }
        let mut patterns: HashMap<(&str, usize, usize), u32> = HashMap::new();
        let mut pattern = Vec::new();
        let mut masked_codes = Vec::with_capacity(members.masked_id.len());
        let mut tail = String::new();
        for masked in &members.masked_id {
            let (visible, stars, rest) = mask_parts(masked);
            let key = (visible, stars, rest.encode_utf16().count());
            let code = *patterns.entry(key).or_insert_with(|| {
                pattern.push((visible.to_string(), key.1, key.2));
                count(pattern.len() - 1)
            });
            masked_codes.push(code);
            tail.push_str(rest);
        }
        let head: Vec<u32> = members.head.iter().map(|&h| u32::from(h)).collect();
        Ok(MemberWire {
            count: pack(&counts),
            id: MemberIds {
                suffix: suffixes.values,
                code: pack(&id_codes),
                other,
            },
            name: Coded::of(&members.name, Clone::clone),
            masked_id: MaskedIds {
                pattern,
                code: pack(&masked_codes),
                tail,
            },
            head: pack(&head),
        })
    }

    pub(super) fn columns(self, households: &[String]) -> Result<MemberColumns, String> {
        let counts = unpack(&self.count)?;
        if counts.len() != households.len() {
            return Err(format!(
                "member counts for {} households, not {}",
                counts.len(),
                households.len()
            ));
        }
        let household: Vec<u32> = (0..count(counts.len()))
            .zip(&counts)
            .flat_map(|(h, &n)| std::iter::repeat_n(h, n as usize))
            .collect();
        let n = household.len();
        let rows = |what: &str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(format!("{len} rows of members.{what}, not {n}"))
            }
        };
        let id_codes = unpack(&self.id.code)?;
        rows("id", id_codes.len())?;
        let mut other = self.id.other.into_iter();
        let id = id_codes
            .iter()
            .zip(&household)
            .map(|(&code, &h)| match code {
                0 => other.next().ok_or_else(|| "too few member ids".to_string()),
                k => self
                    .id
                    .suffix
                    .get(k as usize - 1)
                    .map(|suffix| format!("{}{suffix}", households[h as usize]))
                    .ok_or_else(|| format!("member id suffix {k} out of range")),
            })
            .collect::<Result<Vec<String>, String>>()?;
        let name = self.name.items()?;
        rows("name", name.len())?;
        let masked_codes = unpack(&self.masked_id.code)?;
        rows("masked_id", masked_codes.len())?;
        let tail: Vec<u16> = self.masked_id.tail.encode_utf16().collect();
        let mut at = 0;
        let masked_id = masked_codes
            .into_iter()
            .map(|code| {
                let (visible, stars, len) = self
                    .masked_id
                    .pattern
                    .get(code as usize)
                    .ok_or("a masked ID pattern out of range")?;
                let rest = tail.get(at..at + len).ok_or("masked ID tails cut short")?;
                at += len;
                let rest = String::from_utf16(rest).map_err(|e| e.to_string())?;
                Ok(format!("{visible}{}{rest}", "*".repeat(*stars)))
            })
            .collect::<Result<Vec<String>, String>>()?;
        let head = unpack(&self.head)?
            .into_iter()
            .map(|h| u8::try_from(h).map_err(|e| e.to_string()))
            .collect::<Result<Vec<u8>, String>>()?;
        rows("head", head.len())?;
        Ok(MemberColumns {
            id,
            household,
            name,
            masked_id,
            head,
        })
    }
}
