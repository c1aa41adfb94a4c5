//! Rebuild when the classroom page changes: `web/` is embedded with include_dir, which cannot see new files.
fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
