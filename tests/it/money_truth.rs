//! The money truth (issue 30): on synthetic counties, every true flag's `since` and
//! `overpaid_yuan` equal synth's `truth_overpaid.csv` (the contract's formula applied to what
//! synth planted, to 0.01 yuan), and `recheck_due.parquet` equals `truth_recheck.csv`.

use rollcheck::eval;
use rollcheck::rundir::names::{FLAGS_CSV, RECHECK_DUE};
use rollcheck::synth::{Variant, TRUTH_OVERPAID_CSV, TRUTH_RECHECK_CSV};

use crate::run_synthetic_county;

fn assert_money_equals_truth(variant: Variant) {
    let run = run_synthetic_county(1500, 7, variant);
    let overpaid =
        eval::compare_overpaid(&run.data.join(TRUTH_OVERPAID_CSV), &run.out.join(FLAGS_CSV))
            .unwrap();
    // Every reason that costs money is planted; nearly every true flag is raised.
    assert!(overpaid.compared > 100, "{overpaid}");
    assert!(overpaid.beside * 100 <= overpaid.compared, "{overpaid}");
    assert!(overpaid.all_equal(), "{overpaid}");
    let recheck = eval::compare_recheck(
        &run.data.join(TRUTH_RECHECK_CSV),
        &run.out.join(RECHECK_DUE),
    )
    .unwrap();
    assert!(recheck.compared > 1000, "{recheck}");
    assert!(recheck.all_equal(), "{recheck}");
}

#[test]
fn a_clean_countys_overpayments_and_due_list_equal_the_truth() {
    assert_money_equals_truth(Variant::Clean);
}

#[test]
fn a_hard_countys_overpayments_and_due_list_equal_the_truth() {
    assert_money_equals_truth(Variant::Hard);
}
