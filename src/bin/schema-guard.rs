#![no_main]

selfheal_hook::main!(|| selfheal_hook::run(selfheal_guard::HOOK));
