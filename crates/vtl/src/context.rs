//! The variables a template sees: the render's base map, wrapped by the frames Velocity wraps it
//! in — a macro call (arguments passed by name, its own locals), a `#foreach` over a null element
//! (the loop variable reads as null), an `#evaluate` (optionally its own locals). A frame can
//! outlive its call (a `#define` block keeps the context it was defined in), so frames are shared.

use crate::compile::{NodeId, Sym, Template};
use crate::value::Value;
use rustc_hash::FxHashMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub type Vars = FxHashMap<Sym, Value>;

/// A macro argument passed by name: the caller's expression, evaluated on every read in the
/// caller's context.
#[derive(Clone)]
pub struct Proxy {
    pub template: Rc<Template>,
    pub node: NodeId,
}

pub enum Frame {
    Base(RefCell<Vars>),
    Macro {
        inner: Ctx,
        /// `#set` inside the macro and arguments given as constants.
        locals: RefCell<Vars>,
        /// Arguments given as expressions.
        proxies: RefCell<Vec<(Sym, Proxy)>>,
        /// `.literal.$name`: the caller's text of each argument, printed when it is null.
        literals: Vec<(Sym, Rc<str>)>,
        /// `velocimacro.context.localscope`: sets stay in the macro.
        local_scope: bool,
    },
    NullHolder {
        inner: Ctx,
        key: Sym,
        active: Cell<bool>,
    },
    Evaluate {
        inner: Ctx,
        locals: Option<RefCell<Vars>>,
    },
}

pub type Ctx = Rc<Frame>;

/// What reading a variable finds: a value, or an argument expression to evaluate in `Ctx`.
pub enum Found {
    Value(Value),
    Proxy(Proxy, Ctx),
}

impl Frame {
    pub fn base(vars: Vars) -> Ctx {
        Rc::new(Frame::Base(RefCell::new(vars)))
    }

    /// Reads a variable (Velocity's `context.get`). Null values fall through to outer frames as
    /// they do in Velocity's maps.
    #[inline]
    pub fn get(self: &Rc<Self>, key: Sym) -> Found {
        let mut frame = self;
        loop {
            match &**frame {
                Frame::Base(vars) => {
                    return Found::Value(vars.borrow().get(&key).cloned().unwrap_or(Value::Null))
                }
                Frame::Macro { inner, locals, proxies, .. } => {
                    if let Some(v) = locals.borrow().get(&key) {
                        if !v.is_null() {
                            return Found::Value(v.clone());
                        }
                    }
                    if let Some((_, p)) = proxies.borrow().iter().find(|(k, _)| *k == key) {
                        return Found::Proxy(p.clone(), inner.clone());
                    }
                    frame = inner;
                }
                Frame::NullHolder { inner, key: k, active } => {
                    if active.get() && *k == key {
                        return Found::Value(Value::Null);
                    }
                    frame = inner;
                }
                Frame::Evaluate { inner, locals } => {
                    if let Some(v) = locals.as_ref().and_then(|l| l.borrow().get(&key).cloned()) {
                        if !v.is_null() {
                            return Found::Value(v);
                        }
                    }
                    frame = inner;
                }
            }
        }
    }

    /// Sets a variable (Velocity's `context.put`): a macro frame keeps it and, unless its scope is
    /// local, passes it on.
    pub fn put(&self, key: Sym, value: Value) {
        match self {
            Frame::Base(vars) => {
                vars.borrow_mut().insert(key, value);
            }
            Frame::Macro { inner, locals, local_scope, .. } => {
                locals.borrow_mut().insert(key, value.clone());
                if !local_scope {
                    inner.put(key, value);
                }
            }
            Frame::NullHolder { inner, key: k, active } => {
                if *k == key && value.is_null() {
                    active.set(true);
                }
                inner.put(key, value);
            }
            Frame::Evaluate { inner, locals } => match locals {
                Some(l) => {
                    l.borrow_mut().insert(key, value);
                }
                None => inner.put(key, value),
            },
        }
    }

    /// Removes a variable (Velocity's `context.remove`); a macro frame also forgets an argument
    /// of that name.
    pub fn remove(&self, key: Sym) {
        match self {
            Frame::Base(vars) => {
                vars.borrow_mut().remove(&key);
            }
            Frame::Macro { inner, locals, proxies, local_scope, .. } => {
                locals.borrow_mut().remove(&key);
                proxies.borrow_mut().retain(|(k, _)| *k != key);
                if !local_scope {
                    inner.remove(key);
                }
            }
            Frame::NullHolder { inner, key: k, active } => {
                if *k == key {
                    active.set(false);
                }
                inner.remove(key);
            }
            Frame::Evaluate { inner, locals } => match locals {
                Some(l) => {
                    l.borrow_mut().remove(&key);
                }
                None => inner.remove(key),
            },
        }
    }

    /// The caller's text of the macro argument `key` (`context.get(".literal.$key")`).
    pub fn argument_literal(self: &Rc<Self>, key: Sym) -> Option<Rc<str>> {
        let mut frame = self;
        loop {
            match &**frame {
                Frame::Base(_) => return None,
                Frame::Macro { inner, literals, .. } => {
                    if let Some((_, l)) = literals.iter().find(|(k, _)| *k == key) {
                        return Some(l.clone());
                    }
                    frame = inner;
                }
                Frame::NullHolder { inner, .. } | Frame::Evaluate { inner, .. } => frame = inner,
            }
        }
    }
}
