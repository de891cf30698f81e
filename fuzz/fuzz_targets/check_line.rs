//! `anonlog check` over arbitrary bytes: never panics, and its report is printable.
#![no_main]

use anonlog::Policy;
use anonlog::audit::Auditor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checker = Auditor::new(Some(Policy::strict()), 5, None);
    let report = checker.finish([checker.scan(data, 1)]);
    let text = format!("{report}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    let _ = report.to_json().to_string();
});
