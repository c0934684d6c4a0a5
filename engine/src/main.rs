//! The `ferry` binary: parses the command line and hands over to [`ferry::cli`].

fn main() {
    println!("ferry");
}
