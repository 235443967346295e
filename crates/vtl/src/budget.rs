//! What the engine's current operation (a render, a compile, a JSON conversion) may spend, and
//! the host's way to stop it.
//!
//! Memory: code that allocates a size the template or its data chose calls [`reserve`] first,
//! which refuses when the request plus what the operation already holds (see [`crate::memory`])
//! would pass [`crate::Config::max_memory`]; the renderer also checks what it holds every
//! [`crate::render`] checkpoint, which catches growth in small steps.
//!
//! Time: loops over input call [`tick`] with the work they do (about one unit per element
//! compared, per token, per few dozen bytes scanned); every [`QUANTUM`] units it calls the
//! engine's interrupt hook, which may unwind to cancel the operation.
//!
//! Both live in thread-local cells set by [`enter`] for the operation's duration, so that the
//! value methods, printing, equality and the lexer reach them without being handed a context.

use crate::error::{Error, ErrorKind, Limit};
use std::cell::Cell;

/// Work units between two calls of the interrupt hook: tens of microseconds of work.
pub const QUANTUM: usize = 1 << 12;

#[derive(Clone, Copy)]
struct Budget {
    hook: Option<fn()>,
    /// [`crate::memory::held`] when the operation began.
    baseline: usize,
    max_memory: usize,
}

/// Outside any operation: no hook, and the default limit.
const NONE: Budget = Budget { hook: None, baseline: 0, max_memory: crate::engine::DEFAULT_MAX_MEMORY };

thread_local! {
    static CURRENT: Cell<Budget> = const { Cell::new(NONE) };
    /// Work units left before the hook is called.
    static LEFT: Cell<usize> = const { Cell::new(QUANTUM) };
}

/// The budget of an operation, in force until dropped (also when it unwinds).
#[must_use]
pub struct Guard {
    previous: Budget,
}

impl Drop for Guard {
    fn drop(&mut self) {
        CURRENT.set(self.previous);
    }
}

/// Begins an operation that may hold `max_memory` more bytes than the thread holds now.
pub fn enter(hook: Option<fn()>, max_memory: usize) -> Guard {
    let budget = Budget { hook, baseline: crate::memory::held(), max_memory };
    Guard { previous: CURRENT.replace(budget) }
}

/// Counts `units` of work, calling the hook when a quantum is spent.
#[inline]
pub fn tick(units: usize) {
    let left = LEFT.get();
    if units < left {
        LEFT.set(left - units);
    } else {
        interrupt();
    }
}

/// Bytes of text a loop may scan for one unit of work.
const BYTES_PER_UNIT: usize = 64;

/// Counts the work of scanning `bytes` bytes of text.
#[inline]
pub fn scan(bytes: usize) {
    tick(bytes / BYTES_PER_UNIT + 1);
}

/// Calls the hook now (and starts a new quantum).
#[cold]
#[inline(never)]
pub fn interrupt() {
    LEFT.set(QUANTUM);
    if let Some(hook) = CURRENT.get().hook {
        hook();
    }
}

/// Refuses an allocation of `bytes` that would take the operation past its memory limit.
#[inline]
pub fn reserve(bytes: usize) -> Result<(), Error> {
    let b = CURRENT.get();
    // Negative when the operation freed memory it did not allocate.
    let used = crate::memory::held().wrapping_sub(b.baseline) as isize;
    if bytes.saturating_add(used.max(0) as usize) > b.max_memory {
        return Err(exceeded(b.max_memory));
    }
    Ok(())
}

/// [`reserve`] for `n` values of type `T`.
#[inline]
pub fn reserve_for<T>(n: usize) -> Result<(), Error> {
    reserve(n.saturating_mul(std::mem::size_of::<T>()))
}

#[cold]
#[inline(never)]
fn exceeded(max: usize) -> Error {
    Error::new(
        ErrorKind::Limit(Limit::Memory),
        format!("the template would use more than {max} bytes of memory ({} = {max})", Limit::Memory.name()),
    )
}

/// Makes room for `extra` more bytes in `buf`, refusing growth past the limit (a full buffer
/// doubles, as `String` grows).
#[inline]
pub fn extend(buf: &mut String, extra: usize) -> Result<(), Error> {
    if extra > buf.capacity() - buf.len() {
        reserve(buf.len().saturating_add(extra).max(buf.capacity().saturating_mul(2)))?;
        buf.reserve(extra);
    }
    Ok(())
}

/// [`extend`] for a vector.
#[inline]
pub fn extend_vec<T>(v: &mut Vec<T>, extra: usize) -> Result<(), Error> {
    if extra > v.capacity() - v.len() {
        reserve_for::<T>(v.len().saturating_add(extra).max(v.capacity().saturating_mul(2)))?;
        v.reserve(extra);
    }
    Ok(())
}
