//! Netlist text -> `load_text` -> `elaborate` (parameters, expressions, models,
//! `.crossbar`, analyses) and, for small circuits, `Engine::new` (MNA pattern
//! and symbolic factorization). Errors are rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    // The memory budget is part of what is fuzzed: a card too large for it
    // must be refused, not allocated (libFuzzer's own limit is 2 GB).
    xbarsim::circuit::budget::set_max_memory(256 << 20);
    let text = String::from_utf8_lossy(data).into_owned();
    let deck = match xbarsim::netlist::load_text(Path::new("fuzz.cir"), text) {
        Ok(deck) => deck,
        Err((deck, e)) => {
            let s = e.render(&deck.sources);
            assert!(!s.is_empty());
            return;
        }
    };
    match xbarsim::analysis::plan(&deck) {
        Ok(p) => {
            let c = p.circuit;
            // Large circuits are legitimately slow to set up; skip them.
            if c.nodes.len() < 5000 {
                let _ = std::hint::black_box(xbarsim::analysis::Engine::new(&c).is_ok());
            }
        }
        Err(e) => {
            let s = e.render(&deck.sources);
            assert!(!s.is_empty());
        }
    }
});
