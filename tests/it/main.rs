//! One integration-test target: every test drives the real binaries as processes, the way the
//! clients do (`Case::claude(fixture).run().stdout_json()`).

mod support;

mod bad_input;
mod breaker;
mod classifier;
mod cli;
mod config;
mod doctor;
mod eval;
mod fixtures;
mod guard;
mod install;
mod registration;
mod report;
mod security;
mod state;
mod verifier;
