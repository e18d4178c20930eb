#![no_main]

selfheal_hook::main!(|| {
    // The same binary, started again by itself, runs the `[escalate] command` detached from
    // the stop it reports on (see selfheal_breaker::helper_main).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if !selfheal_breaker::helper_main(&args) {
        selfheal_hook::run(selfheal_breaker::HOOK);
    }
});
