//! A gzipped CSV file's bytes (mutated from gzip seeds), through the same loader.
#![no_main]

mod csv_common;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| csv_common::load("fuzz.csv.gz", bytes));
