//! The server's "now": the system clock (or a manual one in tests) plus the QA offset of demo mode.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
    offset_ms: AtomicI64,
}

pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None, offset_ms: AtomicI64::new(0) }
    }

    /// A clock that only moves when the returned handle is set.
    pub fn manual(start: i64) -> (Clock, Arc<AtomicI64>) {
        let handle = Arc::new(AtomicI64::new(start));
        (Clock { manual: Some(handle.clone()), offset_ms: AtomicI64::new(0) }, handle)
    }

    pub fn now(&self) -> i64 {
        let base = match &self.manual {
            Some(h) => h.load(Ordering::SeqCst),
            None => system_now_ms(),
        };
        base + self.offset_ms.load(Ordering::SeqCst)
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    pub fn set_offset_ms(&self, offset: i64) {
        self.offset_ms.store(offset, Ordering::SeqCst);
    }
}
