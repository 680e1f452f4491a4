//! Reading the node's own files (configuration, keys, journal segments): always bounded, so a
//! wrong path pointing at a huge file, or one that grows while read, cannot exhaust memory.

use std::path::Path;

/// Reads a file of at most `limit` bytes; one that grows while being read is still refused.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    #[allow(clippy::disallowed_methods)] // bounded by take()
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(buf)
}
