//! Bytes -> the numeric CSV readers: `parse_rows` (conductance matrices,
//! `.vmm` inputs, `.program` targets, perceptron weights) and the digit
//! data reader, in memory (no file system in the loop).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xbarsim::circuit::crossbar::parse_rows;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = std::hint::black_box(parse_rows(&text, "fuzz.csv", Some(8), 4, true));
    let _ = std::hint::black_box(parse_rows(&text, "fuzz.csv", None, 3, false));
    let _ = std::hint::black_box(parse_rows(&text, "fuzz.csv", Some(3), 3, true));
    let _ = std::hint::black_box(xbarsim::nn::data::Digits::parse(&text, "fuzz.csv"));
});
