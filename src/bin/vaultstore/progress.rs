//! A spinner on stderr while a long walk runs (the library has no progress callback),
//! shown only when stderr is a terminal so that logs and pipes stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::ProgressBar;

/// Runs `work` under a spinner saying `message`.
pub fn spin<T>(message: &'static str, work: impl FnOnce() -> T) -> T {
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner().with_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    } else {
        ProgressBar::hidden()
    };
    let out = work();
    bar.finish_and_clear();
    out
}
