//! The parser and elaborator never panic: arbitrary text, SPICE-flavoured
//! token soup, and random mutations of real netlists all end in Ok or a
//! located error.

use proptest::prelude::*;
use xbarsim::analysis::plan;
use xbarsim::netlist::load_text;

fn no_panic(text: &str) {
    let path = std::path::Path::new("fuzz.cir");
    if let Ok(deck) = load_text(path, text.to_string()) {
        match plan(&deck) {
            Ok(p) => {
                let c = p.circuit;
                // Setting up the equations must not panic either.
                let _ = xbarsim::analysis::Engine::new(&c);
            }
            Err(d) => {
                let s = d.render(&deck.sources);
                assert!(!s.is_empty());
            }
        }
    } else if let Err((deck, d)) = load_text(path, text.to_string()) {
        let s = d.render(&deck.sources);
        assert!(s.contains("error"), "{s}");
    }
}

const TOKENS: &[&str] = &[
    "R1",
    "r2",
    "V1",
    "I1",
    "B1",
    "YMEMRISTOR",
    "m1",
    "a",
    "b",
    "0",
    "gnd",
    "1k",
    "2.5V",
    "-3",
    "1e-3",
    "{",
    "}",
    "(",
    ")",
    "=",
    "I=",
    "V(a)",
    "V(a,b)",
    "sinh(",
    "*",
    "+",
    "-",
    "^",
    "**",
    "/",
    ",",
    ".param",
    "x=1",
    "{x}",
    ".model",
    "memristor",
    "level=sinh",
    "beta=2",
    "g=1u",
    ".op",
    ".dc",
    ".end",
    ".options",
    "reltol=1e-3",
    ".include",
    "\"",
    ";",
    "$",
    "\n",
    "\n+",
    "\n*",
    " ",
    "\t",
    "dc",
    "file(\"",
    "é",
    "\u{0}",
    ".crossbar",
    ".control",
    ".endc",
    "1meg",
    "meg",
    ".temp",
    "A1",
    "memr",
    "rinit=7k",
    "vt=1",
    "%gd(",
    "[",
    "\u{b5}",
    "2\u{b5}",
    "{3\u{3bc}}",
    "sdt(",
    "idt(",
    "ddt(",
    ".backanno",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|v| {
        let mut s = String::from("title\n");
        for t in v {
            s += t;
            s += " ";
        }
        s
    })
}

const SEED: &str = include_str!("oracles/nonlinear_sinh_25.cir");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn arbitrary_text(s in ".{0,400}") {
        no_panic(&s);
    }
    #[test]
    fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..400)) {
        // Any bytes decode (UTF-8, UTF-16 or Latin-1) to text that parses
        // or fails located; UTF-16-looking input included.
        let (text, _) = xbarsim::netlist::source::decode(b.clone());
        no_panic(&text);
        let mut wide = vec![0xFF, 0xFE];
        wide.extend(b);
        let (text, _) = xbarsim::netlist::source::decode(wide);
        no_panic(&text);
    }
    #[test]
    fn token_soup(s in soup()) {
        no_panic(&s);
    }
    #[test]
    fn mutated_real_netlist(edits in prop::collection::vec((0usize..4000, 0u8..4, prop::sample::select(TOKENS)), 1..12)) {
        let mut s: Vec<u8> = SEED.as_bytes().to_vec();
        for (pos, op, tok) in edits {
            let p = pos % (s.len() + 1);
            match op {
                0 => { s.splice(p..p, tok.bytes()); }
                1 => { if p < s.len() { s.remove(p); } }
                2 => { if p < s.len() { s[p] = tok.as_bytes()[0]; } }
                _ => { let e = (p + tok.len()).min(s.len()); s.drain(p..e); }
            }
        }
        no_panic(&String::from_utf8_lossy(&s));
    }
}
