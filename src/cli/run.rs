//! `xbarsim run`: load, elaborate, run every analysis, write results atomically.

use crate::analysis::{plan, Ctx, Engine, Outcome, Plan, Progress, Reuse};
use crate::netlist::{load, Deck};
use crate::report;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How `xbarsim run` runs.
#[derive(Clone, Debug, Default)]
pub struct Opts {
    /// Print only errors.
    pub quiet: bool,
    /// Netlists (of a batch) or points (of a study) run at a time.
    pub jobs: usize,
    /// Skip the points of a study already done with the same inputs.
    pub resume: bool,
    /// Run only this point of a study (1-based), into its folder.
    pub point: Option<usize>,
    /// Run only shard I of N (from 0) of a study: its points k with
    /// k mod N = I, and a manifest for `xbarsim merge` instead of the table.
    pub shard: Option<(usize, usize)>,
    /// Studies: draw each point's pictures too (a point run alone with
    /// `point` always does).
    pub point_plots: bool,
    /// This netlist's position in a sharded batch: a plain netlist belongs
    /// to shard `unit mod N`.
    pub unit: Option<usize>,
    /// Studies: values (`.param`, source, `temp`) fixed at every point, as
    /// Python's `params` gives them; none of them may be stepped.
    pub fixed: Vec<(String, f64)>,
}

/// Outcome of one netlist.
#[derive(Debug)]
pub enum RunError {
    /// Bad input (exit 2): the rendered diagnostics.
    Input(String),
    /// An analysis failed (exit 1).
    Analysis(String),
    /// Points of a study failed, each said when it did: the worst exit code.
    Study(u8),
    /// A plain netlist of a sharded batch that another shard runs.
    OtherShard,
}

/// The exit code of a batch's child whose netlist another shard runs.
pub const OTHER_SHARD: u8 = 10;
// `child` matches the code as a literal.
const _: () = assert!(OTHER_SHARD == 10);

impl RunError {
    pub fn code(&self) -> u8 {
        match self {
            RunError::Input(_) => 2,
            RunError::Analysis(_) => 1,
            RunError::Study(code) => *code,
            RunError::OtherShard => OTHER_SHARD,
        }
    }

    /// The message to print (a study's points printed theirs already).
    pub fn message(&self) -> &str {
        match self {
            RunError::Input(s) | RunError::Analysis(s) => s,
            RunError::Study(_) | RunError::OtherShard => "",
        }
    }
}

/// Parse, include, elaborate, plan. Warnings are printed to stderr.
pub fn prepare(path: &Path) -> Result<(Deck, Plan), RunError> {
    let t = Instant::now();
    let deck = load(path).map_err(|(deck, d)| RunError::Input(d.render(&deck.sources)))?;
    if std::env::var_os("XBARSIM_TIMING").is_some() {
        eprintln!(
            "[timing] read + split {} card(s): {:.3} s",
            deck.cards.len(),
            t.elapsed().as_secs_f64()
        );
    }
    for w in &deck.warnings {
        eprint!("{}", w.render(&deck.sources));
    }
    let p = plan(&deck).map_err(|d| RunError::Input(d.render(&deck.sources)))?;
    for w in &p.circuit.warnings {
        eprint!("{}", w.render(&deck.sources));
    }
    Ok((deck, p))
}

/// Run one netlist into `out` (a `.step` study: every point into its own
/// folder, and `steps.csv`). Results of analyses that succeeded are
/// written even when a later one fails.
pub fn run_one(path: &Path, out: &Path, opts: &Opts) -> Result<(), RunError> {
    let quiet = opts.quiet;
    let t0 = Instant::now();
    let started_ms = now_ms();
    let (deck, plan) = prepare(path)?;
    let draft = Draft::new(path, &deck, started_ms, t0, 0);
    if plan.study.is_study() {
        return super::study::run_study(path, &deck, plan.study, out, opts, &draft);
    }
    if let Some((i, m)) = opts.shard.filter(|&(i, m)| opts.unit.unwrap_or(0) % m != i) {
        // Not a study: one unit of work, which shard `unit mod N` runs.
        if opts.unit.is_some() {
            return Err(RunError::OtherShard);
        }
        if !quiet {
            println!(
                "{}: not a study (no .step or .mc): shard 0 runs it, shard {i} of {m} has nothing to do",
                path.display()
            );
        }
        return Ok(());
    }
    // The source text is not needed once elaborated, unless a `.dc` over
    // temp or a .param elaborates it again.
    let deck = crate::analysis::dc::needs_deck(&plan.analyses).then_some(deck);
    let rebuild = deck
        .as_ref()
        .map(|d| crate::analysis::rebuilder(d, &[], None));
    if opts.resume && draft.done_in(out) {
        if !quiet {
            println!(
                "{}: done already with the same inputs ({} in {}), not run again",
                path.display(),
                report::manifest::MANIFEST,
                out.display()
            );
        }
        return Ok(());
    }
    let _run = begin(out)?;
    let res = run_in(
        path,
        &plan,
        out,
        quiet,
        t0.elapsed(),
        &mut Reuse::default(),
        rebuild.as_ref().map(|f| f as &crate::analysis::Rebuild),
        &mut |_, _| {},
    )
    .map(|_| ());
    draft.write(out, res.as_ref().err(), 1)?;
    res
}

/// A netlist run in this process for a caller that wants the results as
/// values (the Python package) rather than only as files.
pub struct Embedded<'a> {
    /// The netlist's path; with `text`, the text as if read from there
    /// (its includes and data files resolve beside it).
    pub path: &'a Path,
    pub text: Option<String>,
    /// `.param`s, independent sources or temp fixed to values, as one
    /// point of a `.step` fixes them.
    pub params: &'a [(String, f64)],
    /// Where its files go, as `xbarsim run -o`.
    pub out: &'a Path,
    pub quiet: bool,
    /// Draw its pictures.
    pub plots: bool,
}

/// Why an embedded run failed: the exit code the CLI would give, the
/// rendered message, and the first diagnostic's message and location.
#[derive(Debug)]
pub struct EmbeddedError {
    pub code: u8,
    pub rendered: String,
    pub message: String,
    pub location: Option<(String, usize, usize)>,
}

impl EmbeddedError {
    fn of(e: RunError) -> EmbeddedError {
        EmbeddedError {
            code: e.code(),
            message: e.message().lines().next().unwrap_or("").to_string(),
            rendered: e.message().to_string(),
            location: None,
        }
    }

    fn input(deck: &Deck, d: &crate::netlist::Diagnostics) -> EmbeddedError {
        let (rendered, message, location) = d.summary(&deck.sources);
        EmbeddedError {
            code: 2,
            rendered,
            message,
            location,
        }
    }
}

/// What an embedded run leaves besides what `visit` saw.
#[derive(Debug, Default)]
pub struct EmbeddedRun {
    /// A study (`.step`, `.mc`) ran: its table is `out/steps.csv`, and no
    /// outcome went to `visit`.
    pub study: bool,
    /// Warnings, rendered.
    pub warnings: Vec<String>,
}

/// Run a netlist as `xbarsim run` does, into `r.out`, handing each
/// analysis's outcome to `visit` before its files are written. A study
/// runs whole (its points on one thread each, up to the cores), `params`
/// fixed at every point.
pub fn run_embedded(
    r: &Embedded,
    visit: &mut dyn FnMut(&crate::circuit::Circuit, &Outcome),
) -> Result<EmbeddedRun, EmbeddedError> {
    let t0 = Instant::now();
    let started_ms = now_ms();
    // A long-lived process (Python) reads many netlists: this run's data
    // files are the ones read from here on.
    let read_before = crate::netlist::source::inputs().len();
    let loaded = match &r.text {
        Some(t) => crate::netlist::load_text(r.path, t.clone()),
        None => load(r.path),
    };
    let deck = loaded.map_err(|(deck, d)| EmbeddedError::input(&deck, &d))?;
    let mut warnings: Vec<String> = deck
        .warnings
        .iter()
        .map(|w| w.render(&deck.sources))
        .collect();
    let plan = crate::analysis::plan_with(&deck, r.params, None)
        .map_err(|d| EmbeddedError::input(&deck, &d))?;
    warnings.extend(
        plan.circuit
            .warnings
            .iter()
            .map(|w| w.render(&deck.sources)),
    );
    for (name, _) in r.params {
        if !crate::analysis::study::steppable(&plan.circuit, &plan.params, name) {
            return Err(EmbeddedError {
                code: 2,
                message: format!(
                    "'{name}' is not a .param, an independent source or temp of this netlist"
                ),
                rendered: format!(
                    "error: {}: '{name}' is not a .param, an independent source or temp of this netlist\n",
                    r.path.display()
                ),
                location: None,
            });
        }
    }
    let draft = Draft::new(r.path, &deck, started_ms, t0, read_before);
    if plan.study.is_study() {
        if let Some((name, _)) = r
            .params
            .iter()
            .find(|(k, _)| plan.study.steps.iter().any(|s| s.name == *k))
        {
            let message =
                format!("'{name}' is stepped by this study: it cannot also be fixed by params");
            return Err(EmbeddedError {
                code: 2,
                rendered: format!("error: {}: {message}\n", r.path.display()),
                message,
                location: None,
            });
        }
        let opts = Opts {
            quiet: r.quiet,
            point_plots: r.plots,
            fixed: r.params.to_vec(),
            ..Default::default()
        };
        super::study::run_study(r.path, &deck, plan.study, r.out, &opts, &draft)
            .map_err(EmbeddedError::of)?;
        return Ok(EmbeddedRun {
            study: true,
            warnings,
        });
    }
    let deck = crate::analysis::dc::needs_deck(&plan.analyses).then_some(deck);
    let rebuild = deck
        .as_ref()
        .map(|d| crate::analysis::rebuilder(d, r.params, None));
    let _run = begin(r.out).map_err(EmbeddedError::of)?;
    report::files::set_plots(r.plots);
    let res = run_in(
        r.path,
        &plan,
        r.out,
        r.quiet,
        t0.elapsed(),
        &mut Reuse::default(),
        rebuild.as_ref().map(|f| f as &crate::analysis::Rebuild),
        visit,
    )
    .map(|_| ());
    draft
        .write(r.out, res.as_ref().err(), 1)
        .map_err(EmbeddedError::of)?;
    res.map_err(EmbeddedError::of)?;
    Ok(EmbeddedRun {
        study: false,
        warnings,
    })
}

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A run's manifest before it ends: the netlist, its inputs as read, when
/// it started.
pub(super) struct Draft {
    pub(super) netlist: String,
    pub(super) inputs: Vec<report::manifest::InputFile>,
    pub(super) started_ms: u64,
    pub(super) t0: Instant,
}

impl Draft {
    /// The inputs of `deck`: the netlist and its includes (as read), and
    /// every other file this process read after its first `since` (data
    /// files), by content.
    pub(super) fn new(
        path: &Path,
        deck: &Deck,
        started_ms: u64,
        t0: Instant,
        since: usize,
    ) -> Draft {
        use report::manifest::InputFile;
        let mut inputs = Vec::new();
        let mut seen = Vec::new();
        for k in 0..deck.sources.len() {
            let id = crate::netlist::FileId(k as u32);
            let p = deck.sources.path(id);
            seen.push(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
            inputs.push(InputFile::of(p, deck.sources.text(id).as_bytes()));
        }
        let mut others: Vec<_> = crate::netlist::source::inputs()
            .into_iter()
            .skip(since)
            .filter(|p| !seen.contains(p))
            .collect();
        others.sort();
        others.dedup();
        inputs.extend(others.iter().map(|p| InputFile::read(p)));
        Draft {
            netlist: path.display().to_string(),
            inputs,
            started_ms,
            t0,
        }
    }

    /// True when `out` holds the manifest of a run of these inputs (by
    /// content, in reading order, as a study's points are keyed) by this
    /// version that ended well, with every file it wrote as it wrote it.
    fn done_in(&self, out: &Path) -> bool {
        let Some(m) = report::manifest::read(out) else {
            return false;
        };
        let same = |a: &[report::manifest::InputFile], b: &[report::manifest::InputFile]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.sha256 == y.sha256)
        };
        m.xbarsim == env!("CARGO_PKG_VERSION")
            && m.exit_code == 0
            && same(&m.inputs, &self.inputs)
            && report::study::files_intact(out, &m.outputs)
    }

    /// Write the manifest into `out`, inside the run into it: the run
    /// ended with `err` (none: ok) after `units` points.
    pub(super) fn write(
        &self,
        out: &Path,
        err: Option<&RunError>,
        units: usize,
    ) -> Result<(), RunError> {
        let (status, code) = match err {
            None => ("ok", 0),
            Some(RunError::Input(_)) => ("input error", 2),
            Some(RunError::Analysis(_)) => ("analysis failed", 1),
            Some(RunError::Study(c)) => ("points failed", *c),
            Some(RunError::OtherShard) => ("another shard's", OTHER_SHARD),
        };
        let m = report::manifest::RunManifest {
            xbarsim: env!("CARGO_PKG_VERSION").to_string(),
            command: std::env::args().collect(),
            netlist: self.netlist.clone(),
            inputs: self.inputs.clone(),
            started_ms: self.started_ms,
            seconds: self.t0.elapsed().as_secs_f64(),
            status: status.to_string(),
            exit_code: code,
            units,
            outputs: Vec::new(),
        };
        report::manifest::write(out, &m).map_err(|e| {
            RunError::Analysis(format!(
                "error: cannot write {}: {e}\n",
                out.join(report::manifest::MANIFEST).display()
            ))
        })
    }
}

/// Run a planned netlist's analyses into `out`, inside a run into `out`
/// already begun ([`begin`]); returns their headline numbers
/// ([`report::outcome::scalars`]). The engine is built on the symbolic
/// analysis `reuse` kept from an earlier circuit of the same structure.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_in(
    path: &Path,
    plan: &Plan,
    out: &Path,
    quiet: bool,
    t_parse: std::time::Duration,
    reuse: &mut Reuse,
    rebuild: Option<&crate::analysis::Rebuild>,
    visit: &mut dyn FnMut(&crate::circuit::Circuit, &Outcome),
) -> Result<Vec<(String, f64)>, RunError> {
    let timing = std::env::var_os("XBARSIM_TIMING").is_some();
    let c = &plan.circuit;
    let mut scalars = Vec::new();
    let mut results = crate::analysis::meas::Results::default();
    report::files::take_nonfinite();
    let t1 = Instant::now();
    let mut engine = Engine::reusing(c, reuse).map_err(|e| match e {
        // Refused by the memory budget: the input is too large for this machine.
        crate::solve::SolveFailure::Linear(crate::solve::sparse::SolveError::TooLarge(m)) => {
            RunError::Input(format!(
                "error: {}: {m}\n   = hint: {}\n",
                path.display(),
                crate::circuit::budget::HINT
            ))
        }
        e => RunError::Analysis(format!("error: {e}\n")),
    })?;
    let t_setup = t1.elapsed();
    if !quiet {
        println!(
            "{}: {} nodes, {} unknowns, {} elements; parsed in {:.3} s, set up in {:.3} s ({})",
            path.display(),
            c.nodes.len() - 1,
            engine.sys.n(),
            c.resistors.len()
                + c.vsources.len()
                + c.isources.len()
                + c.memristors.len()
                + c.branches.len()
                + c.controlled.len()
                + c.vbranches.len()
                + c.cccs.len(),
            t_parse.as_secs_f64(),
            t_setup.as_secs_f64(),
            if engine.solver.is_iterative() {
                "CG with strong-coupling preconditioner"
            } else if engine.solver.is_cholesky() {
                "Cholesky"
            } else {
                "LU"
            },
        );
    }
    if plan.analyses.is_empty() && !quiet {
        println!("  no analysis cards (.op, .dc): nothing to run");
    }
    for a in &plan.analyses {
        nonfinite_check(path)?;
        let t = Instant::now();
        let label = a.label(c);
        let mut bar = Bar::new(&label, quiet, t);
        let mut progress = |p: Progress| bar.update(p);
        let outcome = a
            .run(&mut Ctx {
                c,
                engine: &mut engine,
                progress: &mut progress,
                results: &results,
                rebuild,
            })
            .map_err(|e| {
                RunError::Analysis(format!("error: {}: {label}: {e}\n", path.display()))
            })?;
        bar.finish();
        drain_warnings(&mut engine, path);
        visit(c, &outcome);
        let secs = t.elapsed().as_secs_f64();
        let tw = Instant::now();
        let file = report::outcome::write(out, c, &outcome, secs).map_err(|e| {
            RunError::Analysis(format!(
                "error: cannot write {}: {}\n",
                out.join(&e.file).display(),
                e.source
            ))
        })?;
        if timing && matches!(outcome, Outcome::Op(_)) {
            let s = &engine.solver;
            eprintln!(
                "[timing] .op: factor {:.3} s ({}, nnz(L) {}), solve {:.3} s ({}, {} CG iterations), rest {:.3} s, write op.csv {:.3} s",
                s.factor_secs,
                s.factorizations,
                s.factor_nnz(),
                s.solve_secs,
                s.solves,
                s.cg_iterations,
                secs - s.factor_secs - s.solve_secs,
                tw.elapsed().as_secs_f64()
            );
        }
        nonfinite_check(path)?;
        scalars.extend(report::outcome::scalars(&outcome));
        match &outcome {
            Outcome::Op(r) => results.op = Some((r.names.clone(), r.values.clone())),
            Outcome::Dc(r) => results.dc = Some((r.names.clone(), r.rows.clone())),
            Outcome::Meas(_, r) => {
                for (name, v) in &r.values {
                    if let Err(why) = v {
                        eprintln!("warning: {}: .meas {name}: {why}", path.display());
                    }
                }
            }
            _ => {}
        }
        if let Some(why) = report::outcome::failure(c, &outcome, &file) {
            return Err(RunError::Analysis(format!(
                "error: {}: {why}\n",
                path.display()
            )));
        }
        if !quiet {
            for line in report::outcome::summary(c, &outcome, t.elapsed().as_secs_f64(), &file) {
                println!("{line}");
            }
        }
    }
    nonfinite_check(path)?;
    Ok(scalars)
}

/// Begin a run into `out` (see `report::files`); it ends when the guard
/// is dropped.
pub(super) fn begin(out: &Path) -> Result<EndRun, RunError> {
    report::files::begin_run(out).map_err(|e| {
        RunError::Input(format!(
            "error: cannot use output directory {}: {e}\n",
            out.display()
        ))
    })?;
    Ok(EndRun)
}

/// Ends the output folder's run (and releases its lock) however `run_one` returns.
pub(super) struct EndRun;
impl Drop for EndRun {
    fn drop(&mut self) {
        report::files::end_run();
    }
}

/// An analysis that wrote NaN or inf into a result file has failed: the
/// file stays as written (the message counts its NaN/inf fields and names
/// the first line), and the exit code says so.
fn nonfinite_check(path: &Path) -> Result<(), RunError> {
    let bad = report::files::take_nonfinite();
    if bad.is_empty() {
        return Ok(());
    }
    Err(RunError::Analysis(format!(
        "error: {}: the results are not all finite numbers: {}\n   = hint: an overflow (a huge source, state or parameter) or a device law undefined at its voltage (log, sqrt, division by zero)\n",
        path.display(),
        bad.join("; ")
    )))
}

/// Print (to stderr) and forget the engine's accuracy warnings.
fn drain_warnings(engine: &mut Engine, path: &Path) {
    for w in engine.sys.warnings.drain(..) {
        eprintln!("warning: {}: {w}", path.display());
    }
}

/// Progress of an analysis that works device by device: a bar on a
/// terminal; without one (logs), a line on stderr per tenth of a pass.
/// Created on the first report, so analyses that report none show none.
struct Bar {
    label: String,
    quiet: bool,
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Bar {
    fn new(label: &str, quiet: bool, start: Instant) -> Bar {
        Bar {
            label: label.to_string(),
            quiet,
            start,
            bar: None,
        }
    }

    fn update(&mut self, p: Progress) {
        let (cycle, cycles) = p.cycle.unwrap_or((0, 1));
        let (directive, xname) = self.label.split_once(' ').unwrap_or((&self.label, ""));
        let bar = self.bar.get_or_insert_with(|| {
            progress_bar(
                (p.total * cycles) as u64,
                self.quiet,
                &format!("  {directive} {{msg}} [{{bar:30}}] {{pos}}/{{len}} devices, {{elapsed}} elapsed, ~{{eta}} left"),
            )
        });
        let (done, total) = (p.done, p.total);
        if done == 1 || done == total || done % 16 == 0 {
            bar.set_message(match p.cycle {
                Some(_) => format!("{xname} cycle {}", cycle + 1),
                None => xname.to_string(),
            });
            bar.set_position((cycle * total + done) as u64);
        }
        let plain = bar.is_hidden() && !self.quiet;
        if plain && done > 0 && (done * 10 / total) != ((done - 1) * 10 / total) {
            let secs = self.start.elapsed().as_secs_f64();
            match p.cycle {
                Some(_) => eprintln!(
                    "  {directive} {xname}: cycle {} of {cycles}, {done}/{total} devices, {secs:.1} s",
                    cycle + 1
                ),
                None => eprintln!("  {directive} {xname}: {done}/{total} devices, {secs:.1} s"),
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `f(state, k)` for every k in `0..n`, on up to `jobs` threads of their
/// own, each with its own `state` (from `init`) and taking the next k
/// until none is left (or the caller's interrupt flag is raised: then the
/// results of the k done); the results in k order. (Plain threads, not rayon
/// tasks: a run's folder state is per thread, and a rayon worker could
/// start another k inside a nested parallel loop.)
pub(super) fn in_order<S, T: Send>(
    n: usize,
    jobs: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize) -> T + Sync,
) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<T>>> = (0..n).map(|_| Default::default()).collect();
    // Each thread polls the caller's interrupt flag.
    let flag = crate::solve::interrupt::current();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            s.spawn(|| {
                crate::solve::interrupt::under(&flag, || {
                    let mut state = init();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        // Interrupted: no new k (its slot stays empty).
                        if k >= n || crate::solve::interrupt::check().is_err() {
                            break;
                        }
                        let r = f(&mut state, k);
                        *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                    }
                })
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// A progress bar of `len` steps drawn with `template` (hidden when
/// `quiet`, and by indicatif without a terminal).
pub(super) fn progress_bar(len: u64, quiet: bool, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Exit code of a netlist whose run crashed (a panic, or killed by a signal).
pub const CRASHED: u8 = 3;

/// Several netlists: each into its own sub-directory (one netlist: `out`
/// itself). With more than one, each runs in a child process of its own, so
/// that nothing one netlist does (a panic, an abort, running out of memory,
/// a kill) stops the others; up to `opts.jobs` of them at a time. `out/batch.csv`
/// lists every netlist's outcome, in the order given.
pub fn run_many(netlists: &[PathBuf], out: &Path, opts: &Opts) -> u8 {
    let (quiet, jobs) = (opts.quiet, opts.jobs);
    if netlists.len() == 1 {
        return in_process(&netlists[0], || run_one(&netlists[0], out, opts).err());
    }
    let (t0, started_ms) = (Instant::now(), now_ms());
    let work = batch_jobs(netlists, out);
    // The batch's folder is a run's folder too: what an earlier run wrote
    // there (a single netlist's results, an older batch.csv) is removed.
    // Not for a shard: the shards of a batch share its folder, and merge
    // writes its table.
    let _run = match opts.shard {
        None => {
            if let Err(e) = report::files::begin_run(out) {
                eprintln!("error: cannot use output directory {}: {e}", out.display());
                return 2;
            }
            Some(EndRun)
        }
        Some(_) => None,
    };
    let rows = in_order(
        work.len(),
        jobs,
        || (),
        |_, k| {
            let (p, dir) = &work[k];
            let t = Instant::now();
            let mut args: Vec<std::ffi::OsString> =
                vec!["run".into(), p.into(), "-o".into(), dir.into()];
            if quiet {
                args.push("-q".into());
            }
            if opts.resume {
                args.push("--resume".into());
            }
            if opts.point_plots {
                args.push("--point-plots".into());
            }
            if let Some((i, m)) = opts.shard {
                args.extend([
                    "--shard".into(),
                    format!("{i}/{m}").into(),
                    "--unit".into(),
                    k.to_string().into(),
                ]);
            }
            let (code, status) = child(&args);
            report::batch::BatchRow {
                netlist: p.clone(),
                output: dir.clone(),
                status,
                code,
                seconds: t.elapsed().as_secs_f64(),
            }
        },
    );
    if let Some((i, m)) = opts.shard {
        return finish_shard(out, i, m, &rows, quiet);
    }
    finish_batch(out, &rows, t0, started_ms, quiet)
}

/// End a shard of a batch: its rows (a netlist another shard runs says so)
/// to `out/batch_shard_I_of_N.json`, for `xbarsim merge`.
fn finish_shard(
    out: &Path,
    i: usize,
    m: usize,
    rows: &[report::batch::BatchRow],
    quiet: bool,
) -> u8 {
    let manifest = report::batch::BatchShard {
        version: env!("CARGO_PKG_VERSION").to_string(),
        shard: i,
        shards: m,
        rows: rows.to_vec(),
    };
    let file = out.join(report::batch::shard_file(i, m));
    if let Err(e) =
        std::fs::create_dir_all(out).and_then(|_| report::batch::write_shard(out, &manifest))
    {
        eprintln!("error: cannot write {}: {e}", file.display());
        return 1;
    }
    let mine: Vec<_> = rows.iter().filter(|r| r.code != OTHER_SHARD).collect();
    let failed = mine.iter().filter(|r| r.code != 0).count();
    if !quiet {
        println!(
            "batch shard {i} of {m}: {} of {} netlist(s) had work here, {failed} failed -> {}",
            mine.len(),
            rows.len(),
            file.display()
        );
    }
    mine.iter().map(|r| r.code).max().unwrap_or(0)
}

/// End a batch (inside the run into `out`): its table `out/batch.csv`, its
/// manifest, the console summary; the worst exit code.
pub(super) fn finish_batch(
    out: &Path,
    rows: &[report::batch::BatchRow],
    t0: Instant,
    started_ms: u64,
    quiet: bool,
) -> u8 {
    let mut worst = rows.iter().map(|r| r.code).max().unwrap_or(0);
    let summary = out.join("batch.csv");
    let written =
        std::fs::create_dir_all(out).and_then(|_| report::batch::write_batch(&summary, rows));
    if let Err(e) = written {
        eprintln!("error: cannot write {}: {e}", summary.display());
        worst = worst.max(1);
    }
    // The batch's manifest: the netlists as given, by content.
    let draft = Draft {
        netlist: String::new(),
        inputs: rows
            .iter()
            .map(|r| report::manifest::InputFile::read(&r.netlist))
            .collect(),
        started_ms,
        t0,
    };
    let err = (worst > 0).then_some(RunError::Study(worst));
    if let Err(e) = draft.write(out, err.as_ref(), rows.len()) {
        eprint!("{}", e.message());
        worst = worst.max(1);
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.code != 0)
        .map(|r| format!("{} ({})", r.netlist.display(), r.status))
        .collect();
    if !quiet {
        println!(
            "{} of {} netlist(s) ran without error -> {}",
            rows.len() - failed.len(),
            rows.len(),
            summary.display()
        );
        if !failed.is_empty() {
            println!("failed: {}", failed.join(", "));
        }
    }
    worst
}

/// The batch's (netlist, output folder) pairs. A netlist listed twice runs
/// once; two netlists with one file name get `NAME`, `NAME-2`, … (said on
/// stderr), so no folder is shared.
fn batch_jobs(netlists: &[PathBuf], out: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut used: std::collections::HashMap<String, usize> = Default::default();
    let mut jobs = Vec::new();
    for p in netlists {
        let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if seen.contains(&canon) {
            eprintln!("warning: {} is listed twice; it runs once", p.display());
            continue;
        }
        seen.push(canon);
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty() && !s.starts_with('.'))
            .unwrap_or_else(|| "netlist".into());
        let n = used.entry(stem.to_lowercase()).or_insert(0);
        *n += 1;
        let name = if *n == 1 {
            stem
        } else {
            let name = format!("{stem}-{n}");
            eprintln!(
                "warning: another netlist of this batch is also named '{stem}': the results of {} go to {}",
                p.display(),
                out.join(&name).display()
            );
            name
        };
        jobs.push((p.clone(), out.join(name)));
    }
    jobs
}

/// The batch table's status of a netlist's exit code.
pub(super) fn status_word(code: u8) -> String {
    match code {
        0 => "ok",
        1 => "analysis failed",
        2 => "input error",
        OTHER_SHARD => "another shard's",
        _ => "crashed",
    }
    .to_string()
}

/// Run this executable with `args` (its output goes to ours), passing the
/// memory limit on; returns the exit code to report and a status word.
fn child(args: &[std::ffi::OsString]) -> (u8, String) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return (CRASHED, format!("not started: {e}")),
    };
    let status = std::process::Command::new(exe)
        .args(args)
        .arg("--max-memory")
        .arg(crate::circuit::budget::max_memory().to_string())
        .status();
    match status {
        Err(e) => (CRASHED, format!("not started: {e}")),
        Ok(s) => match s.code() {
            Some(c @ (0 | 1 | 2 | 10)) => (c as u8, status_word(c as u8)),
            Some(c) => (CRASHED, format!("crashed (exit {c})")),
            None => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    let sig = s.signal().unwrap_or(0);
                    eprintln!(
                        "error: {}: the run was killed by signal {sig}{} (its completed results are kept)",
                        args.get(1).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default(),
                        match sig {
                            6 => " (abort: out of memory?)",
                            9 => " (SIGKILL: out of memory?)",
                            11 => " (segmentation fault)",
                            _ => "",
                        }
                    );
                    (CRASHED, format!("crashed (signal {sig})"))
                }
                #[cfg(not(unix))]
                (CRASHED, "crashed".into())
            }
        },
    }
}

/// Run `f` here; a panic (a bug) becomes exit code [`CRASHED`] and a message
/// instead of tearing the process down.
fn in_process(p: &Path, f: impl FnOnce() -> Option<RunError>) -> u8 {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(None) => 0,
        Ok(Some(e)) => {
            eprint!("{}", e.message());
            e.code()
        }
        Err(_) => {
            eprintln!(
                "error: {}: internal error (a bug in xbarsim; please report it with this netlist); completed results are kept",
                p.display()
            );
            CRASHED
        }
    }
}

/// Check netlists; several run in child processes, like `run`.
pub fn check_many(netlists: &[PathBuf]) -> u8 {
    if netlists.len() == 1 {
        let p = &netlists[0];
        return in_process(p, || match prepare(p) {
            Ok((_, plan)) => {
                println!(
                    "{}: ok ({} nodes, {} analyses)",
                    p.display(),
                    plan.circuit.nodes.len() - 1,
                    plan.analyses.len()
                );
                None
            }
            Err(e) => Some(e),
        });
    }
    let mut worst = 0u8;
    for p in netlists {
        let (code, _) = child(&["check".into(), p.into()]);
        worst = worst.max(code);
    }
    worst
}

/// `xbarsim export`: the elaborated circuit as a flat ngspice netlist.
pub fn export(path: &Path, out: &Path) -> u8 {
    let (_deck, plan) = match prepare(path) {
        Ok(x) => x,
        Err(e) => {
            eprint!("{}", e.message());
            return e.code();
        }
    };
    let c = &plan.circuit;
    let source = path.display().to_string();
    let cards: Vec<String> = plan.analyses.iter().map(|a| a.spice(c)).collect();
    if out.as_os_str() == "-" {
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        return match crate::circuit::spice::write_flat(c, &source, &cards, &mut w)
            .and_then(|_| std::io::Write::flush(&mut w))
        {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: cannot write the flat netlist to standard output: {e}");
                1
            }
        };
    }
    match report::write_atomic(out, |w| {
        crate::circuit::spice::write_flat(c, &source, &cards, w)
    }) {
        Ok(()) => {
            println!("{} -> {}", path.display(), out.display());
            0
        }
        Err(e) if e.kind() == std::io::ErrorKind::Other => {
            // Refused: the target is an input or not a regular file.
            eprintln!("error: {e}");
            2
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            1
        }
    }
}
