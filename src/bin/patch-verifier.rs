fn main() -> std::process::ExitCode {
    selfheal_hook::run(selfheal_hook::PATCH_VERIFIER)
}
