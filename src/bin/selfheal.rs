fn main() -> std::process::ExitCode {
    selfheal_cli::main()
}
