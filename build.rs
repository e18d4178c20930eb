fn main() {
    // The hook binaries start once per tool call: link them as position-dependent executables,
    // so that the loader has no relocations to apply (a PIE of this size carries ~11,000, about
    // a tenth of a hook's start-up).
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
