//! Fault points for crash tests.
//!
//! The crash tests must kill a process at a known moment (for example after
//! a large load is parsed and before it commits) without racing it. When the
//! environment variable `ASSETGRAPH_FAULT` names a fault point, the process
//! announces on stderr that it reached that point and then waits to be
//! killed. Without the variable this is a no-op.

use std::sync::OnceLock;

pub(crate) fn pause_point(name: &str) {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    let armed = FAULT.get_or_init(|| std::env::var("ASSETGRAPH_FAULT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("assetgraph: fault point '{name}' reached; waiting to be killed");
        loop {
            std::thread::park();
        }
    }
}
