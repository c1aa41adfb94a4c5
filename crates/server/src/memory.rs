//! Handing the heap's free pages back to the system while the server runs.
//!
//! Under connection churn the server's live heap stays flat (heaptrack over a 4-minute chaos soak with 2,000
//! clients and 38,000 reconnects: 44-46 MB live from the first minute to the last, the feed's new messages
//! the only growth) while its RSS grew by about 200 bytes per reconnect, slowing but not stopping. That is
//! glibc's malloc, not the server: every connection allocates and frees its buffers in its worker thread's
//! arena, between allocations that stay (the feed's messages, each worker's copy of them, the connections
//! that did not churn), and the pages of the freed chunks stay with the process. `free` only gives memory
//! back at the top of a heap; `malloc_trim` (since glibc 2.8) walks every arena and returns every whole
//! free page, wherever it is.
//!
//! So a task calls it every [`TRIM_PERIOD`]. At this heap size a trim takes 0.2 to 1 ms, on the server's
//! main thread (not a worker), holding each arena's lock in turn; a page it returned costs a page fault when
//! reused. At one trim per period both are lost in the noise of a server under load. It takes back about a
//! third of the drift in that soak; the rest is pages a live chunk still shares with freed ones, which only
//! an allocator with size classes avoids (jemalloc, preloaded for the same soak, drifted less than half as much as
//! glibc with trims), at the price of a dependency. Capping the arenas (`MALLOC_ARENA_MAX=2`) changed
//! nothing: the server has few threads, hence arenas, already. Off glibc (musl, macOS) nothing is done.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// Time between two trims: short enough that little piles up in between (the soak's churn, 160 reconnects a
/// second, left about 38 KiB a second behind), long enough that the trims' cost is nothing.
pub const TRIM_PERIOD: Duration = Duration::from_secs(10);

/// Returns the heap's whole free pages, in every arena, to the system (glibc's `malloc_trim(0)`). True
/// when some memory was released; always false off glibc, where nothing is done.
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only reads and updates malloc's own state, under its own locks (MT-Safe).
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Trims every [`TRIM_PERIOD`] until `shutdown` is cancelled.
pub async fn trim_periodically(shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(TRIM_PERIOD);
    // The first tick is at once: nothing to trim at start-up.
    interval.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = interval.tick() => {
                let started = Instant::now();
                let released = release_free_memory();
                tracing::debug!(released, took_us = started.elapsed().as_micros() as u64, "malloc_trim");
            }
        }
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Of the whole pages inside `blocks` (address, length), how many are resident (mincore(2)).
    fn resident_pages(blocks: &[(usize, usize)]) -> (usize, usize) {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let (mut resident, mut total) = (0, 0);
        for &(addr, len) in blocks {
            let (first, end) = (addr.div_ceil(page) * page, (addr + len) / page * page);
            let mut pages = vec![0u8; (end - first) / page];
            // SAFETY: mincore only reads the page tables of the range and writes `pages`, one byte per page;
            // nothing at the addresses is read. A range no longer mapped is an error: none resident.
            let ok = unsafe { libc::mincore(first as *mut libc::c_void, end - first, pages.as_mut_ptr()) } == 0;
            resident += if ok { pages.iter().filter(|&&p| p & 1 == 1).count() } else { 0 };
            total += pages.len();
        }
        (resident, total)
    }

    /// What the server suffered from, in small: memory freed between live allocations stays resident until
    /// a trim returns it.
    #[test]
    fn a_trim_returns_pages_freed_between_live_allocations() {
        // 64 KiB blocks stay under glibc's mmap threshold (128 KiB), so they come from the heap itself;
        // every other one stays live, so no freed block can be given back at the top of the heap by free.
        let mut blocks: Vec<Vec<u8>> = (0..256).map(|i| vec![i as u8; 64 * 1024]).collect();
        let mut freed = Vec::new();
        for block in blocks.iter_mut().step_by(2) {
            freed.push((block.as_ptr() as usize, block.len()));
            drop(std::mem::take(block));
        }
        let (before, total) = resident_pages(&freed);
        assert!(before * 10 >= total * 9, "{before} of {total} freed pages resident before the trim");
        release_free_memory();
        // Another test's thread may have reused a little of it meanwhile.
        let (after, _) = resident_pages(&freed);
        assert!(after * 4 <= total, "{after} of {total} freed pages still resident after the trim");
        assert!(blocks.iter().skip(1).step_by(2).all(|b| b.len() == 64 * 1024));
    }
}
