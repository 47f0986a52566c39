//! Fixture generators and helpers for Cutroom's cross-crate integration tests.
//!
//! The tests check Cutroom's files with independent readers: the Python `opentimelineio`
//! library and the `ffmpeg` command line. These are installed by the project's test setup
//! (`make test`); a test that cannot find them fails with a message naming that command.

use std::path::Path;
use std::process::{Command, Output};

/// Runs an external program and returns its output, panicking with a clear message (naming
/// the setup command) if it cannot be started.
pub fn run_tool(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program}: {e}; install the test dependencies with `make test-deps`")
        })
}

/// Runs an external program, panicking with its stderr unless it exits successfully.
pub fn run_tool_ok(program: &str, args: &[&str]) -> Output {
    let out = run_tool(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a Python snippet with `python3 -c`, passing `args` as `sys.argv[1:]`, and returns
/// its stdout; panics with Python's stderr on failure.
pub fn run_python(script: &str, args: &[&Path]) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script);
    for a in args {
        cmd.arg(a);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run python3: {e}; install the test dependencies with `make test-deps`")
    });
    assert!(
        out.status.success(),
        "python failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python printed UTF-8")
}
