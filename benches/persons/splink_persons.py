"""Splink (DuckDB backend) on the person-linkage task with the comparisons and blocking of
persons.toml, level for level. Values get rollcheck's folding first (NFKC, trim, lower
case) so both tools compare the same text. Prints seconds (reading the CSVs through to
predictions in memory) and writes predictions (probability >= 0.01) as CSV for scoring."""
import sys
import time
import unicodedata
from pathlib import Path

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

data, out = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()


def fold(value):
    if not isinstance(value, str):
        return None
    value = unicodedata.normalize("NFKC", value).strip().lower()
    return value or None


def read(name):
    table = pd.read_csv(data / name, dtype=str, keep_default_na=False)
    for column in table.columns:
        if column != "rec_id":
            table[column] = table[column].map(fold)
    return table


left, right = read("left.csv"), read("right.csv")

# rollcheck's `date` comparison: equal; exactly one of year, month, day differs; day and
# month swapped within the year; anything else.
year, month, day = ("substr(birth_date_{s}, 1, 4)", "substr(birth_date_{s}, 6, 2)", "substr(birth_date_{s}, 9, 2)")
same = lambda part: f"{part.format(s='l')} = {part.format(s='r')}"
one_field_off = " + ".join(f"(CASE WHEN {same(p)} THEN 1 ELSE 0 END)" for p in (year, month, day)) + " = 2"
swapped = f"{same(year)} AND {month.format(s='l')} = {day.format(s='r')} AND {day.format(s='l')} = {month.format(s='r')}"
birth_date = cl.CustomComparison(
    output_column_name="birth_date",
    comparison_levels=[
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel(one_field_off, label_for_charts="one field off"),
        cll.CustomLevel(swapped, label_for_charts="day and month swapped"),
        cll.ElseLevel(),
    ],
)

db_api = DuckDBAPI()
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="rec_id",
    comparisons=[
        cl.JaroWinklerAtThresholds("name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
        birth_date,
        cl.ExactMatch("sex"),
        cl.ExactMatch("county"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("id_number"),
        block_on("name", "birth_date"),
        block_on("birth_date", "county"),
    ],
)
linker = Linker([db_api.register(left), db_api.register(right)], settings, log_level=30)
linker.training.estimate_probability_two_random_records_match([block_on("name", "birth_date")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date", "county"))
predictions = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
seconds = time.perf_counter() - started
predictions[["rec_id_l", "rec_id_r", "match_probability"]].rename(
    columns={"rec_id_l": "left_id", "rec_id_r": "right_id", "match_probability": "probability"}
).to_csv(out, index=False)
print(f"splink seconds {seconds:.2f}")
