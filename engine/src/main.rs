//! The `ferry` binary: hands over to [`ferry::cli`].

fn main() -> std::process::ExitCode {
    ferry::cli::main_entry()
}
