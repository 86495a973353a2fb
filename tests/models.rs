//! Every model card in models/ loads, and reproduces the numbers its header states.

use crate::common::*;

fn current(lib: &str, model: &str, g: &str, v: f64) -> f64 {
    let path = manifest().join("models").join(lib);
    let m = op_map(&format!(
        "t\n.include \"{}\"\nV1 a 0 {v}\nYMEMRISTOR m1 a 0 {model} {g}\n.op\n",
        path.display()
    ));
    -m["i(v1)"]
}

#[test]
fn tio2x_nili2020_numbers() {
    // 8 uS at 27 degC: 2.56 uA at 0.25 V; 50 uS: 13.9 uA.
    assert!((current("tio2x_nili2020.lib", "tio2x", "g=8u", 0.25) - 2.56e-6).abs() < 0.01e-6);
    assert!((current("tio2x_nili2020.lib", "tio2x", "g=50u", 0.25) - 13.9e-6).abs() < 0.1e-6);
}

#[test]
fn hfox_quantized_states() {
    for n in [0.5, 3.5, 8.5, 16.0] {
        let i = current(
            "hfox_chen_quantized.lib",
            "hfox",
            &format!("g={{{n}*g0q}}"),
            0.1,
        );
        assert_close(i, n * 77.5e-6 * 0.1, 1e-12, "n G0 V");
    }
    // Outside the 0.5..16 G0 window: clipped.
    let i = current("hfox_chen_quantized.lib", "hfox", "g={20*g0q}", 0.1);
    assert_close(i, 16.0 * 77.5e-6 * 0.1, 1e-12, "clipped to 16 G0");
}

#[test]
fn tio2x_diao_window() {
    assert_close(
        current("tio2x_diao_4terminal.lib", "tio2x4t", "g={1/740}", 0.2),
        0.2 / 740.0,
        1e-12,
        "LRS",
    );
    assert_close(
        current("tio2x_diao_4terminal.lib", "tio2x4t", "g={1/700}", 0.2),
        0.2 / 740.0,
        1e-12,
        "clipped to LRS",
    );
    assert_close(
        current("tio2x_diao_4terminal.lib", "tio2x4t", "", 0.2),
        0.2 / 810.0,
        1e-12,
        "default state",
    );
}

#[test]
fn every_card_loads() {
    for e in std::fs::read_dir(manifest().join("models")).unwrap() {
        let p = e.unwrap().path();
        let text = format!("t\n.include \"{}\"\n", p.display());
        assert_eq!(errors(&text), "", "{}", p.display());
    }
}
