//! The `ferry` binary: hands over to [`ferry::cli`].

#[cfg(feature = "wip")]
fn main() -> std::process::ExitCode {
    ferry::cli::main_entry()
}

#[cfg(not(feature = "wip"))]
fn main() {}
