//! One integration-test binary; modules by topic.
mod common;
mod closed_forms;
mod conservation;
mod errors;
mod include_param;
mod oracles;
mod parser_fuzz;
mod solver;
