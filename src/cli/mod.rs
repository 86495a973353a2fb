//! The command line: `xbarsim run NETLIST... -o DIR`, `xbarsim check NETLIST...`,
//! `xbarsim export NETLIST -o OUT.cir`, `xbarsim merge DIR... -o OUT`.
//! Exit codes: 0 ok, 1 an analysis failed, 2 bad input or usage.

pub mod merge;
pub mod run;
pub mod study;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "xbarsim",
    version,
    about = "SPICE-style DC simulator for passive memristor crossbar arrays"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
    /// Refuse circuits whose estimated memory exceeds this (e.g. 8G, 512M);
    /// default 80 % of this machine's memory, or XBARSIM_MAX_MEMORY.
    #[arg(long, global = true, value_parser = memory_arg)]
    pub max_memory: Option<u64>,
    /// Refuse `.step` studies of more points than this (default 1000000).
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_points: Option<u64>,
}

/// A `--max-memory` value that is not a size.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a size in bytes (e.g. 8G, 512M, 1000000)")]
struct NotASize(String);

/// A `--shard` value that is not I/N with 0 <= I < N.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a shard I/N with 0 <= I < N (e.g. 0/4 .. 3/4)")]
struct NotAShard(String);

fn shard_arg(s: &str) -> Result<(usize, usize), NotAShard> {
    let bad = || NotAShard(s.to_string());
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

fn memory_arg(s: &str) -> Result<u64, NotASize> {
    crate::circuit::budget::parse_bytes(s).ok_or_else(|| NotASize(s.to_string()))
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run every analysis of each netlist and write the results into DIR
    /// (one netlist: DIR/op.csv, DIR/dc.csv; several: DIR/<netlist name>/...).
    Run {
        /// Netlist file(s). A failing netlist does not stop the others.
        #[arg(required = true)]
        netlists: Vec<PathBuf>,
        /// Output directory (created if missing).
        #[arg(short, long)]
        out: PathBuf,
        /// Print only errors.
        #[arg(short, long)]
        quiet: bool,
        /// Netlists (each in its own process), or points of a `.step` study,
        /// run at the same time.
        #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
        jobs: u32,
        /// Threads each netlist's run may use (default: one per core).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
        /// Studies (`.step`): skip the points already done with the same
        /// inputs (netlist, includes, data files, values, version).
        #[arg(long)]
        resume: bool,
        /// Studies: run only point K (1-based, as in steps.csv) into its
        /// folder, e.g. to rerun one Monte Carlo sample alone.
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
        point: Option<u64>,
        /// Run only shard I of N (I from 0, e.g. a Slurm array task's
        /// index): of a study, the points k (from 0) with k mod N = I, each
        /// into its folder, and DIR/shard_I_of_N.json instead of steps.csv;
        /// of a batch, every study so, and the plain netlist at position j
        /// when j mod N = I, and DIR/batch_shard_I_of_N.json instead of
        /// batch.csv. `xbarsim merge` then makes the tables. Shards may
        /// share DIR.
        #[arg(long, value_name = "I/N", value_parser = shard_arg, conflicts_with = "point")]
        shard: Option<(usize, usize)>,
        /// Studies: draw every point's pictures (heat maps, curves) as a
        /// run of the point alone does. Without it the points write their
        /// tables only and the study draws its own plots (steps_*.png).
        #[arg(long)]
        point_plots: bool,
        /// (Internal) this netlist's position in a sharded batch.
        #[arg(long, hide = true, requires = "shard")]
        unit: Option<usize>,
    },
    /// Join the shards of a study (`run --shard I/N`, found as
    /// shard_I_of_N.json in the folders given) into the table one
    /// process would have written: OUT/steps.csv and its plots. For the
    /// shards of a batch (batch_shard_I_of_N.json), each study of the batch
    /// is merged in its folder and OUT/batch.csv written.
    Merge {
        /// Folders holding the shards' manifests (e.g. one shared study folder).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the table goes (may be one of DIRS).
        #[arg(short, long)]
        out: PathBuf,
        /// Print only errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Parse and check netlists without solving.
    Check {
        #[arg(required = true)]
        netlists: Vec<PathBuf>,
    },
    /// Write a flat netlist that ngspice runs unchanged: crossbars expanded,
    /// memristors as B-sources with their I-V law.
    Export {
        netlist: PathBuf,
        /// The flat netlist to write (`-`: standard output).
        #[arg(short, long)]
        out: PathBuf,
    },
}

/// Process exit code of the whole invocation.
pub fn main_exit() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return std::process::ExitCode::from(code);
        }
    };
    if let Some(n) = cli.max_points {
        crate::analysis::study::set_max_points(n);
    }
    if let Some(b) = cli.max_memory {
        crate::circuit::budget::set_max_memory(b);
    }
    let code = match cli.cmd {
        Cmd::Run {
            netlists,
            out,
            quiet,
            jobs,
            threads,
            resume,
            point,
            shard,
            point_plots,
            unit,
        } => {
            if let Some(t) = threads {
                // This process's pool, and (through the environment) its children's.
                std::env::set_var("RAYON_NUM_THREADS", t.to_string());
                let _ = rayon::ThreadPoolBuilder::new()
                    .num_threads(t as usize)
                    .build_global();
            }
            let opts = run::Opts {
                quiet,
                jobs: jobs as usize,
                resume,
                point: point.map(|k| k as usize),
                shard,
                point_plots,
                unit,
                fixed: Vec::new(),
            };
            run::run_many(&netlists, &out, &opts)
        }
        Cmd::Merge { dirs, out, quiet } => merge::merge(&dirs, &out, quiet),
        Cmd::Check { netlists } => run::check_many(&netlists),
        Cmd::Export { netlist, out } => run::export(&netlist, &out),
    };
    std::process::ExitCode::from(code)
}
