//! How much memory a render holds, for [`crate::Config::max_memory`].
//!
//! A template chooses sizes (a format width, a doubling loop, a huge exponent): the engine checks
//! each such size before it allocates, against what the render already holds. What it holds is
//! known when the program installs [`Counting`] as its global allocator: it counts the live bytes
//! of each thread in a thread-local word (a render runs on one thread), so a render's use is the
//! count now minus the count when it began, read with [`held`]. Without it `held` stays 0, and the
//! checks only refuse a single allocation larger than the limit.
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: vtl::memory::Counting = vtl::memory::Counting::new();
//! ```
//!
//! The count is one add to a thread-local word per allocation and one per release (native
//! thread-local storage, initialized as a constant: no lazy setup, nothing allocated).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Live bytes allocated by this thread, minus those it released (wrapping: memory freed by
    /// another thread than the one that allocated it moves both counts).
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting each thread's live bytes for [`held`].
pub struct Counting(());

impl Counting {
    pub const fn new() -> Self {
        Counting(())
    }
}

impl Default for Counting {
    fn default() -> Self {
        Counting::new()
    }
}

#[inline(always)]
fn count(grown: usize, shrunk: usize) {
    HELD.set(HELD.get().wrapping_add(grown).wrapping_sub(shrunk));
}

// SAFETY: every call is passed on to `System` unchanged; only a counter is updated besides.
unsafe impl GlobalAlloc for Counting {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            count(layout.size(), 0);
        }
        p
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            count(layout.size(), 0);
        }
        p
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        count(0, layout.size());
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            count(new_size, layout.size());
        }
        p
    }
}

/// The bytes this thread holds through [`Counting`] (wrapping: compare two readings with
/// `wrapping_sub`); always 0 when it is not the global allocator.
#[inline]
pub fn held() -> usize {
    HELD.get()
}
