//! Reference cycles a render made, broken when it ends.
//!
//! Values are reference-counted, so an object that holds itself (`$l.add($l)`, a `#define`
//! block kept in the context it renders in) would never be freed: in a long-lived process every
//! such render would leak what the cycle holds, its whole context for a `#define`.
//!
//! Cycles only form when a render links one object to another after both exist: a collection
//! gets a value that holds references, or a block captures a frame. Those objects are noted while
//! the render runs ([`suspect`]); when it ends, [`Tracking`] finds, by trial deletion, which of
//! them (and of what they reach) nothing outside holds: each object's references from inside the
//! graph are subtracted from its count, what keeps a reference from outside stays with all it
//! reaches, and the rest is garbage, whose collections are emptied (which frees it).

use crate::context::Frame;
use crate::error::Error;
use crate::iter::JIter;
use crate::render::BlockRef;
use crate::value::{JArray, JList, JMap, MapEntry, Scope, Value, View};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// An object that can hold references to others.
#[derive(Clone)]
pub enum Node {
    List(Rc<JList>),
    Map(Rc<RefCell<JMap>>),
    Array(Rc<JArray>),
    Entry(Rc<MapEntry>),
    View(Rc<View>),
    Scope(Rc<Scope>),
    Block(Rc<BlockRef>),
    Iterator(Rc<RefCell<JIter>>),
    Frame(Rc<Frame>),
}

impl Node {
    /// The object a value refers to, if it can hold references.
    pub fn of(v: &Value) -> Option<Node> {
        Some(match v {
            Value::List(l) => Node::List(l.clone()),
            Value::Map(m) => Node::Map(m.clone()),
            Value::Array(a) => Node::Array(a.clone()),
            Value::Entry(e) => Node::Entry(e.clone()),
            Value::View(w) => Node::View(w.clone()),
            Value::Scope(s) | Value::ScopeInfo(s) => Node::Scope(s.clone()),
            Value::Block(b) => Node::Block(b.clone()),
            Value::Iterator(i) => Node::Iterator(i.clone()),
            _ => return None,
        })
    }

    fn address(&self) -> usize {
        match self {
            Node::List(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Map(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Array(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Entry(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::View(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Scope(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Block(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Iterator(r) => Rc::as_ptr(r) as *const u8 as usize,
            Node::Frame(r) => Rc::as_ptr(r) as *const u8 as usize,
        }
    }

    fn count(&self) -> usize {
        match self {
            Node::List(r) => Rc::strong_count(r),
            Node::Map(r) => Rc::strong_count(r),
            Node::Array(r) => Rc::strong_count(r),
            Node::Entry(r) => Rc::strong_count(r),
            Node::View(r) => Rc::strong_count(r),
            Node::Scope(r) => Rc::strong_count(r),
            Node::Block(r) => Rc::strong_count(r),
            Node::Iterator(r) => Rc::strong_count(r),
            Node::Frame(r) => Rc::strong_count(r),
        }
    }

    /// Calls `f` with each object this one holds a reference to (once per reference).
    fn children(&self, f: &mut dyn FnMut(Node)) {
        let mut value = |v: &Value| {
            if let Some(n) = Node::of(v) {
                f(n)
            }
        };
        match self {
            Node::List(l) => l.items().iter().for_each(value),
            Node::Map(m) => m.borrow().iter().for_each(|(k, v)| {
                value(k);
                value(v);
            }),
            Node::Array(a) => a.items.borrow().iter().for_each(value),
            Node::Entry(e) => {
                value(&e.key);
                value(&e.value.borrow());
                f(Node::Map(e.map.clone()));
            }
            Node::View(w) => f(Node::Map(w.map.clone())),
            Node::Scope(s) => {
                if let Some(r) = &s.replaced {
                    value(r);
                }
                if let Some(p) = &s.parent {
                    f(Node::Scope(p.clone()));
                }
                if let Some(m) = s.storage.get() {
                    f(Node::Map(m.clone()));
                }
            }
            Node::Block(b) => f(Node::Frame(b.ctx.clone())),
            Node::Iterator(i) => match &*i.borrow() {
                JIter::List { list, .. } => f(Node::List(list.clone())),
                JIter::Array { array, .. } => f(Node::Array(array.clone())),
                JIter::Map { map, .. } => f(Node::Map(map.clone())),
                JIter::Snapshot(rest) => rest.as_slice().iter().for_each(value),
            },
            Node::Frame(frame) => match &**frame {
                Frame::Base(vars) => vars.borrow().values().for_each(value),
                Frame::Macro { inner, locals, .. } => {
                    locals.borrow().values().for_each(value);
                    f(Node::Frame(inner.clone()));
                }
                Frame::NullHolder { inner, .. } => f(Node::Frame(inner.clone())),
                Frame::Evaluate { inner, locals } => {
                    if let Some(l) = locals {
                        l.borrow().values().for_each(value);
                    }
                    f(Node::Frame(inner.clone()));
                }
            },
        }
    }

    /// Drops what a garbage object holds (objects that cannot change hold only older ones: every
    /// cycle goes through one that can).
    fn clear(&self) {
        match self {
            Node::List(l) => l.resize().clear(),
            Node::Map(m) => m.borrow_mut().clear(),
            Node::Array(a) => a.items.borrow_mut().clear(),
            Node::Entry(e) => *e.value.borrow_mut() = Value::Null,
            Node::Iterator(i) => *i.borrow_mut() = JIter::Snapshot(Vec::new().into_iter()),
            Node::Frame(frame) => frame.clear(),
            Node::View(_) | Node::Scope(_) | Node::Block(_) => {}
        }
    }
}

thread_local! {
    /// The objects the renders running on this thread linked, the latest render's last.
    static SUSPECTS: RefCell<Vec<Node>> = const { RefCell::new(Vec::new()) };
    static TRACKING: Cell<bool> = const { Cell::new(false) };
}

/// Notes an object the render just linked to another (see the module doc): a note is a word or
/// two, checked against the memory budget as the render may link objects in a loop.
pub fn suspect(node: Node) -> Result<(), Error> {
    if !TRACKING.get() {
        return Ok(());
    }
    SUSPECTS.with_borrow_mut(|s| {
        // A loop adding to one list notes it once.
        if s.last().is_some_and(|last| last.address() == node.address()) {
            return Ok(());
        }
        crate::budget::extend_vec(s, 1)?;
        s.push(node);
        Ok(())
    })
}

/// Notes a collection that just got `v`, when `v` holds references (a string or a number cannot
/// close a cycle).
#[inline]
pub fn linked(collection: impl FnOnce() -> Node, v: &Value) -> Result<(), Error> {
    if Node::of(v).is_some() {
        suspect(collection())?;
    }
    Ok(())
}

/// The suspects of one render: breaks the cycles among them when dropped (also when the render
/// unwinds).
#[must_use]
pub struct Tracking {
    /// Where this render's suspects begin (a render may run inside another's loader).
    start: usize,
    was_tracking: bool,
}

/// Begins noting what a render links.
pub fn track() -> Tracking {
    Tracking { start: SUSPECTS.with_borrow(Vec::len), was_tracking: TRACKING.replace(true) }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        TRACKING.set(self.was_tracking);
        let suspects = SUSPECTS.with_borrow_mut(|s| match self.start {
            0 => std::mem::take(s),
            start => s.split_off(start.min(s.len())),
        });
        collect(suspects);
    }
}

/// Trial deletion over what the suspects reach (see the module doc).
fn collect(suspects: Vec<Node>) {
    if suspects.is_empty() {
        return;
    }
    // Every object reached, with the references to it from inside the graph.
    let mut graph: FxHashMap<usize, (Node, usize)> = FxHashMap::default();
    let mut todo = Vec::new();
    for node in suspects {
        graph.entry(node.address()).or_insert_with(|| {
            todo.push(node.clone());
            (node, 0)
        });
    }
    while let Some(node) = todo.pop() {
        node.children(&mut |child| {
            let entry = graph.entry(child.address()).or_insert_with(|| {
                todo.push(child.clone());
                (child, 0)
            });
            entry.1 += 1;
        });
    }
    // Held from outside: more references than the graph's (and the one `graph` itself holds).
    let mut live: FxHashSet<usize> = FxHashSet::default();
    let mut todo: Vec<Node> = graph
        .values()
        .filter(|(node, inside)| node.count() > inside + 1)
        .map(|(node, _)| node.clone())
        .collect();
    while let Some(node) = todo.pop() {
        if live.insert(node.address()) {
            node.children(&mut |child| todo.push(child));
        }
    }
    for (address, (node, _)) in &graph {
        if !live.contains(address) {
            node.clear();
        }
    }
}
