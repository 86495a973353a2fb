//! Layering: the crate's top-level modules may only use the ones before them
//! in [`ORDER`] (netlist → devices → circuit → mna → solve → nn → analysis →
//! report → cli); `src/lib.rs` and `src/main.rs` are exempt.
//!
//! Every `.rs` file under `src/<module>/` (and `src/<module>.rs`) is read by a
//! small lexer that skips comments (line, nested block, doc) and string, raw
//! string, byte string and char literals. Its paths are resolved to the
//! top-level module they start in: `crate::m…`, `$crate::m…`, the members of
//! a `crate::{a, b::c}` group, and `super::…` chains that climb out of the
//! file's module (counting inline `mod name { … }` blocks). A reference to a
//! later module is an upward edge, reported as `file:line`; any cycle among
//! the modules is reported too. The counting matches
//! `shared/tools/layers.py`: one reference per (line, target module).

use std::collections::BTreeSet;
use std::path::Path;

/// The layers, lowest first.
const ORDER: [&str; 9] = [
    "netlist", "devices", "circuit", "mna", "solve", "nn", "analysis", "report", "cli",
];

fn rank(m: &str) -> Option<usize> {
    ORDER.iter().position(|&o| o == m)
}

/// A token of Rust text that matters for paths: an identifier or keyword, or
/// one punctuation character (`::` is two `:` tokens).
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Punct(char),
}

/// Tokens of `text` with their 1-based line, without comments and literals.
fn lex(text: &str) -> Vec<(usize, Tok)> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    // Skip from `i` to just past the `end` delimiter of a quoted literal,
    // honouring backslash escapes; counts newlines.
    fn skip_quoted(c: &[char], mut i: usize, line: &mut usize, end: char) -> usize {
        while i < c.len() {
            match c[i] {
                '\\' => i += 1,
                '\n' => *line += 1,
                x if x == end => return i + 1,
                _ => {}
            }
            i += 1;
        }
        i
    }
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0usize;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_quoted(&c, i + 1, &mut line, '"');
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\u{1F600}', '"') or a lifetime ('a).
            if next == Some('\\') {
                i = skip_quoted(&c, i + 1, &mut line, '\'');
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // Raw strings r"…", r#"…"#, br#"…"#; byte strings b"…"; b'x'.
            let raw = (word == "r" || word == "br") && matches!(c.get(i), Some('"') | Some('#'));
            if raw {
                let mut hashes = 0;
                while c.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if c.get(i) == Some(&'"') {
                    i += 1;
                    while i < c.len() {
                        if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                            i += 1 + hashes;
                            break;
                        }
                        if c[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    continue;
                }
                // `r#ident` (a raw identifier): keep the name.
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push((line, Tok::Ident(c[start..i].iter().collect())));
                continue;
            }
            if word == "b" && c.get(i) == Some(&'"') {
                i = skip_quoted(&c, i + 1, &mut line, '"');
                continue;
            }
            if word == "b" && c.get(i) == Some(&'\'') {
                i = skip_quoted(&c, i + 1, &mut line, '\'');
                continue;
            }
            out.push((line, Tok::Ident(word)));
        } else if ch.is_ascii_digit() {
            // Numbers (with suffixes such as 1e-3, 0x1f, 2usize, 1.5f64).
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
        } else {
            out.push((line, Tok::Punct(ch)));
            i += 1;
        }
    }
    out
}

/// References from one file to top-level modules: (line, module), one per
/// line and module. `module` is the file's module path (`["circuit",
/// "elaborate"]` for src/circuit/elaborate.rs, `["circuit"]` for its mod.rs).
fn references(text: &str, module: &[&str]) -> Vec<(usize, String)> {
    let toks = lex(text);
    let ident = |k: usize| match toks.get(k) {
        Some((_, Tok::Ident(s))) => Some(s.as_str()),
        _ => None,
    };
    let punct = |k: usize, p: char| matches!(toks.get(k), Some((_, Tok::Punct(q))) if *q == p);
    let sep = |k: usize| punct(k, ':') && punct(k + 1, ':');
    let mut found = BTreeSet::new();
    // Inline modules: (name, brace depth inside its block).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut k = 0;
    while k < toks.len() {
        if punct(k, '{') {
            depth += 1;
        } else if punct(k, '}') {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
        } else if ident(k) == Some("mod") && ident(k + 1).is_some() && punct(k + 2, '{') {
            inline.push((ident(k + 1).unwrap_or_default().to_string(), depth + 1));
            depth += 1;
            k += 3;
            continue;
        }
        // The start of a path: not preceded by `::`.
        let starts = k < 2 || !(punct(k - 2, ':') && punct(k - 1, ':'));
        let head = ident(k);
        let (at_root, after) = match head {
            Some("crate") if starts && sep(k + 1) => (true, k + 3),
            Some("super") if starts && sep(k + 1) => {
                let mut n = 1;
                let mut j = k + 3;
                while ident(j) == Some("super") && sep(j + 1) {
                    n += 1;
                    j += 3;
                }
                // Depth of the current module below the crate root.
                let here = module.len() + inline.len();
                (n == here, j)
            }
            _ => (false, k + 1),
        };
        if at_root {
            if let Some(m) = ident(after) {
                found.insert((toks[after].0, m.to_string()));
            } else if punct(after, '{') {
                // A group: the first name of each top-level member.
                let mut d = 0usize;
                let mut j = after;
                let mut member_start = true;
                while j < toks.len() {
                    if punct(j, '{') {
                        d += 1;
                        if d == 1 {
                            member_start = true;
                            j += 1;
                            continue;
                        }
                    } else if punct(j, '}') {
                        d -= 1;
                        if d == 0 {
                            break;
                        }
                    } else if d == 1 && punct(j, ',') {
                        member_start = true;
                        j += 1;
                        continue;
                    }
                    if d == 1 && member_start {
                        if let Some(m) = ident(j) {
                            found.insert((toks[j].0, m.to_string()));
                        }
                        member_start = false;
                    }
                    j += 1;
                }
            }
            k = after;
            continue;
        }
        k += 1;
    }
    found
        .into_iter()
        .filter(|(_, m)| rank(m).is_some())
        .collect()
}

/// One reference between two different top-level modules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// The module path of `rel` (a path below src/, `/`-separated), or None for
/// files outside the layers (lib.rs, main.rs, bin/…).
fn module_of(rel: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut path: Vec<String> = parts
        .iter()
        .map(|p| p.trim_end_matches(".rs").to_string())
        .collect();
    rank(&path[0])?;
    if path.last().map(String::as_str) == Some("mod") && path.len() > 1 {
        path.pop();
    }
    Some(path)
}

/// Every cross-module reference in `files` (path below src/, text).
fn edges(files: &[(String, String)]) -> Vec<Edge> {
    let mut out = Vec::new();
    for (rel, text) in files {
        let Some(module) = module_of(rel) else {
            continue;
        };
        let m: Vec<&str> = module.iter().map(String::as_str).collect();
        for (line, to) in references(text, &m) {
            if to != module[0] {
                out.push(Edge {
                    file: format!("src/{rel}"),
                    line,
                    from: module[0].clone(),
                    to,
                });
            }
        }
    }
    out.sort();
    out
}

/// Upward edges as `file:line: from -> to`, and cycles among the modules
/// (each a list of modules in layer order).
fn violations(edges: &[Edge]) -> (Vec<String>, Vec<Vec<&'static str>>) {
    let up = edges
        .iter()
        .filter(|e| rank(&e.to) > rank(&e.from))
        .map(|e| format!("{}:{}: {} -> {}", e.file, e.line, e.from, e.to))
        .collect();
    // Reachability (transitive closure) over the nine modules; a cycle is a
    // set of two or more mutually reachable modules.
    let n = ORDER.len();
    let mut reach = vec![vec![false; n]; n];
    for e in edges {
        if let (Some(a), Some(b)) = (rank(&e.from), rank(&e.to)) {
            reach[a][b] = true;
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if reach[i][k] && reach[k][j] {
                    reach[i][j] = true;
                }
            }
        }
    }
    let mut seen = vec![false; n];
    let mut cycles = Vec::new();
    for i in 0..n {
        if seen[i] {
            continue;
        }
        let comp: Vec<usize> = (0..n)
            .filter(|&j| j == i || (reach[i][j] && reach[j][i]))
            .collect();
        if comp.len() > 1 {
            comp.iter().for_each(|&j| seen[j] = true);
            cycles.push(comp.iter().map(|&j| ORDER[j]).collect());
        }
    }
    (up, cycles)
}

/// All `.rs` files below `dir`, as (path relative to `root`, text).
fn read_tree(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_tree(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(root).expect("below root");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((rel, text));
        }
    }
}

#[test]
fn top_level_modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&src, &src, &mut files);
    assert!(files.len() > 20, "found only {} files in src/", files.len());
    let all = edges(&files);
    // The scan sees the real dependencies (a broken scanner would pass vacuously).
    assert!(
        all.iter().any(|e| e.from == "cli" && e.to == "analysis"),
        "no cli -> analysis reference found"
    );
    let (up, cycles) = violations(&all);
    let mut msg = String::new();
    for u in &up {
        msg += &format!("upward reference: {u}\n");
    }
    for c in &cycles {
        msg += &format!("cycle: {}\n", c.join(" <-> "));
    }
    assert!(
        up.is_empty() && cycles.is_empty(),
        "layer order is {}; {} upward reference(s), {} cycle(s):\n{msg}",
        ORDER.join(" -> "),
        up.len(),
        cycles.len()
    );
}

// ---- the scanner on synthetic input ----

fn refs(text: &str, module: &[&str]) -> Vec<(usize, String)> {
    references(text, module)
}

fn r(line: usize, m: &str) -> (usize, String) {
    (line, m.to_string())
}

#[test]
fn comments_and_literals_are_not_references() {
    let text = r####"// use crate::cli;
/// see [`crate::cli::run`]
//! crate::report
/* crate::cli /* nested crate::cli */ still a comment crate::cli */
/** crate::cli */
fn f<'a>(x: &'a str) -> char {
    let s = "crate::cli::run";
    let t = "escaped \" crate::cli \\";
    let u = r#"raw "crate::cli" string"#;
    let v = br##"crate::report"##;
    let w = b"crate::cli";
    let q = '"'; let e = '\''; let z = b'"';
    crate::netlist::parse(s);
    '{'
}
"####;
    assert_eq!(refs(text, &["analysis"]), vec![r(13, "netlist")]);
}

#[test]
fn use_groups_paths_and_macros_are_references() {
    let text = "use crate::{netlist, circuit::{Circuit, NodeId}, report::{self, plot}};
use crate::solve::Solver as S;
use std::collections::HashMap;
fn g() {
    let x = crate::mna::System::new();
    let y: crate::devices::Model = todo!();
    macro_rules! m { () => { $crate::nn::train() } }
}
pub(crate) fn h() {}
use crate::{
    analysis,
    cli::run,
};
use crate::Result;
";
    assert_eq!(
        refs(text, &["report"]),
        vec![
            r(1, "circuit"),
            r(1, "netlist"),
            r(1, "report"),
            r(2, "solve"),
            r(5, "mna"),
            r(6, "devices"),
            r(7, "nn"),
            r(11, "analysis"),
            r(12, "cli"),
        ]
    );
}

#[test]
fn super_chains_are_resolved_against_the_file_and_inline_modules() {
    // src/circuit/elaborate.rs: `super` is circuit, `super::super` the root.
    let text = "use super::nodes::Nodes;
use super::super::solve::SolverChoice;
use super::super::{netlist::Deck, cli};
mod tests {
    use super::super::validate;
    use super::super::super::report;
    mod deeper { fn f() { super::super::super::super::nn::train(); } }
}
fn after() { super::super::mna::build(); }
";
    assert_eq!(
        refs(text, &["circuit", "elaborate"]),
        vec![
            r(2, "solve"),
            r(3, "cli"),
            r(3, "netlist"),
            r(6, "report"),
            r(7, "nn"),
            r(9, "mna"),
        ]
    );
    // From src/analysis/program/engine.rs, two supers stay inside analysis.
    assert_eq!(
        refs(
            "let o = super::super::crossbar_ordering(&c);",
            &["analysis", "program", "engine"]
        ),
        vec![]
    );
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn downhill_tree_passes() {
    let tree = files(&[
        ("lib.rs", "pub mod cli; use crate::cli::main;"),
        (
            "main.rs",
            "use xbarsim::cli; fn main() { crate::report::x(); }",
        ),
        ("netlist/mod.rs", "pub mod ast; // crate::cli\n"),
        ("circuit/mod.rs", "use crate::{netlist, devices::Model};\n"),
        (
            "circuit/elaborate.rs",
            "use super::nodes; use crate::circuit::Circuit;\n",
        ),
        (
            "solve.rs",
            "use crate::mna::System;\nlet s = \"crate::analysis\";\n",
        ),
        ("analysis/mod.rs", "use crate::{solve, nn};\n"),
        (
            "cli/run.rs",
            "use crate::analysis::op; use super::super::report;\n",
        ),
    ]);
    let all = edges(&tree);
    assert_eq!(all.len(), 7, "{all:?}");
    let (up, cycles) = violations(&all);
    assert!(up.is_empty(), "{up:?}");
    assert!(cycles.is_empty(), "{cycles:?}");
}

#[test]
fn upward_edges_and_cycles_are_reported_with_their_lines() {
    let tree = files(&[
        (
            "circuit/mod.rs",
            "use crate::netlist;\npub solver: crate::solve::SolverChoice,\n",
        ),
        (
            "circuit/elaborate.rs",
            "\n\nuse crate::analysis::read::{ReadSpec, Scheme};\n",
        ),
        (
            "nn/import.rs",
            "// crate::analysis\nuse crate::{devices, analysis::program};\n",
        ),
        ("solve/mod.rs", "use crate::circuit::Circuit;\n"),
        ("analysis/mod.rs", "use crate::{solve, nn};\n"),
        ("report.rs", "use crate::analysis;\n"),
    ]);
    let (up, cycles) = violations(&edges(&tree));
    assert_eq!(
        up,
        vec![
            "src/circuit/elaborate.rs:3: circuit -> analysis",
            "src/circuit/mod.rs:2: circuit -> solve",
            "src/nn/import.rs:2: nn -> analysis",
        ]
    );
    assert_eq!(cycles, vec![vec!["circuit", "solve", "nn", "analysis"]]);
}

#[test]
fn module_paths_of_files() {
    let m = |p: &str| module_of(p).map(|v| v.join("::"));
    assert_eq!(m("circuit/mod.rs").as_deref(), Some("circuit"));
    assert_eq!(
        m("circuit/elaborate.rs").as_deref(),
        Some("circuit::elaborate")
    );
    assert_eq!(
        m("analysis/perceptron.rs").as_deref(),
        Some("analysis::perceptron")
    );
    assert_eq!(
        m("analysis/perceptron/card.rs").as_deref(),
        Some("analysis::perceptron::card")
    );
    assert_eq!(m("solve.rs").as_deref(), Some("solve"));
    assert_eq!(m("lib.rs"), None);
    assert_eq!(m("main.rs"), None);
}
