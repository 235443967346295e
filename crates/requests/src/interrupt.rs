//! Loops over the elements of a request body call [`tick`], which calls the host's interrupt
//! check (set once with [`set_hook`]) every few thousand elements, so that a query cancel or a
//! statement timeout stops the checking of a huge body at once. Without a hook (tests), `tick`
//! only counts.

use std::cell::Cell;
use std::sync::OnceLock;

/// Elements between two calls of the hook (well under a millisecond of work).
const EVERY: u32 = 4096;

static HOOK: OnceLock<fn()> = OnceLock::new();

thread_local! {
    static COUNT: Cell<u32> = const { Cell::new(0) };
}

/// Sets the function `tick` calls; it may unwind. Only the first call counts.
pub fn set_hook(hook: fn()) {
    let _ = HOOK.set(hook);
}

/// One more element handled.
pub fn tick() {
    let n = COUNT.get().wrapping_add(1);
    COUNT.set(n);
    if n.is_multiple_of(EVERY) {
        if let Some(hook) = HOOK.get() {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    static CALLS: AtomicU32 = AtomicU32::new(0);

    #[test]
    fn the_hook_is_called_every_few_thousand_elements() {
        set_hook(|| {
            CALLS.fetch_add(1, Ordering::Relaxed);
        });
        for _ in 0..10 * EVERY {
            tick();
        }
        assert_eq!(CALLS.load(Ordering::Relaxed), 10);
    }
}
