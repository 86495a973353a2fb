//! Branch currents inside expressions, `I(name)`: B-sources (`I=` and
//! `V=`) and E/G `VALUE=` laws that read the current of a voltage source,
//! an inductor, or an E, H or B `V=` source, its own included (the
//! Biolek-type memristor subcircuits); other two-terminal elements through
//! a 0 V source in series (tests/dialect.rs reads a resistor's). Netlists written for these tests;
//! each agrees with ngspice (1e-9 linear, 1e-6 nonlinear) and with hand
//! values; the export writes `I(...)` that ngspice runs; errors are located.

use crate::common::*;

/// Linear reads of source and branch currents.
const LINEAR: &str = "current probes
V1 a 0 1.2
Vm a b 0
R1 b c 1k
R2 c 0 2k
B1 d 0 I={2*I(Vm)+1m*V(c)}
R3 d 0 500
E1 e 0 value={3k*I(Vm)+V(c)}
R4 e f 1k
Vf f 0 0
B2 g 0 V={I(Vf)*2k+I(E1)*100}
R5 g 0 1k
L1 g h 1u
R6 h 0 4k
H1 k 0 Vf 10
B3 k m I={-I(L1)+I(H1)/1k}
R7 m 0 1k
.options reltol=1e-9
.op
.end
";

#[test]
fn linear_current_reads_against_hand_values_and_ngspice() {
    let got = op_map(LINEAR);
    // I(Vm) = 1.2 V / 3 kΩ, into Vm's + terminal (a) and through it.
    let im = 1.2 / 3e3;
    let vc = 0.8;
    assert!(close(got["i(vm)"], im, 1e-12, 0.0), "{got:?}");
    // B1 draws 2·I(Vm) + 1m·V(c) from d to ground through itself.
    assert!(close(
        got["v(d)"],
        -500.0 * (2.0 * im + 1e-3 * vc),
        1e-12,
        0.0
    ));
    let ve = 3e3 * im + vc;
    assert!(close(got["v(e)"], ve, 1e-12, 0.0));
    let i_vf = ve / 1e3;
    assert!(close(got["i(vf)"], i_vf, 1e-12, 0.0));
    // I(E1): into E1's + terminal, i.e. minus what it delivers to R4.
    assert!(close(got["i(e1)"], -i_vf, 1e-12, 0.0));
    let vg = 2e3 * i_vf - 100.0 * i_vf;
    assert!(close(got["v(g)"], vg, 1e-12, 0.0));
    // L1 is a short: I(L1) = V(g)/R6, from g to h.
    let il = vg / 4e3;
    assert!(close(got["i(l1)"], il, 1e-12, 0.0));
    // H1 holds V(k) = 10·I(Vf); its own current is what B3 draws from k.
    let vk = 10.0 * i_vf;
    assert!(close(got["v(k)"], vk, 1e-12, 0.0));
    let ib3 = -il + got["i(h1)"] / 1e3;
    assert!(close(got["v(m)"], 1e3 * ib3, 1e-9, 1e-15), "{got:?}");
    // KCL at k: H1's current (into its + terminal k) is what B3 takes out.
    assert!(close(got["i(h1)"], -ib3, 1e-9, 1e-15));
    if !have_ngspice() {
        eprintln!("ngspice not installed: checked by hand only");
        return;
    }
    let ng = ngspice_op(&tmpdir("xb-iprobe-linear"), LINEAR);
    assert_quantities_agree(
        &ng,
        &got,
        &[
            "v(c)", "v(d)", "v(e)", "v(g)", "v(k)", "v(m)", "i(vm)", "i(vf)", "i(e1)", "i(b2)",
            "i(l1)", "i(h1)",
        ],
        1e-9,
        1e-15,
    );
}

/// A Biolek-type memristor subcircuit: the E source's law reads its own
/// current, the state node's G source reads it too, with a window `.func`
/// and a capacitor with `IC=` (open in DC); a `.tran` card is ignored.
/// The state node is tied to 0.5 V through `Rx` so that DC has one
/// non-trivial state (p = 1 and a small `Rx` keep the second root of the
/// state's quadratic far outside 0..1, where no solver goes).
const BIOLEK: &str = "Biolek-type memristor, DC
.func f(x,p)={1-(2*x-1)**(2*p)}
.subckt memristor plus minus PARAMS: Ron=100 Roff=16K Rinit=11K D=10N uv=10F p=1 Rx=0.2
Gx 0 x value={I(Emem)*uv*Ron/D**2*f(V(x),p)}
Cx x 0 1 IC={(Roff-Rinit)/(Roff-Ron)}
Raux x xb {Rx}
Vb xb 0 0.5
Emem plus aux value={-I(Emem)*V(x)*(Roff-Ron)}
Roff aux minus {Roff}
.ends memristor
V1 in 0 DC 0 SIN(0 1 1)
Rs in p 1k
Xm p 0 memristor
.options reltol=1e-9
.dc V1 -1 1 0.25
.tran 1m 2 uic
.end
";

/// Runs a `BIOLEK`-shaped netlist with state resistor `rx` and checks every
/// point by the device law, the series current and KCL at the state node,
/// then against ngspice; returns V1 and the state x.
fn check_biolek(tag: &str, net: &str, rx: f64) -> (Vec<f64>, Vec<f64>) {
    let t = dc_table(tag, net);
    let (v1, x, i1) = (col(&t, "v1"), col(&t, "v(xm.x)"), col(&t, "i(v1)"));
    let ie = col(&t, "i(e.xm.emem)");
    let (ron, roff, k) = (100.0, 16e3, 10e-15 * 100.0 / 1e-16);
    for j in 0..v1.len() {
        // The series current and the device law: R(x) = Roff − x·(Roff − Ron).
        let i = ie[j];
        assert!(close(i1[j], -i, 1e-12, 1e-18), "point {j}");
        let r = roff - x[j] * (roff - ron);
        assert!(close(v1[j], i * (1e3 + r), 1e-9, 1e-15), "point {j}");
        // KCL at the state node: Gx's current k·I·f(x) into x leaves through Rx.
        let f = 1.0 - (2.0 * x[j] - 1.0).powi(2);
        assert!(
            close((x[j] - 0.5) / rx, k * i * f, 1e-8, 1e-15),
            "point {j}"
        );
    }
    if have_ngspice() {
        // ngspice would also run the transient: give it the DC part.
        let ng = ngspice_dc(&tmpdir(&format!("{tag}-ng")), &dc_only(net));
        assert_eq!(ng.len(), v1.len());
        for (j, p) in ng.iter().enumerate() {
            assert!(close(p["v(xm.x)"], x[j], 1e-6, 1e-12), "point {j}");
            assert!(close(p["i(v1)"], i1[j], 1e-6, 1e-15), "point {j}");
            assert!(close(p["i(e.xm.emem)"], ie[j], 1e-6, 1e-15), "point {j}");
        }
    }
    (v1, x)
}

#[test]
fn biolek_type_subcircuit_reads_its_own_current() {
    let (v1, x) = check_biolek("xb-iprobe-biolek", BIOLEK, 0.2);
    // The state moves both ways from 0.5 as the current changes sign.
    assert!(x[0] < 0.45 && x[v1.len() - 1] > 0.55, "{x:?}");
}

/// The same subcircuit with a state gain 500 times larger (Rx = 100 Ω):
/// from V1 = 0.25 V on, the state's KCL, (x − ½)/Rx = k·I·f(x), has a
/// root near 1 and one just below 0 (x = −0.0086 at 0.25 V), and from the
/// previous point's x = ½ the line search settled in a dip of ‖F‖ between
/// them; every strategy then failed. The full-step Newton that follows the
/// damped one lands on the root below 0, as ngspice's does. Checked by KCL
/// and the device law at every point, and against ngspice.
#[test]
fn a_bistable_state_converges_where_the_line_search_stalls() {
    let net = BIOLEK.replace("Rx=0.2", "Rx=100");
    let (v1, x) = check_biolek("xb-iprobe-biolek100", &net, 100.0);
    assert_eq!(v1.len(), 9);
    // The root below 0 at 0.25 V: (x − ½)/Rx = k·I·(1 − (2x − 1)²).
    assert!(close(x[5], -0.008642122, 1e-6, 0.0), "{}", x[5]);
}

/// The export writes every read as `I(card name)` (a general E law becomes
/// a `b` card, and its readers name that card); ngspice runs the flat
/// netlist to the same operating point.
#[test]
fn export_writes_current_reads() {
    let (flat, dir) = exported("xb-iprobe-export", LINEAR);
    assert!(flat.contains("I(vm)"), "{flat}");
    assert!(flat.contains("I(be1)"), "{flat}");
    assert!(flat.contains("I(l1)") && flat.contains("I(h1)"), "{flat}");
    let got = op_map(LINEAR);
    if have_ngspice() {
        let ng = ngspice_op(&dir, &flat);
        assert_quantities_agree(
            &ng,
            &got,
            &["v(d)", "v(g)", "v(m)", "i(vm)", "i(l1)", "i(h1)"],
            1e-9,
            1e-15,
        );
    }
    // The Biolek subcircuit, flattened, runs in ngspice to the same sweep.
    let (flat, dir) = exported("xb-iprobe-export-bio", BIOLEK);
    assert!(flat.contains("I(be.xm.emem)"), "{flat}");
    let t = dc_table("xb-iprobe-export-bio-run", BIOLEK);
    if have_ngspice() {
        let ng = ngspice_dc(&dir, &dc_only(&flat));
        assert_eq!(ng.len(), 9);
        for (j, p) in ng.iter().enumerate() {
            assert!(close(p["v(xm.x)"], col(&t, "v(xm.x)")[j], 1e-6, 1e-12));
        }
    }
}

/// `net` without its `.tran` card.
fn dc_only(net: &str) -> String {
    net.lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with(".tran"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn current_read_errors_are_located() {
    assert_errors(&[
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nC1 a 0 1p\nB1 b 0 I={2*I(C1)}\nR2 b 0 1k\n.op\n",
            "inline.cir:5:13: error: I(c1): 'c1' is a capacitor, which carries no current in DC",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nB1 b 0 V={2*I(vnone)}\nR2 b 0 1k\n.op\n",
            "inline.cir:4:13: error: I(vnone): no element 'vnone' in this circuit",
        ),
        (
            "t\n.param x={I(v1)}\nV1 a 0 1\nR1 a 0 {x}\n.op\n",
            "inline.cir:2:11: error: branch currents I(...) are only allowed in B-source expressions",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nB1 b 0 I={I(v1,v2)}\nR2 b 0 1k\n.op\n",
            "inline.cir:4:15: error: expected ')' to close I(...)",
        ),
    ]);
}

/// A resistor's current read by two expressions (and by one twice) gets
/// one 0 V source in series; both read it.
#[test]
fn a_resistor_read_twice_gets_one_series_source() {
    let net = "t\nV1 a 0 2\nR1 a b 1k\nR2 b 0 1k\nB1 c 0 I={-1k*I(R1)*I(R1)}\nR3 c 0 1\nG1 d 0 value={-2*I(R1)}\nR4 d 0 1k\n.op\n.end\n";
    let got = op_map(net);
    let i = 1e-3;
    assert!(close(got["v(c)"], 1e3 * i * i, 1e-12, 0.0), "{got:?}");
    assert!(close(got["v(d)"], 2.0 * i * 1e3, 1e-12, 0.0), "{got:?}");
    assert_eq!(
        got.keys().filter(|k| k.contains("#meas")).count(),
        2,
        "{got:?}"
    );
}

/// The HSPICE-style memristor whose law is `(Ron−Roff)/(1+a·exp(−4k·V(q)))`
/// with k = 1e4: at the solution of every negative point V(q) is −1e4 V and
/// exp(4e8) overflows to inf. The law's value is then an exact 0 (R = Roff),
/// and so is its slope; the chain rule's 0·inf and inf/inf had made the
/// Jacobian NaN and the sweep fail where ngspice converges. Positive points
/// have exp(−4e8) = 0 and R = Ron. Both halves by hand and against ngspice.
const EXP_OVERFLOW: &str = "memristor law through an overflowing exp
.subckt memr plus minus Ron=100 Roff=10k Rini=5k
.param uv=10f D=10n k='uv*Ron/D**2' a='(Rini-Ron)/(Roff-Rini)'
Roff plus aux 'Roff'
Eres aux minus vol='(Ron-Roff)/(1+a*exp(-4*k*V(q)))*I(Eres)'
Gx 0 q cur='i(Roff)'
Raux q 0 100meg
.ends memr
Vin in 0 DC 0
Xmem in 0 memr
.dc vin -1 1 0.25
.end
";

#[test]
fn an_overflowing_exp_leaves_a_finite_jacobian() {
    let t = dc_table("xb-iprobe-expoverflow", EXP_OVERFLOW);
    let (vin, q, aux) = (col(&t, "vin"), col(&t, "v(xmem.q)"), col(&t, "v(xmem.aux)"));
    assert_eq!(vin.len(), 9);
    for j in 0..vin.len() {
        let v = vin[j];
        // Negative: R = Roff, i = v/Roff; positive: R = Ron, and the E
        // source carries (Ron − Roff)·i.
        let (i, want_aux) = if v < 0.0 {
            (v / 1e4, 0.0)
        } else {
            (v / 100.0, (100.0 - 1e4) * v / 100.0)
        };
        assert!(close(q[j], 1e8 * i, 1e-9, 1e-9), "point {j}: {}", q[j]);
        assert!(
            close(aux[j], want_aux, 1e-9, 1e-12),
            "point {j}: {}",
            aux[j]
        );
    }
    if !have_ngspice() {
        return;
    }
    let ng = ngspice_dc(&tmpdir("xb-iprobe-expoverflow-ng"), EXP_OVERFLOW);
    assert_eq!(ng.len(), vin.len());
    for (j, p) in ng.iter().enumerate() {
        assert!(close(p["v(xmem.q)"], q[j], 1e-6, 1e-9), "point {j}");
        assert!(close(p["v(xmem.aux)"], aux[j], 1e-6, 1e-12), "point {j}");
    }
}
