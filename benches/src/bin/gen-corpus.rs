//! Writes the benchmark corpus into a directory, for the peer harnesses.
fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&dir)?;
    for (name, doc) in rsmev_benches::corpus() {
        std::fs::write(std::path::Path::new(&dir).join(name), doc)?;
    }
    Ok(())
}
