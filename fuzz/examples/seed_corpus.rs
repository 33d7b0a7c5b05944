//! Writes the seed inputs into `fuzz/corpus/<target>/` (run from anywhere:
//! `cargo run --manifest-path fuzz/Cargo.toml --no-default-features --example seed_corpus`).

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, name, bytes) in tabletalk_fuzz::seeds::seeds() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        // The seed must pass its own harness.
        let harness = tabletalk_fuzz::TARGETS
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, f)| *f)
            .expect("a known target");
        harness(&bytes);
        if target == "engine_ops" {
            println!("  {:?}", tabletalk_fuzz::engine_ops::execute(&bytes));
        }
        std::fs::write(dir.join(format!("seed-{name}")), &bytes)?;
        println!("{target}/seed-{name}: {} bytes", bytes.len());
    }
    Ok(())
}
