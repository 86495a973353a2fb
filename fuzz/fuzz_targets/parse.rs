//! Netlist text -> `load_text` (lines, cards, `.include`); errors are rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    match xbarsim::netlist::load_text(Path::new("fuzz.cir"), text) {
        Ok(deck) => {
            std::hint::black_box(&deck);
        }
        Err((deck, e)) => {
            let s = e.render(&deck.sources);
            assert!(!s.is_empty());
        }
    }
});
