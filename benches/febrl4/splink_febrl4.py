"""Splink (DuckDB backend) on FEBRL4 with the comparisons and blocking of febrl4.toml.
Prints seconds and writes predictions (probability >= 0.01) as CSV for scoring."""
import sys
import time
from pathlib import Path

import pandas as pd
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

data, out = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
read = lambda name: pd.read_csv(data / name, dtype=str).fillna("").replace("", None)
a, b = read("febrl4_a.csv"), read("febrl4_b.csv")

db_api = DuckDBAPI()
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="rec_id",
    comparisons=[
        cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("surname", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]),
        cl.JaroWinklerAtThresholds("soc_sec_id", [0.9]),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9]),
        cl.JaroWinklerAtThresholds("suburb", [0.9]),
        cl.ExactMatch("postcode"),
        cl.ExactMatch("state"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("postcode", "street_number"),
    ],
)
linker = Linker([db_api.register(a), db_api.register(b)], settings, log_level=30)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
predictions = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
seconds = time.perf_counter() - started
predictions[["rec_id_l", "rec_id_r", "match_probability"]].rename(
    columns={"rec_id_l": "left_id", "rec_id_r": "right_id", "match_probability": "probability"}
).to_csv(out, index=False)
print(f"splink seconds {seconds:.2f}")
