// mimalloc: elaborating a multi-million-card netlist is allocation-heavy and
// parses on two threads; measured faster than glibc malloc here (see README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    xbarsim::cli::main_exit()
}
