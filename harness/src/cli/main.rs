//! The `bgpstorm` binary: everything is in [`bgpstorm_harness::cli`].

fn main() -> std::process::ExitCode {
    bgpstorm_harness::cli::main()
}
