//! How much one chart load may read, over the chart and every archive nested in it: a packaged
//! subchart inside a packaged chart must not multiply the limits (a "zip bomb").

use super::{MAX_CHART_BYTES, MAX_ENTRIES, MAX_FILE_BYTES};

#[derive(Debug)]
pub struct Budget {
    bytes: u64,
    files: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_CHART_BYTES, MAX_ENTRIES)
    }
}

impl Budget {
    pub fn new(bytes: u64, files: usize) -> Self {
        Budget { bytes, files }
    }

    /// How many bytes a tar stream read within this budget may hold: what is left for files,
    /// plus a header and its padding for each entry left, plus the end-of-archive record.
    /// Metadata entries (GNU long names, PAX headers) are read whole by the tar reader before
    /// any file is charged, so the stream itself must be cut here.
    pub fn stream_allowance(&self) -> u64 {
        self.bytes + 1024 * (self.files as u64) + 10_240
    }

    /// Accounts for one file of `size` bytes; the error says which limit it passes.
    pub fn take(&mut self, size: u64) -> Result<(), String> {
        if size > MAX_FILE_BYTES {
            return Err(format!(
                "file is larger than the maximum file size of {MAX_FILE_BYTES} bytes"
            ));
        }
        if self.files == 0 {
            return Err(format!(
                "more than {MAX_ENTRIES} files in the chart and its archives"
            ));
        }
        if size > self.bytes {
            return Err(format!(
                "more than {MAX_CHART_BYTES} bytes in the chart and its archives"
            ));
        }
        self.files -= 1;
        self.bytes -= size;
        Ok(())
    }
}
