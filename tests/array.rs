//! `analysis::array::Array` (the Python package's `Crossbar`): equal to the
//! `.crossbar` card with the `.vmm` periphery, its factorization kept, its
//! symbolic analysis reused across new states, and its errors.

use crate::common::{manifest, planned};
use xbarsim::analysis::array::{Array, ArrayError, ArraySpec};
use xbarsim::analysis::{vmm, Outcome};
use xbarsim::circuit::Circuit;

const LIN: &str = ".model lin memristor (level=linear)";
const SINH: &str = ".model sh memristor (level=sinh beta=2.6)";

fn states(rows: usize, cols: usize) -> Vec<f64> {
    (0..rows * cols)
        .map(|k| 10e-6 + 90e-6 * ((k * 7919 % 101) as f64 / 100.0))
        .collect()
}

fn spec<'a>(lib: &'a str, model: &'a str, g: &'a [f64]) -> ArraySpec<'a> {
    ArraySpec {
        rows: 6,
        cols: 5,
        library: lib,
        model,
        rrow: 2.5,
        rcol: 1.5,
        rdrive: 10.0,
        rsense: 5.0,
        g,
    }
}

/// The array as a `.crossbar` card (no sources: not validated as a
/// circuit of its own), with states `g`.
fn card_circuit(lib: &str, model: &str, g: &[f64]) -> Circuit {
    let text = format!(
        "card\n{lib}\n.crossbar xb rows=6 cols=5 model={model} rrow=2.5 rcol=1.5 g=1e-5\n.end\n"
    );
    let deck = xbarsim::netlist::load_text(&manifest().join("tests/inline.cir"), text).unwrap();
    let mut c = xbarsim::circuit::elaborate(&deck)
        .finish(&deck, false)
        .unwrap();
    for (m, x) in c.memristors.iter_mut().zip(g) {
        m.g = *x;
    }
    c
}

/// The same array as a card netlist, solved by `vmm::run`.
fn card(lib: &str, model: &str, g: &[f64], inputs: &[f64]) -> vmm::VmmResult {
    vmm::run(&card_circuit(lib, model, g), 0, inputs, 10.0, 5.0).unwrap()
}

#[test]
fn array_equals_the_card_bit_for_bit_and_keeps_its_factor() {
    let g = states(6, 5);
    let inputs: Vec<f64> = (0..6 * 40)
        .map(|k| 0.3 * ((k * 31 % 17) as f64 / 16.0))
        .collect();
    for (lib, model) in [(LIN, "lin"), (SINH, "sh")] {
        let mut a = Array::new(&spec(lib, model, &g)).unwrap();
        let got = a.solve(&inputs, true);
        let want = card(lib, model, &g, &inputs);
        assert_eq!(got.currents, want.currents, "{model}");
        assert_eq!(got.maps.len(), 40 * 30);
        // Vector 0's map: its IR drop is the input minus the cell voltage.
        for k in 0..30 {
            assert_eq!(got.maps[k], inputs[k / 5] - want.first_drop[k]);
        }
        // A second call: a linear array needs no factorization and gives
        // the same bits (it starts from zero, as a new engine does).
        let again = a.solve(&inputs, false);
        if model == "lin" {
            assert_eq!(again.factorizations, 0);
            assert_eq!(again.currents, got.currents);
        } else {
            for (x, y) in again.currents.iter().zip(&got.currents) {
                assert!((x.0 - y.0).abs() <= 1e-6 * y.0.abs() + 1e-12);
            }
        }
    }
}

#[test]
fn new_states_keep_the_symbolic_analysis() {
    let g = states(6, 5);
    let mut a = Array::new(&spec(LIN, "lin", &g)).unwrap();
    assert_eq!(a.symbolic_reuses(), 0);
    let g2: Vec<f64> = g.iter().map(|x| 2.0 * x).collect();
    a.set_conductances(&g2).unwrap();
    assert_eq!(a.symbolic_reuses(), 1);
    assert_eq!(a.conductances(), g2);
    let inputs = vec![0.2; 6];
    let want = card(LIN, "lin", &g2, &inputs);
    assert_eq!(a.solve(&inputs, false).currents, want.currents);
}

#[test]
fn cards_run_on_the_array_as_it_is() {
    let g = states(6, 5);
    let mut a = Array::new(&spec(LIN, "lin", &g)).unwrap();
    let got = a
        .run_card(
            ".read xb row=1 col=2 v=0.3 scheme=v/3",
            "",
            |_, o| match o {
                Outcome::Read(_, r) => r.cases.iter().map(|c| c.i_column).collect::<Vec<_>>(),
                _ => panic!("not a read"),
            },
        )
        .unwrap();
    let p = planned(&format!(
        "card\n{LIN}\n.crossbar xb rows=6 cols=5 model=lin rrow=2.5 rcol=1.5 g=1e-5\n.read xb row=1 col=2 v=0.3 scheme=v/3\n.end\n"
    ));
    let mut c = p.circuit;
    for (m, x) in c.memristors.iter_mut().zip(&g) {
        m.g = *x;
    }
    let spec =
        xbarsim::analysis::downcast::<xbarsim::analysis::read::ReadSpec>(p.analyses[0].as_ref())
            .unwrap();
    let want = xbarsim::analysis::read::run(&c, spec).unwrap();
    assert_eq!(
        got,
        want.cases.iter().map(|c| c.i_column).collect::<Vec<_>>()
    );
}

#[test]
fn bad_arrays_are_refused_with_reasons() {
    let g = states(6, 5);
    let short = &g[..29];
    match Array::new(&spec(LIN, "lin", short)) {
        Err(ArrayError::Value(m)) => assert!(m.contains("expected 30 conductances"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    let mut bad = g.clone();
    bad[7] = f64::NAN;
    match Array::new(&spec(LIN, "lin", &bad)) {
        Err(ArrayError::Value(m)) => assert!(m.contains("conductance [1, 2] is NaN"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    let mut s = spec(LIN, "lin", &g);
    s.rrow = -1.0;
    assert!(matches!(Array::new(&s), Err(ArrayError::Value(_))));
    // A model card that does not elaborate: located in the library text.
    match Array::new(&spec(
        ".model lin memristor (level=linear beta=2)",
        "lin",
        &g,
    )) {
        Err(ArrayError::Input { location, .. }) => assert_eq!(location.unwrap().1, 2),
        other => panic!("{:?}", other.err()),
    }
    let mut a = Array::new(&spec(LIN, "lin", &g)).unwrap();
    assert!(matches!(
        a.run_card(".read xb row=9 col=0 v=0.3 scheme=v/2", "", |_, _| ()),
        Err(ArrayError::Input { .. })
    ));
    // Not a crossbar analysis: the bare array is no circuit of its own.
    assert!(matches!(
        a.run_card(".op", "", |_, _| ()),
        Err(ArrayError::Input { .. })
    ));
    assert!(matches!(
        a.run_card(".read xb row=0 col=0 v=0.3 scheme=v/2\n.op", "", |_, _| ()),
        Err(ArrayError::Value(_))
    ));
}
