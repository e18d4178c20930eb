fn main() -> std::process::ExitCode {
    selfheal_hook::run(selfheal_verify::HOOK)
}
