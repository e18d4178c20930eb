fn main() -> std::process::ExitCode {
    selfheal_hook::run(selfheal_hook::BUDGET_CHECK)
}
