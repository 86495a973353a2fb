fn main() -> std::process::ExitCode {
    xbarsim::cli::main_exit()
}
