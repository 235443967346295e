//! Java iterators over template values: what `#foreach` walks and what `iterator()` returns.
//! They fail fast like Java's when the collection changes structurally under them.

use crate::error::Thrown;
use crate::methods::{Fault, JavaError};
use crate::value::{JArray, JClass, JList, JMap, MapEntry, Value, ViewKind};
use std::cell::RefCell;
use std::rc::Rc;

pub enum JIter {
    List {
        list: Rc<JList>,
        cursor: usize,
        expected: u32,
    },
    /// Velocity's ArrayIterator: the length is read once, elements live.
    Array {
        array: Rc<JArray>,
        pos: usize,
        size: usize,
    },
    /// A LinkedHashMap view: the next entry is found when an element is taken, as the linked
    /// iterator follows `after`.
    Map {
        map: Rc<RefCell<JMap>>,
        next: Option<usize>,
        expected: u32,
        kind: ViewKind,
    },
    /// A HashMap's values (the `$foreach` scope), in hash order.
    Snapshot(std::vec::IntoIter<Value>),
}

/// What a `#foreach` walks: an iterator the template holds (shared with it), or one of its own
/// (no allocation).
pub enum Loop {
    Shared(Rc<RefCell<JIter>>),
    Own(JIter),
}

impl Loop {
    /// `None` for a value that cannot be iterated; an error when a snapshot of it is too large.
    pub fn of(v: &Value) -> Result<Option<Loop>, Thrown> {
        Ok(match v {
            Value::Iterator(it) => Some(Loop::Shared(it.clone())),
            other => JIter::owned(other)?.map(Loop::Own),
        })
    }

    #[inline(always)]
    pub fn has_next(&self) -> bool {
        match self {
            Loop::Shared(it) => it.borrow().has_next(),
            Loop::Own(it) => it.has_next(),
        }
    }

    #[inline(always)]
    pub fn next(&mut self) -> Result<Value, Fault> {
        match self {
            Loop::Shared(it) => it.borrow_mut().next(),
            Loop::Own(it) => it.next(),
        }
    }
}

fn next_slot(map: &JMap, from: usize) -> Option<usize> {
    (from..map.slot_count()).find(|&s| map.entry_at(s).is_some())
}

fn exception(class: &'static str) -> Fault {
    Fault::Java(JavaError { class, message: None })
}

impl JIter {
    /// Velocity's `getIterator`: arrays, collections, maps (their values), iterators; `None`
    /// for anything else.
    pub fn of(v: &Value) -> Result<Option<Rc<RefCell<JIter>>>, Thrown> {
        Ok(Loop::of(v)?.map(|l| match l {
            Loop::Shared(it) => it,
            Loop::Own(it) => Rc::new(RefCell::new(it)),
        }))
    }

    fn owned(v: &Value) -> Result<Option<JIter>, Thrown> {
        Ok(Some(match v {
            Value::List(l) => JIter::List { list: l.clone(), cursor: 0, expected: l.mods() },
            Value::Array(a) => {
                let size = a.items.borrow().len();
                JIter::Array { array: a.clone(), pos: 0, size }
            }
            Value::Map(m) => JIter::map(m, ViewKind::Values),
            Value::View(v) => JIter::map(&v.map, v.kind),
            Value::Scope(_) => JIter::Snapshot(v.elements()?.unwrap_or_default().into_iter()),
            _ => return Ok(None),
        }))
    }

    fn map(m: &Rc<RefCell<JMap>>, kind: ViewKind) -> JIter {
        let (next, expected) = {
            let map = m.borrow();
            (next_slot(&map, 0), map.mods())
        };
        JIter::Map { map: m.clone(), next, expected, kind }
    }

    /// The Java class of the iterator object.
    pub fn class(&self) -> JClass {
        JClass::Iterator
    }

    #[inline]
    pub fn has_next(&self) -> bool {
        match self {
            JIter::List { list, cursor, .. } => *cursor != list.len(),
            JIter::Array { pos, size, .. } => pos < size,
            JIter::Map { next, .. } => next.is_some(),
            JIter::Snapshot(it) => it.len() > 0,
        }
    }

    /// The next element: a list's, the common case, inline; the others (and a list's errors)
    /// out of line.
    #[inline(always)]
    pub fn next(&mut self) -> Result<Value, Fault> {
        if let JIter::List { list, cursor, expected } = self {
            if list.mods() == *expected {
                if let Some(v) = list.items().get(*cursor) {
                    *cursor += 1;
                    return Ok(v.clone());
                }
            }
        }
        self.next_other()
    }

    #[inline(never)]
    fn next_other(&mut self) -> Result<Value, Fault> {
        match self {
            JIter::List { list, cursor, expected } => {
                if list.mods() != *expected {
                    return Err(exception("java.util.ConcurrentModificationException"));
                }
                let v = list.get(*cursor).ok_or_else(|| exception("java.util.NoSuchElementException"))?;
                *cursor += 1;
                Ok(v)
            }
            JIter::Array { array, pos, .. } => {
                let v = array
                    .items
                    .borrow()
                    .get(*pos)
                    .cloned()
                    .ok_or_else(|| exception("java.util.NoSuchElementException"))?;
                *pos += 1;
                Ok(v)
            }
            JIter::Map { map, next, expected, kind } => {
                let m = map.borrow();
                if m.mods() != *expected {
                    return Err(exception("java.util.ConcurrentModificationException"));
                }
                let slot = next.ok_or_else(|| exception("java.util.NoSuchElementException"))?;
                let (k, v) =
                    m.entry_at(slot).ok_or_else(|| exception("java.util.ConcurrentModificationException"))?;
                let item = match kind {
                    ViewKind::Keys => k.clone(),
                    ViewKind::Values => v.clone(),
                    ViewKind::Entries => Value::Entry(Rc::new(MapEntry {
                        map: map.clone(),
                        key: k.clone(),
                        value: RefCell::new(v.clone()),
                    })),
                };
                *next = next_slot(&m, slot + 1);
                Ok(item)
            }
            JIter::Snapshot(it) => it.next().ok_or_else(|| exception("java.util.NoSuchElementException")),
        }
    }
}
