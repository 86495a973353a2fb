//! Benchmark netlist generator: a passive N×M memristor crossbar, written both
//! for xbarsim and for ngspice.
//!
//! ```text
//! cargo run --release --example gen_crossbar -- --rows N --cols M \
//!     --law linear|sinh --out DIR [--seed S] [--rline 2.5] [--rdrive 10] \
//!     [--rsense 10] [--vin 0.25] [--beta 2.6] [--gmin 10e-6] [--gmax 100e-6] \
//!     [--ng-options "reltol=1e-6"]
//! ```
//!
//! (`--help` lists the options; `--flag=value` works too.)
//!
//! Writes `DIR/xbar_<law>_<N>x<M>.cir` (xbarsim; ends with `.op` / `.end`) and
//! `DIR/xbar_<law>_<N>x<M>.ng.cir` (the identical element list plus
//! `.options klu` and a control block that runs `op`, saves only the column
//! source currents `vs<j>#branch` and writes them with `write` as an ASCII raw
//! file `xbar_<law>_<N>x<M>.ng.raw`, relative to ngspice's working directory).
//!
//! Circuit (node names follow the `.crossbar` card's contract):
//! * crosspoint top node `xb.t<i>.<j>` (on row i), bottom node `xb.b<i>.<j>`
//!   (on column j);
//! * row i: `xb.w<i>`–`xb.t<i>.0`–…–`xb.t<i>.<M-1>`, one `rline` resistor per
//!   link (`Rr<i>_<j>` is the link arriving at `xb.t<i>.<j>`); the east end is
//!   open;
//! * column j: `xb.b0.<j>`–…–`xb.b<N-1>.<j>`–`xb.s<j>`, one `rline` resistor
//!   per link (`Rc<i>_<j>` is the link leaving `xb.b<i>.<j>` southwards);
//! * device between `xb.t<i>.<j>` (+) and `xb.b<i>.<j>` (−), conductance g
//!   uniform in [gmin, gmax) from a splitmix64 stream seeded with `--seed`,
//!   drawn row-major: `linear` → `Rx<i>_<j> … 1/g`; `sinh` →
//!   `Bd<i>_<j> … I=<g/beta>*sinh(<beta>*V(xb.t<i>.<j>,xb.b<i>.<j>))`
//!   (small-signal conductance g at 0 V);
//! * row driver: `Vr<i> vr<i> 0 DC <vin>` and `Rdrv<i> vr<i> xb.w<i> <rdrive>`;
//! * column sense: `Rsns<j> xb.s<j> vs<j> <rsense>` and `Vs<j> vs<j> 0 DC 0`,
//!   so i(vs<j>) (SPICE convention) is the positive column current.
//!
//! Arguments through clap; both files are written in one pass through
//! buffered writers.

use clap::{CommandFactory, Parser};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process;

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, reproducible.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum Law {
    Linear,
    Sinh,
}

/// Generator settings (also used by `benches/op.rs`, which includes this file).
pub struct Args {
    pub rows: usize,
    pub cols: usize,
    pub law: Law,
    pub out: PathBuf,
    pub seed: u64,
    pub rline: f64,
    pub rdrive: f64,
    pub rsense: f64,
    pub vin: f64,
    pub beta: f64,
    pub gmin: f64,
    pub gmax: f64,
    pub ng_options: Option<String>,
}

/// Benchmark netlist generator: a passive N×M memristor crossbar, written
/// both for xbarsim (DIR/xbar_<law>_<N>x<M>.cir) and for ngspice
/// (DIR/xbar_<law>_<N>x<M>.ng.cir).
#[derive(Parser)]
#[command(name = "gen_crossbar", args_override_self = true)]
struct Cli {
    /// Rows (word lines)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    rows: usize,
    /// Columns (bit lines) [default: N]
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    cols: Option<usize>,
    /// Device law: linear (resistors) or sinh (B-sources I=(g/beta)*sinh(beta*V))
    #[arg(long, value_enum, ignore_case = true, allow_hyphen_values = true)]
    law: Law,
    /// Folder for the two netlists (created if missing)
    #[arg(long, value_name = "DIR", allow_hyphen_values = true)]
    out: PathBuf,
    /// Seed of the device conductances (splitmix64, drawn row-major)
    #[arg(
        long,
        value_name = "S",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    seed: u64,
    /// Line resistance per segment, Ω
    #[arg(
        long,
        value_name = "R",
        default_value_t = 2.5,
        allow_hyphen_values = true
    )]
    rline: f64,
    /// Row driver resistance, Ω
    #[arg(
        long,
        value_name = "R",
        default_value_t = 10.0,
        allow_hyphen_values = true
    )]
    rdrive: f64,
    /// Column sense resistance, Ω
    #[arg(
        long,
        value_name = "R",
        default_value_t = 10.0,
        allow_hyphen_values = true
    )]
    rsense: f64,
    /// Row drive voltage, V
    #[arg(
        long,
        value_name = "V",
        default_value_t = 0.25,
        allow_hyphen_values = true
    )]
    vin: f64,
    /// beta of the sinh law, 1/V
    #[arg(
        long,
        value_name = "B",
        default_value_t = 2.6,
        allow_hyphen_values = true
    )]
    beta: f64,
    /// Lowest device conductance, S
    #[arg(
        long,
        value_name = "G",
        default_value = "10e-6",
        allow_hyphen_values = true
    )]
    gmin: f64,
    /// Highest device conductance (exclusive), S
    #[arg(
        long,
        value_name = "G",
        default_value = "100e-6",
        allow_hyphen_values = true
    )]
    gmax: f64,
    /// Extra ngspice options, written as `.options <OPTIONS>` (e.g. "reltol=1e-6")
    #[arg(long, value_name = "OPTIONS", allow_hyphen_values = true)]
    ng_options: Option<String>,
}

fn die(msg: &str) -> ! {
    eprintln!("gen_crossbar: {msg}\n{}", Cli::command().render_usage());
    process::exit(2);
}

fn parse_args() -> Args {
    let c = Cli::parse();
    let a = Args {
        rows: c.rows,
        cols: c.cols.unwrap_or(c.rows),
        law: c.law,
        out: c.out,
        seed: c.seed,
        rline: c.rline,
        rdrive: c.rdrive,
        rsense: c.rsense,
        vin: c.vin,
        beta: c.beta,
        gmin: c.gmin,
        gmax: c.gmax,
        ng_options: c.ng_options,
    };
    if a.rows == 0 || a.cols == 0 {
        die("--rows and --cols must be positive");
    }
    for (name, r) in [
        ("--rline", a.rline),
        ("--rdrive", a.rdrive),
        ("--rsense", a.rsense),
    ] {
        if !(r > 0.0 && r.is_finite()) {
            die(&format!("{name} must be a positive resistance (got {r})"));
        }
    }
    if !(a.gmin > 0.0 && a.gmax >= a.gmin && a.gmax.is_finite()) {
        die("need 0 < --gmin <= --gmax");
    }
    if a.law == Law::Sinh && !(a.beta > 0.0 && a.beta.is_finite()) {
        die("--beta must be positive");
    }
    if !a.vin.is_finite() {
        die("--vin must be finite");
    }
    a
}

/// Writes the same bytes to both netlists.
struct Both {
    x: BufWriter<File>,
    n: BufWriter<File>,
}

impl Both {
    fn line(&mut self, args: std::fmt::Arguments) -> io::Result<()> {
        self.x.write_fmt(args)?;
        self.x.write_all(b"\n")?;
        self.n.write_fmt(args)?;
        self.n.write_all(b"\n")
    }
}

/// Write both netlists; returns (xbarsim netlist, ngspice netlist).
pub fn run(a: &Args) -> io::Result<(PathBuf, PathBuf)> {
    let (n, m) = (a.rows, a.cols);
    let law = match a.law {
        Law::Linear => "linear",
        Law::Sinh => "sinh",
    };
    fs::create_dir_all(&a.out)?;
    let stem = format!("xbar_{law}_{n}x{m}");
    let px = a.out.join(format!("{stem}.cir"));
    let pn = a.out.join(format!("{stem}.ng.cir"));
    const CAP: usize = 1 << 20;
    let mut w = Both {
        x: BufWriter::with_capacity(CAP, File::create(&px)?),
        n: BufWriter::with_capacity(CAP, File::create(&pn)?),
    };
    let (rl, rd, rs, vin, beta) = (a.rline, a.rdrive, a.rsense, a.vin, a.beta);

    // Title line (SPICE ignores the first line; keep all metadata in it).
    let beta_note = if a.law == Law::Sinh {
        format!(" beta={beta}")
    } else {
        String::new()
    };
    w.line(format_args!(
        "crossbar {stem} {n}x{m} law={law}{beta_note} seed={} rline={rl} rdrive={rd} rsense={rs} vin={vin} g=U[{},{})",
        a.seed, a.gmin, a.gmax
    ))?;

    // Row lines.
    for i in 0..n {
        w.line(format_args!("Rr{i}_0 xb.w{i} xb.t{i}.0 {rl}"))?;
        for j in 1..m {
            w.line(format_args!("Rr{i}_{j} xb.t{i}.{} xb.t{i}.{j} {rl}", j - 1))?;
        }
    }
    // Column lines.
    for j in 0..m {
        for i in 0..n - 1 {
            w.line(format_args!("Rc{i}_{j} xb.b{i}.{j} xb.b{}.{j} {rl}", i + 1))?;
        }
        w.line(format_args!(
            "Rc{}_{j} xb.b{}.{j} xb.s{j} {rl}",
            n - 1,
            n - 1
        ))?;
    }
    // Devices, drawn row-major.
    let mut rng = SplitMix64(a.seed);
    let span = a.gmax - a.gmin;
    for i in 0..n {
        for j in 0..m {
            let g = a.gmin + span * rng.next_f64();
            match a.law {
                Law::Linear => {
                    w.line(format_args!("Rx{i}_{j} xb.t{i}.{j} xb.b{i}.{j} {:.9e}", 1.0 / g))?
                }
                Law::Sinh => w.line(format_args!(
                    "Bd{i}_{j} xb.t{i}.{j} xb.b{i}.{j} I={:.9e}*sinh({beta}*V(xb.t{i}.{j},xb.b{i}.{j}))",
                    g / beta
                ))?,
            }
        }
    }
    // Drivers and sense points.
    for i in 0..n {
        w.line(format_args!("Vr{i} vr{i} 0 DC {vin}"))?;
        w.line(format_args!("Rdrv{i} vr{i} xb.w{i} {rd}"))?;
    }
    for j in 0..m {
        w.line(format_args!("Rsns{j} xb.s{j} vs{j} {rs}"))?;
        w.line(format_args!("Vs{j} vs{j} 0 DC 0"))?;
    }

    // xbarsim tail.
    w.x.write_all(b".op\n.end\n")?;

    // ngspice tail: KLU (ngspice >= 41; older versions ignore it), save only the
    // column currents, write them as an ASCII raw file.
    let ng = &mut w.n;
    writeln!(ng, ".options klu")?;
    if let Some(o) = &a.ng_options {
        writeln!(ng, ".options {o}")?;
    }
    const PER_LINE: usize = 16;
    for chunk in (0..m).collect::<Vec<_>>().chunks(PER_LINE) {
        write!(ng, ".save")?;
        for j in chunk {
            write!(ng, " vs{j}#branch")?;
        }
        writeln!(ng)?;
    }
    writeln!(ng, ".control")?;
    writeln!(ng, "set noaskquit")?;
    writeln!(ng, "op")?;
    writeln!(ng, "set filetype=ascii")?;
    writeln!(ng, "write {stem}.ng.raw")?;
    writeln!(ng, "quit")?;
    writeln!(ng, ".endc")?;
    writeln!(ng, ".end")?;

    w.x.flush()?;
    w.n.flush()?;
    Ok((px, pn))
}

#[allow(dead_code)] // unused when included by the benchmark
fn main() {
    let a = parse_args();
    match run(&a) {
        Ok((px, pn)) => {
            println!("{}", px.display());
            println!("{}", pn.display());
        }
        Err(e) => {
            eprintln!(
                "gen_crossbar: cannot write netlists into {}: {e}",
                a.out.display()
            );
            process::exit(1);
        }
    }
}
