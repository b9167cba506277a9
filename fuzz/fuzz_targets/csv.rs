//! A CSV file's bytes, through the loader `train`/`eval`/`predict --data` use.
#![no_main]

mod csv_common;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| csv_common::load("fuzz.csv", bytes));
