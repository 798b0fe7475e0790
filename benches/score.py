"""Precision, recall and F1 of predicted links (CSV or Parquet with left_id, right_id,
probability) against the true links (CSV with left_id, right_id), at a probability threshold."""
import csv
import sys

import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def read_predictions(path):
    table = pq.read_table(path) if path.endswith(".parquet") else pacsv.read_csv(path)
    return table.select(["left_id", "right_id", "probability"]).to_pylist()


def score(predictions_path, truth_path, threshold):
    truth = {(r["left_id"], r["right_id"]) for r in csv.DictReader(open(truth_path))}
    predicted = {
        (r["left_id"], r["right_id"]) for r in read_predictions(predictions_path) if r["probability"] >= threshold
    }
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"predicted": len(predicted), "true_positives": tp, "precision": precision, "recall": recall, "f1": f1}


if __name__ == "__main__":
    result = score(sys.argv[1], sys.argv[2], float(sys.argv[3]))
    print(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))
