fn main() -> std::process::ExitCode {
    selfheal_hook::run(selfheal_hook::SCHEMA_GUARD)
}
