//! The `yardstick` binary: parses arguments and calls the crates. Nothing else.

fn main() {
    println!("yardstick");
}
