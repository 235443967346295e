//! The variables a template sees: the render's base map, wrapped by the frames Velocity wraps it
//! in — a macro call (arguments passed by name, its own locals), a `#foreach` over a null element
//! (the loop variable reads as null), an `#evaluate` (optionally its own locals). A frame can
//! outlive its call (a `#define` block keeps the context it was defined in), so frames are shared.

use crate::compile::{Kind, Known, NodeId, Part, RefKind, Reference, Sym, Template};
use crate::value::Value;
use smallvec::SmallVec;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Variables by symbol. Symbols are dense (one engine numbers every name it meets from 0), so
/// a variable is a slot in a vector: reading one is an index, not a hash lookup. A symbol past
/// the end, like a null slot, is an absent variable.
#[derive(Clone, Default)]
pub struct Vars(Vec<Value>);

impl Vars {
    #[inline]
    pub fn get(&self, key: Sym) -> &Value {
        self.0.get(key.0 as usize).unwrap_or(&NULL)
    }

    /// Sets a variable; null removes it.
    #[inline]
    pub fn insert(&mut self, key: Sym, value: Value) {
        match self.0.get_mut(key.0 as usize) {
            Some(slot) => *slot = value,
            None => self.insert_past_end(key, value),
        }
    }

    /// A variable past the end of the vector (named by none of the data's keys).
    #[cold]
    #[inline(never)]
    fn insert_past_end(&mut self, key: Sym, value: Value) {
        if !value.is_null() {
            self.0.resize(key.0 as usize + 1, Value::Null);
            self.0[key.0 as usize] = value;
        }
    }

    pub fn remove(&mut self, key: Sym) {
        self.insert(key, Value::Null);
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter()
    }
}

/// A macro call's own variables: few, so kept in a list (inline, as calls are frequent).
#[derive(Default)]
pub struct Locals(SmallVec<[(Sym, Value); 2]>);

/// A macro call's arguments given as expressions.
pub type Arguments = SmallVec<[Argument; 2]>;

impl Locals {
    pub fn get(&self, key: &Sym) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: Sym, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &Sym) {
        self.0.retain(|(k, _)| k != key);
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }
}

/// A macro argument passed by name: the caller's expression, evaluated on every read in the
/// caller's context.
#[derive(Clone)]
pub struct Proxy {
    pub template: Rc<Template>,
    pub node: NodeId,
    /// The caller's variable, when the expression is just one (`#m($a)`): reading the
    /// parameter reads it, with no expression to evaluate.
    pub alias: Option<Sym>,
}

impl Proxy {
    pub fn new(template: &Rc<Template>, node: NodeId) -> Proxy {
        let alias = match &template.node(node).kind {
            Kind::Reference(r)
                if matches!(r.kind, RefKind::Normal | RefKind::Formal | RefKind::Quiet)
                    && r.parts.is_empty() =>
            {
                Some(r.root)
            }
            _ => None,
        };
        Proxy { template: template.clone(), node, alias }
    }
}

/// A macro parameter given an expression: the expression (until a `#set` replaces it) and the
/// caller's text of it (`.literal.$name`, printed when it is null).
pub struct Argument {
    pub key: Sym,
    pub proxy: Option<Proxy>,
    pub literal: Rc<str>,
}

pub enum Frame {
    Base(RefCell<Vars>),
    Macro {
        inner: Ctx,
        /// `#set` inside the macro and arguments given as constants.
        locals: RefCell<Locals>,
        /// Arguments given as expressions.
        arguments: RefCell<Arguments>,
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

const NULL: Value = Value::Null;

/// [`peek`] of a whole reference: `None` without trying when one of its parts is a kind that
/// cannot be read in place (see [`Reference::in_place`]).
#[inline]
pub fn peek_reference<T>(frame: &Frame, r: &Reference, f: impl FnOnce(&Value) -> T) -> Option<T> {
    if !r.reads_in_place() {
        return None;
    }
    peek(frame, r.root, &r.parts, f)
}

/// Reads a reference made of map properties (and the loop scope's counters) in place, with no
/// copies and no calls, passing the value to `f`: `None` when it needs the general path (a
/// method, an argument that is not a plain reference, a receiver that is not a map).
pub fn peek<T>(frame: &Frame, key: Sym, parts: &[Part], f: impl FnOnce(&Value) -> T) -> Option<T> {
    let (mut frame, mut key) = (frame, key);
    loop {
        match frame {
            Frame::Base(vars) => return read_parts(vars.borrow().get(key), parts, f),
            Frame::Macro { inner, locals, arguments, .. } => {
                if let Some(v) = locals.borrow().get(&key).filter(|v| !v.is_null()) {
                    return read_parts(v, parts, f);
                }
                let arguments = arguments.borrow();
                let Some(p) = proxy_of(&arguments, key) else {
                    frame = inner;
                    continue;
                };
                if let Some(alias) = p.alias {
                    (frame, key) = (inner, alias);
                    continue;
                }
                // An argument passed as a reference reads that reference in the caller's context.
                let Kind::Reference(r) = &p.template.node(p.node).kind else { return None };
                if !matches!(r.kind, RefKind::Normal | RefKind::Formal | RefKind::Quiet) {
                    return None;
                }
                // The argument's own parts first, then ours, through a type-erased visitor so
                // that this recursion makes no new instance of this function.
                let mut f = Some(f);
                let mut out = None;
                let visit: &mut dyn FnMut(&Value) = &mut |v| {
                    if let Some(f) = f.take() {
                        out = read_parts(v, parts, f);
                    }
                };
                peek(inner, r.root, &r.parts, visit)?;
                return out;
            }
            Frame::NullHolder { inner, key: k, active } => {
                if active.get() && *k == key {
                    return read_parts(&NULL, parts, f);
                }
                frame = inner;
            }
            Frame::Evaluate { inner, locals } => {
                if let Some(l) = locals {
                    let l = l.borrow();
                    if !l.get(key).is_null() {
                        return read_parts(l.get(key), parts, f);
                    }
                }
                frame = inner;
            }
        }
    }
}

/// The expression parameter `key` still stands for.
fn proxy_of(arguments: &[Argument], key: Sym) -> Option<&Proxy> {
    arguments.iter().filter(|a| a.key == key).find_map(|a| a.proxy.as_ref())
}

/// The parts applied in place one after another, the last value passed to `f`; `None` when one
/// needs the general path.
#[inline(always)]
fn read_parts<T>(v: &Value, parts: &[Part], f: impl FnOnce(&Value) -> T) -> Option<T> {
    match parts {
        [] => Some(f(v)),
        // One part, the most common reference after a bare variable, without recursing.
        [only] => step(v, only, f),
        [first, rest @ ..] => read_more(v, first, rest, f),
    }
}

/// [`read_parts`] of two parts or more, out of line.
#[inline(never)]
fn read_more<T>(v: &Value, first: &Part, rest: &[Part], f: impl FnOnce(&Value) -> T) -> Option<T> {
    step(v, first, |next| match rest {
        [only] => step(next, only, f),
        [second, more @ ..] => read_more(next, second, more, f),
        [] => Some(f(next)),
    })?
}

/// One part applied to a value in place, the result passed to `k`: `None` when the part needs
/// the general path. (The renderer's general path uses it too, for the parts it can take.)
#[inline]
pub fn step<T>(v: &Value, part: &Part, k: impl FnOnce(&Value) -> T) -> Option<T> {
    // A LinkedHashMap's only getter property is `class`; anything else is `get(name)`. (The
    // most common part of all, tested first.)
    if let (Part::Identifier { known, key, slot, .. }, Value::Map(m)) = (part, v) {
        if *known != Known::Class {
            return Some(k(m.borrow().get_hinted(key, slot).unwrap_or(&NULL)));
        }
    }
    Some(match (part, v) {
        (_, Value::Null) => k(&NULL),
        // `get('name')` with a constant key is the map's `get(Object)`, its only `get`.
        (Part::Method { known: Known::Get, constant_key: Some(key), slot, .. }, Value::Map(m)) => {
            k(m.borrow().get_hinted(key, slot).unwrap_or(&NULL))
        }
        // `get(i)` within bounds is ArrayList's `get(int)` (out of bounds it throws: general path).
        (Part::Method { known: Known::Get, constant_key: Some(Value::Int(i)), .. }, Value::List(l)) => {
            k(l.items().get(usize::try_from(*i).ok()?)?)
        }
        // `size()` of a list or map (their only `size`).
        (Part::Method { known: Known::Size, args, .. }, Value::List(_) | Value::Map(_))
            if args.is_empty() =>
        {
            let size = match v {
                Value::List(l) => l.len(),
                Value::Map(m) => m.borrow().len(),
                _ => 0,
            };
            k(&Value::Int(size as i32))
        }
        // `isEmpty()` of a list, map or string (their only `isEmpty`).
        (
            Part::Method { known: Known::IsEmpty, args, .. },
            Value::List(_) | Value::Map(_) | Value::Str(_),
        ) if args.is_empty() => {
            let empty = match v {
                Value::List(l) => l.is_empty(),
                Value::Map(m) => m.borrow().is_empty(),
                Value::Str(s) => s.is_empty(),
                _ => false,
            };
            k(&Value::Bool(empty))
        }
        // `equals` of a string or an int with a constant of its own class (String.equals and
        // Integer.equals; other pairs take the general path).
        (
            Part::Method { known: Known::Equals, constant_key: Some(key), .. },
            Value::Str(_) | Value::Int(_),
        ) => k(&Value::Bool(match (v, key) {
            (Value::Str(s), Value::Str(c)) => s == c,
            (Value::Int(i), Value::Int(c)) => i == c,
            _ => return None,
        })),
        // The loop counters: ForeachScope's getters.
        (Part::Identifier { known, .. }, Value::Scope(s)) => {
            let counter = match known {
                Known::Index => Value::Int(s.index.get()),
                Known::Count => Value::Int(s.index.get() + 1),
                Known::HasNext => Value::Bool(s.has_next.get()),
                Known::First => Value::Bool(s.index.get() < 1),
                Known::Last => Value::Bool(!s.has_next.get()),
                _ => return None,
            };
            k(&counter)
        }
        _ => return None,
    })
}

impl Frame {
    pub fn base(vars: Vars) -> Ctx {
        Rc::new(Frame::Base(RefCell::new(vars)))
    }

    /// A macro call's frame over `inner`, its parameters bound by `bind`. A spare frame (a
    /// finished call's, that nothing holds any more) is reused in place: templates call macros in
    /// loops.
    pub fn macro_call<E>(
        spare: Option<Ctx>,
        inner: &Ctx,
        local_scope: bool,
        bind: impl FnOnce(&mut Locals, &mut Arguments) -> Result<(), E>,
    ) -> Result<Ctx, E> {
        if let Some(mut spare) = spare {
            if let Some(Frame::Macro { inner: i, locals, arguments, local_scope: l }) =
                Rc::get_mut(&mut spare)
            {
                *i = inner.clone();
                *l = local_scope;
                bind(locals.get_mut(), arguments.get_mut())?;
                return Ok(spare);
            }
        }
        let (mut locals, mut arguments) = (Locals::default(), Arguments::new());
        bind(&mut locals, &mut arguments)?;
        Ok(Rc::new(Frame::Macro {
            inner: inner.clone(),
            locals: RefCell::new(locals),
            arguments: RefCell::new(arguments),
            local_scope,
        }))
    }

    /// The frame of a finished macro call, its variables dropped, if nothing else holds it (a
    /// `#define` in the macro keeps its frame).
    pub fn spare(mut frame: Ctx) -> Option<Ctx> {
        if let Frame::Macro { locals, arguments, .. } = Rc::get_mut(&mut frame)? {
            locals.get_mut().0.clear();
            arguments.get_mut().clear();
        }
        Some(frame)
    }

    /// Drops the frame's own variables (a cycle through a block that captured it is garbage).
    pub fn clear(&self) {
        match self {
            Frame::Base(vars) => *vars.borrow_mut() = Vars::default(),
            Frame::Macro { locals, arguments, .. } => {
                *locals.borrow_mut() = Locals::default();
                arguments.borrow_mut().clear();
            }
            Frame::Evaluate { locals: Some(locals), .. } => *locals.borrow_mut() = Vars::default(),
            Frame::NullHolder { .. } | Frame::Evaluate { .. } => {}
        }
    }

    /// Reads a variable (Velocity's `context.get`). Null values fall through to outer frames as
    /// they do in Velocity's maps.
    #[inline]
    pub fn get(self: &Rc<Self>, mut key: Sym) -> Found {
        let mut frame = self;
        loop {
            match &**frame {
                Frame::Base(vars) => return Found::Value(vars.borrow().get(key).clone()),
                Frame::Macro { inner, locals, arguments, .. } => {
                    if let Some(v) = locals.borrow().get(&key) {
                        if !v.is_null() {
                            return Found::Value(v.clone());
                        }
                    }
                    match proxy_of(&arguments.borrow(), key) {
                        Some(Proxy { alias: Some(alias), .. }) => {
                            (frame, key) = (inner, *alias);
                            continue;
                        }
                        Some(p) => return Found::Proxy(p.clone(), inner.clone()),
                        None => {}
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
                    if let Some(v) = locals.as_ref().map(|l| l.borrow().get(key).clone()) {
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
    /// local, passes it on. (A loop, not recursion, so that the common case inlines.)
    #[inline(always)]
    pub fn put(&self, key: Sym, value: Value) {
        let mut frame = self;
        loop {
            match frame {
                Frame::Base(vars) => return vars.borrow_mut().insert(key, value),
                Frame::Macro { inner, locals, local_scope, .. } => {
                    if *local_scope {
                        return locals.borrow_mut().insert(key, value);
                    }
                    locals.borrow_mut().insert(key, value.clone());
                    frame = inner;
                }
                Frame::NullHolder { inner, key: k, active } => {
                    if *k == key && value.is_null() {
                        active.set(true);
                    }
                    frame = inner;
                }
                Frame::Evaluate { inner, locals } => match locals {
                    Some(l) => return l.borrow_mut().insert(key, value),
                    None => frame = inner,
                },
            }
        }
    }

    /// Removes a variable (Velocity's `context.remove`); a macro frame also forgets an argument
    /// of that name.
    #[inline(always)]
    pub fn remove(&self, key: Sym) {
        let mut frame = self;
        loop {
            match frame {
                Frame::Base(vars) => return vars.borrow_mut().remove(key),
                Frame::Macro { inner, locals, arguments, local_scope } => {
                    locals.borrow_mut().remove(&key);
                    for argument in arguments.borrow_mut().iter_mut().filter(|a| a.key == key) {
                        argument.proxy = None;
                    }
                    if *local_scope {
                        return;
                    }
                    frame = inner;
                }
                Frame::NullHolder { inner, key: k, active } => {
                    if *k == key {
                        active.set(false);
                    }
                    frame = inner;
                }
                Frame::Evaluate { inner, locals } => match locals {
                    Some(l) => return l.borrow_mut().remove(key),
                    None => frame = inner,
                },
            }
        }
    }

    /// The caller's text of the macro argument `key` (`context.get(".literal.$key")`).
    pub fn argument_literal(self: &Rc<Self>, key: Sym) -> Option<Rc<str>> {
        let mut frame = self;
        loop {
            match &**frame {
                Frame::Base(_) => return None,
                Frame::Macro { inner, arguments, .. } => {
                    if let Some(a) = arguments.borrow().iter().find(|a| a.key == key) {
                        return Some(a.literal.clone());
                    }
                    frame = inner;
                }
                Frame::NullHolder { inner, .. } | Frame::Evaluate { inner, .. } => frame = inner,
            }
        }
    }
}
