use std::process::ExitCode;

fn main() -> ExitCode {
    timx::cli::main()
}
