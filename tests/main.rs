//! One integration-test binary; modules by topic.
mod closed_forms;
mod common;
mod conservation;
mod crossbar;
mod errors;
mod include_param;
mod lines;
mod models;
mod oracles;
mod parser_fuzz;
mod perceptron;
mod program;
mod read;
mod sizing;
mod solver;
mod thresholds;
mod vmm;
