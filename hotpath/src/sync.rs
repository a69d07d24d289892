//! Atomics used by the lock-free structures, swapped for loom's under `cfg(loom)` so the
//! seqlock can be model-checked (`RUSTFLAGS="--cfg loom" cargo test -p orion-hotpath --lib loom`).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering, fence};

/// Backs off inside a retry loop (loom must be told that the thread is spinning).
#[inline]
pub(crate) fn spin_wait() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}
