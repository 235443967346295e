//! Renders compiled templates as Velocity 1.7's nodes render themselves: each node kind's
//! `render`, `value` and `evaluate` follow the corresponding AST class, including the quirks
//! output depends on (what a null reference prints, which nodes are "false" without being
//! evaluated, how `#break` and `#stop` travel).

use crate::compile::{
    BinOp, Call, Kind, MacroDecl, MethodCache, NodeId, Part, RefKind, Reference, Sym, Template,
};
use crate::context::{Ctx, Found, Frame, Proxy, Vars};
use crate::engine::{Engine, Loader};
use crate::error::{Error, ErrorKind, Limit, Stop, Thrown, Unwind};
use crate::iter::Loop;
use crate::math::{self, Op};
use crate::methods::{self, Fault, Getter, Setter};
use crate::value::{JClass, JMap, Printer, Scope, Value};
use rustc_hash::FxHashMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A `#define` block or a block macro's body, as a value: renders itself in the context it was
/// made in (or, printed as a reference, in the current one), at most `max_depth` levels deep.
pub struct BlockRef {
    pub template: Rc<Template>,
    pub body: NodeId,
    pub ctx: Ctx,
    depth: Cell<u32>,
    max_depth: u32,
}

/// A macro available to calls: the template that defined it and which of its macros.
pub struct MacroDef {
    pub template: Rc<Template>,
    pub index: usize,
}

impl MacroDef {
    fn decl(&self) -> &MacroDecl {
        &self.template.macros[self.index]
    }
}

pub type Registry = FxHashMap<Rc<str>, Rc<MacroDef>>;

/// Registers a template's macros: the first definition of a name wins, except in the global
/// library, where later ones replace earlier ones (Velocity's permissions).
pub fn register_macros(registry: &mut Registry, template: &Rc<Template>, replace: bool) {
    for (index, decl) in template.macros.iter().enumerate() {
        if replace || !registry.contains_key(&decl.name) {
            registry.insert(decl.name.clone(), Rc::new(MacroDef { template: template.clone(), index }));
        }
    }
}

type R<T> = Result<T, Thrown>;

/// Well-known variable names (interned once per engine).
#[derive(Clone, Copy)]
pub struct Names {
    pub foreach: Sym,
    pub velocity_count: Sym,
    pub velocity_has_next: Sym,
    pub body_content: Sym,
}

impl Names {
    pub fn new(i: &mut crate::compile::Interner) -> Self {
        Names {
            foreach: i.intern("foreach"),
            velocity_count: i.intern("velocityCount"),
            velocity_has_next: i.intern("velocityHasNext"),
            body_content: i.intern("bodyContent"),
        }
    }
}

/// One render: the output, the counters the limits watch, the macros known, and the stacks
/// Velocity keeps (template names for `#parse` depth, macro names for recursion depth).
pub struct Renderer<'e> {
    engine: &'e Engine,
    config: crate::engine::Config,
    loader: &'e dyn Loader,
    out: String,
    steps: u64,
    /// The step count at which [`Renderer::pass_checkpoint`] runs next.
    checkpoint: u64,
    iterations: u64,
    /// Shared with the prepared template until a `#parse` or `#evaluate` defines more.
    macros: Rc<Registry>,
    templates: smallvec::SmallVec<[Rc<str>; 4]>,
    macro_stack: usize,
    evaluate_depth: usize,
    /// The stack address where the render began, for [`Renderer::check_stack`].
    stack_base: usize,
    names: Names,
    /// Whether `#foreach` keeps `$velocityCount` and `$velocityHasNext` (see [`reads_loop_counters`]).
    loop_counters: bool,
    /// Frames of finished macro calls, for the next calls to reuse.
    spare_frames: Vec<Ctx>,
    /// The `$foreach` scope of a finished loop that nothing holds, for the next loop to reuse.
    spare_scope: Option<Rc<Scope>>,
    /// The macro the last call found, by the call's own name string: calls in a loop find it
    /// without a lookup. Forgotten whenever `macros` changes.
    last_macro: Option<(Rc<str>, Rc<MacroDef>)>,
    /// Whether this render has made a block value (`#define`, a block macro's body): until it
    /// has, no value can print as null, and the truth of a collection needs no walk through it.
    made_blocks: bool,
    /// The cycles this render links, broken when the renderer is dropped: the last field, so that
    /// nothing else of the render (its spare frames point to its context) holds them then.
    _cycles: crate::cycles::Tracking,
}

/// Steps between two checkpoints (the interrupt hook, the memory held): well under a
/// millisecond of rendering.
const CHECK_EVERY: u64 = 1024;

/// Spare macro frames kept: as many as calls nest in common templates.
const MAX_SPARE_FRAMES: usize = 8;

/// Whether a template or any macro it can call may read the loop counters.
pub fn reads_loop_counters(template: &Template, macros: &Registry) -> bool {
    template.reads_loop_counters || macros.values().any(|m| m.template.reads_loop_counters)
}

/// Deeper `#evaluate` nesting than this is refused (Velocity would overflow its stack).
const MAX_EVALUATE_DEPTH: usize = 64;

/// Stack a render may use: parse nesting is bounded, but macros, blocks and `#evaluate`
/// multiply it. (A release build needs a few hundred bytes per level of nesting.)
pub const MAX_STACK: usize = 1 << 20;

/// An address on the current stack (as PostgreSQL's `check_stack_depth` measures).
#[inline(always)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

impl<'e> Renderer<'e> {
    pub fn new(
        engine: &'e Engine,
        loader: &'e dyn Loader,
        macros: Rc<Registry>,
        loop_counters: bool,
    ) -> Self {
        let names = engine.names();
        Renderer {
            engine,
            config: engine.config().clone(),
            loader,
            out: String::new(),
            steps: 0,
            checkpoint: CHECK_EVERY.min(engine.config().max_steps),
            iterations: 0,
            macros,
            templates: smallvec::SmallVec::new(),
            macro_stack: 0,
            evaluate_depth: 0,
            stack_base: stack_address(),
            names,
            loop_counters,
            spare_frames: Vec::new(),
            spare_scope: None,
            made_blocks: false,
            last_macro: None,
            _cycles: crate::cycles::track(),
        }
    }

    /// Renders a template with the given variables (RuntimeInstance.render); `size_hint` is the
    /// output's expected length.
    pub fn render_template(
        mut self,
        template: &Rc<Template>,
        vars: Vars,
        size_hint: usize,
    ) -> Result<String, Error> {
        let _budget = self.engine.budget();
        // The buffer never outgrows the output limit (see `grow_output`).
        let size_hint = size_hint.min(self.config.max_output);
        crate::budget::reserve(size_hint)?;
        self.out.reserve_exact(size_hint);
        let ctx = Frame::base(vars);
        self.templates.push(template.name.clone());
        match self.render(template, template.root, &ctx).map_err(Thrown::into_unwind) {
            Ok(()) | Err(Unwind::Stop(Stop::Top | Stop::Nearest)) => Ok(self.out),
            Err(Unwind::Stop(Stop::Target(_))) => Err(Error::new(
                ErrorKind::Runtime,
                "#break of a loop that is not running (StopCommand escaped the template)",
            )),
            Err(Unwind::Error(e)) => Err(e),
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------

    fn config(&self) -> &crate::engine::Config {
        &self.config
    }

    #[cold]
    #[inline(never)]
    fn error_at(&self, t: &Template, line: u32, column: u32, kind: ErrorKind, message: String) -> Thrown {
        Error {
            kind,
            message,
            template: t.name.to_string(),
            line: line as usize,
            column: column as usize,
            source_line: t.source_line(line),
        }
        .into()
    }

    #[cold]
    #[inline(never)]
    fn error(&self, t: &Template, id: NodeId, kind: ErrorKind, message: String) -> Thrown {
        let n = t.node(id);
        self.error_at(t, n.line, n.column, kind, message)
    }

    #[cold]
    #[inline(never)]
    fn limit(&self, limit: Limit, message: String) -> Thrown {
        Error::new(
            ErrorKind::Limit(limit),
            format!("{message} ({} = {})", limit.name(), self.limit_value(limit)),
        )
        .into()
    }

    fn limit_value(&self, limit: Limit) -> u64 {
        let c = self.config();
        match limit {
            Limit::OutputSize => c.max_output as u64,
            Limit::LoopIterations => c.max_loop_iterations,
            Limit::MacroDepth => c.max_macro_depth as u64,
            Limit::Steps => c.max_steps,
            Limit::ParseDepth => c.max_parse_depth as u64,
            Limit::Memory => c.max_memory as u64,
        }
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > self.checkpoint {
            return self.pass_checkpoint();
        }
        Ok(())
    }

    /// Every [`CHECK_EVERY`] steps: the step limit, the host's interrupt hook, and the memory
    /// the render holds (what grew in small allocations that were not checked one by one).
    #[cold]
    #[inline(never)]
    fn pass_checkpoint(&mut self) -> R<()> {
        if self.steps > self.config.max_steps {
            return Err(self.limit(Limit::Steps, "the template took too many steps".into()));
        }
        crate::budget::interrupt();
        crate::budget::reserve(0)?;
        self.checkpoint = (self.steps + CHECK_EVERY).min(self.config.max_steps);
        Ok(())
    }

    /// Writes a string, number or boolean as Java prints it.
    fn write_plain(&mut self, v: &Value) -> R<()> {
        let len = plain_length(v);
        if len > self.out.capacity() - self.out.len() {
            self.grow_output(len)?;
        }
        write_plain(&mut self.out, v);
        Ok(())
    }

    /// Makes room for `extra` more bytes of output, refused past the output limit or the memory
    /// budget. The buffer doubles up to the output limit, never past it: as every write checks
    /// that it fits the buffer's capacity, no write can pass the limit.
    #[cold]
    #[inline(never)]
    fn grow_output(&mut self, extra: usize) -> R<()> {
        let needed = self.out.len().saturating_add(extra);
        if needed > self.config.max_output {
            return Err(self.limit(Limit::OutputSize, "the output is too large".into()));
        }
        let capacity = needed.max(self.out.capacity() * 2).min(self.config.max_output);
        crate::budget::reserve(capacity)?;
        self.out.reserve_exact(capacity - self.out.len());
        Ok(())
    }

    #[inline]
    fn write(&mut self, s: &str) -> R<()> {
        if s.len() > self.out.capacity() - self.out.len() {
            self.grow_output(s.len())?;
        }
        self.out.push_str(s);
        Ok(())
    }

    /// Renders into a separate buffer (string interpolation, `toString()` of blocks).
    fn capture<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<(T, String)> {
        let saved = std::mem::take(&mut self.out);
        let result = f(self);
        let captured = std::mem::replace(&mut self.out, saved);
        result.map(|v| (v, captured))
    }

    /// A method's failure as Velocity reports it.
    #[cold]
    #[inline(never)]
    fn method_fault(
        &self,
        t: &Template,
        line: u32,
        column: u32,
        what: &str,
        recv: &Value,
        f: Fault,
    ) -> Thrown {
        match f {
            Fault::Thrown(thrown) => thrown,
            Fault::Java(e) | Fault::Reflection(e) => self.error_at(
                t,
                line,
                column,
                ErrorKind::MethodInvocation,
                format!("Invocation of method '{what}' in {} threw exception {e}", class_text(recv)),
            ),
        }
    }

    fn text_of(&mut self, v: &Value) -> R<Option<String>> {
        v.to_java_string(self)
    }

    // ---- variables --------------------------------------------------------------------------

    #[inline]
    fn lookup(&mut self, ctx: &Ctx, key: Sym) -> R<Value> {
        match ctx.get(key) {
            Found::Value(v) => Ok(v),
            Found::Proxy(p, inner) => self.proxy_value(&p, &inner),
        }
    }

    /// ProxyVMContext.get for an argument passed by name.
    fn proxy_value(&mut self, p: &Proxy, inner: &Ctx) -> R<Value> {
        let t = p.template.clone();
        match &t.node(p.node).kind {
            Kind::Reference(r) => self.execute(&t, r, inner),
            _ => self.value(&t, p.node, inner),
        }
    }

    // ---- references -------------------------------------------------------------------------

    /// ASTReference.execute: the root's value, then each property, method or index in turn;
    /// null as soon as one is null.
    fn execute(&mut self, t: &Rc<Template>, r: &Reference, ctx: &Ctx) -> R<Value> {
        if matches!(r.kind, RefKind::Runt) {
            return Ok(Value::Null);
        }
        // The leading parts that can be are read in place; only the rest are called.
        let in_place = match r.in_place {
            0 => None,
            n => crate::context::peek(ctx, r.root, &r.parts[..n], Value::clone).map(|v| (v, n)),
        };
        let (mut result, done) = match in_place {
            Some(found) => found,
            None => (self.lookup(ctx, r.root)?, 0),
        };
        for part in &r.parts[done..] {
            if result.is_null() {
                return Ok(Value::Null);
            }
            let in_place = part.in_place().then(|| crate::context::step(&result, part, Value::clone));
            result = match in_place.flatten() {
                Some(next) => next,
                None => self.apply_part(t, part, &result, ctx)?,
            };
        }
        Ok(result)
    }

    #[inline(never)]
    fn apply_part(&mut self, t: &Rc<Template>, part: &Part, obj: &Value, ctx: &Ctx) -> R<Value> {
        self.step()?;
        match part {
            Part::Identifier { name, key, line, column, cache, .. } => {
                let class = obj.class().unwrap_or(JClass::Class);
                let getter = match &*cache.borrow() {
                    Some((c, g)) if *c == class => Some(g.clone()),
                    _ => None,
                };
                let getter = match getter {
                    Some(g) => g,
                    None => {
                        let g = methods::find_getter(obj, name);
                        *cache.borrow_mut() = Some((class, g.clone()));
                        g
                    }
                };
                let Some(getter) = getter else { return Ok(Value::Null) };
                let result = match &getter {
                    Getter::Method(m) => m.call(self, obj, &[]),
                    Getter::MapGet(_) => Ok(map_get(obj, key)),
                    Getter::Get(m, key) => m.call(self, obj, &[Value::Str(key.clone())]),
                };
                match result {
                    Ok(v) => Ok(v),
                    Err(Fault::Reflection(_)) => Ok(Value::Null),
                    Err(f) => {
                        let what = match &getter {
                            Getter::Method(m) => m.sig.name.to_string(),
                            _ => "get".to_string(),
                        };
                        Err(self.method_fault(t, *line, *column, &what, obj, f))
                    }
                }
            }
            Part::Method { name, args, line, column, cache, .. } => {
                let mut values = smallvec::SmallVec::<[Value; 3]>::with_capacity(args.len());
                for &a in args {
                    values.push(match peek_operand(t, a, ctx, Value::clone) {
                        Some(v) => v,
                        None => self.value(t, a, ctx)?,
                    });
                }
                let method = cached_method(cache, obj, name, &values);
                let Some(method) = method else { return Ok(Value::Null) };
                match method.invoke(self, obj, &values) {
                    Ok(Value::Null) if method.is_void() => Ok(Value::str("")),
                    Ok(v) => Ok(v),
                    Err(f) => Err(self.method_fault(t, *line, *column, name, obj, f)),
                }
            }
            Part::Index { arg, line, column } => {
                let argument = self.value(t, *arg, ctx)?;
                let argument = self.adjust_negative_index(t, *line, *column, argument, obj)?;
                let Some(method) = methods::find_method(obj, "get", std::slice::from_ref(&argument)) else {
                    return Ok(Value::Null);
                };
                match method.invoke(self, obj, std::slice::from_ref(&argument)) {
                    Ok(Value::Null) if method.is_void() => Ok(Value::str("")),
                    Ok(v) => Ok(v),
                    Err(Fault::Thrown(thrown)) => Err(thrown),
                    Err(Fault::Java(e) | Fault::Reflection(e)) => Err(self.error_at(
                        t,
                        *line,
                        *column,
                        ErrorKind::Runtime,
                        format!(
                            "Error invoking method 'get({})' in {}: {e}",
                            argument.class().map_or("null", JClass::name),
                            obj.class().map_or("null", JClass::name)
                        ),
                    )),
                }
            }
        }
    }

    /// ASTIndex.adjMinusIndexArg: a negative Integer index counts from the end (`size()`).
    fn adjust_negative_index(
        &mut self,
        t: &Template,
        line: u32,
        column: u32,
        argument: Value,
        obj: &Value,
    ) -> R<Value> {
        let Value::Int(i) = argument else { return Ok(argument) };
        if i >= 0 {
            return Ok(argument);
        }
        let class = obj.class().map_or("null", JClass::name);
        let Some(size) = methods::find_method(obj, "size", &[]) else {
            return Err(self.error_at(
                t,
                line,
                column,
                ErrorKind::Runtime,
                format!(
                    "A 'size()' method required for negative value {i} does not exist for class '{class}'"
                ),
            ));
        };
        match size.invoke(self, obj, &[]) {
            Ok(Value::Int(n)) => Ok(Value::Int(n.wrapping_add(i))),
            Ok(_) | Err(_) => Err(self.error_at(
                t,
                line,
                column,
                ErrorKind::Runtime,
                format!("Error trying to call the 'size()' method on '{class}'"),
            )),
        }
    }

    /// The text a null reference prints: a macro argument's caller text, else its own.
    fn null_string(&self, r: &Reference, ctx: &Ctx) -> Rc<str> {
        r.literal_key.and_then(|k| ctx.argument_literal(k)).unwrap_or_else(|| r.null_string.clone())
    }

    /// ASTReference.render.
    #[inline(never)]
    fn render_reference(&mut self, t: &Rc<Template>, r: &Reference, ctx: &Ctx) -> R<()> {
        if r.kind == RefKind::Runt {
            return self.write(&r.root_name);
        }
        if !r.escaped {
            // Strings and numbers read in place go straight to the output.
            let out = &mut self.out;
            let written = crate::context::peek_reference(ctx, r, |v| {
                let len = match v {
                    Value::Str(s) => s.len(),
                    Value::Int(_) | Value::Long(_) | Value::Bool(_) | Value::Double(_) => PLAIN_NUMBER,
                    _ => return false,
                };
                // What does not fit the buffer takes the general path, which grows it.
                if len > out.capacity() - out.len() {
                    return false;
                }
                if !r.esc_prefix.is_empty() || !r.more_prefix.is_empty() {
                    if len + r.esc_prefix.len() + r.more_prefix.len() > out.capacity() - out.len() {
                        return false;
                    }
                    out.push_str(&r.esc_prefix);
                    out.push_str(&r.more_prefix);
                }
                write_plain(out, v);
                true
            });
            if written == Some(true) {
                return Ok(());
            }
        }
        let value = self.execute(t, r, ctx)?;
        if r.escaped {
            let null_string = self.null_string(r, ctx);
            self.write(&r.esc_prefix)?;
            if value.is_null() {
                self.write("\\")?;
            }
            return self.write(&null_string);
        }
        if let Value::Block(b) = &value {
            if self.render_block(b, ctx)? {
                return Ok(());
            }
        }
        // Strings and numbers go straight to the output; other values print first (a block's
        // `toString()` may be null).
        let text = match &value {
            Value::Null => None,
            Value::Str(_) | Value::Int(_) | Value::Long(_) | Value::Bool(_) | Value::Double(_) => {
                self.write(&r.esc_prefix)?;
                self.write(&r.more_prefix)?;
                return self.write_plain(&value);
            }
            other => self.text_of(other)?,
        };
        match text {
            Some(s) => {
                self.write(&r.esc_prefix)?;
                self.write(&r.more_prefix)?;
                self.write(&s)
            }
            None => {
                let null_string = self.null_string(r, ctx);
                self.write(&r.esc_prefix)?;
                self.write(&r.esc_prefix)?;
                self.write(&r.more_prefix)?;
                self.write(&null_string)
            }
        }
    }

    /// Block.Reference.render: the block in `ctx`, unless nested deeper than its limit.
    fn render_block(&mut self, b: &Rc<BlockRef>, ctx: &Ctx) -> R<bool> {
        self.check_stack()?;
        self.step()?;
        b.depth.set(b.depth.get() + 1);
        if b.depth.get() > b.max_depth {
            b.depth.set(b.depth.get() - 1);
            return Ok(false);
        }
        match self.render(&b.template, b.body, ctx) {
            Ok(()) => {}
            Err(t) if t.as_stop() == Some(Stop::Nearest) => {}
            Err(other) => return Err(other),
        }
        b.depth.set(b.depth.get() - 1);
        Ok(true)
    }

    /// ASTReference.setValue: `#set($a.b = v)` and `#set($a[i] = v)`.
    #[inline(never)]
    fn set_value(&mut self, t: &Rc<Template>, at: NodeId, r: &Reference, value: Value, ctx: &Ctx) -> R<()> {
        let mut result = self.lookup(ctx, r.root)?;
        let (last, init) = r.parts.split_last().expect("set_value is only called with parts");
        for part in init {
            if result.is_null() {
                return Ok(());
            }
            result = self.apply_part(t, part, &result, ctx)?;
        }
        if result.is_null() {
            return Ok(());
        }
        match last {
            Part::Index { arg, line, column } => {
                let argument = self.value(t, *arg, ctx)?;
                let argument = self.adjust_negative_index(t, *line, *column, argument, &result)?;
                let params = [argument, value];
                let method = methods::find_method(&result, "set", &params)
                    .or_else(|| methods::find_method(&result, "put", &params));
                let Some(method) = method else { return Ok(()) };
                method
                    .invoke(self, &result, &params)
                    .map(|_| ())
                    .map_err(|f| self.method_fault(t, *line, *column, method.sig.name, &result, f))
            }
            _ => {
                let n = t.node(at);
                let Some(setter) = methods::find_setter(&result, &r.identifier, &value) else {
                    return Ok(());
                };
                let outcome = match &setter {
                    Setter::Method(m) => m.call(self, &result, std::slice::from_ref(&value)),
                    Setter::MapPut(key) => {
                        map_put(&result, Value::Str(key.clone()), value)?;
                        Ok(Value::Null)
                    }
                    Setter::Put(m, key) => m.call(self, &result, &[Value::Str(key.clone()), value]),
                };
                outcome
                    .map(|_| ())
                    .map_err(|f| self.method_fault(t, n.line, n.column, &r.identifier, &result, f))
            }
        }
    }

    // ---- the three node operations ----------------------------------------------------------

    /// Refuses to go deeper when rendering has used [`MAX_STACK`] bytes of stack: checked
    /// where rendering re-enters itself (macros, blocks, `#evaluate`, `#parse`, string
    /// interpolation); a template's own nesting is bounded by the parser.
    fn check_stack(&self) -> R<()> {
        if self.stack_base.saturating_sub(stack_address()) > MAX_STACK {
            return Err(Error::new(
                ErrorKind::Runtime,
                "the template nests too deeply while rendering (macros, blocks, #evaluate, #parse)",
            )
            .into());
        }
        Ok(())
    }

    /// `render()` of a node.
    pub(crate) fn render(&mut self, t: &Rc<Template>, id: NodeId, ctx: &Ctx) -> R<()> {
        match &t.node(id).kind {
            Kind::Text(s) => self.write(s),
            Kind::Block(children) => {
                self.steps += children.len() as u64;
                if self.steps > self.checkpoint {
                    self.pass_checkpoint()?;
                }
                // Text, references, `#if`, `#set` and macro calls, most of any block, without another call.
                for &c in children {
                    match &t.node(c).kind {
                        Kind::Text(s) => self.write(s)?,
                        Kind::Reference(r) => self.render_reference(t, r, ctx)?,
                        Kind::If(branches) => self.render_if(t, branches, ctx)?,
                        Kind::Set { target, value, name } => {
                            self.render_set(t, *target, *value, *name, ctx)?
                        }
                        Kind::Call(call) => self.render_call(t, c, call, ctx)?,
                        _ => self.render(t, c, ctx)?,
                    }
                }
                Ok(())
            }
            Kind::Reference(r) => self.render_reference(t, r, ctx),
            Kind::Set { target, value, name } => self.render_set(t, *target, *value, *name, ctx),
            Kind::If(branches) => self.render_if(t, branches, ctx),
            Kind::Foreach { element, iterable, body } => {
                self.render_foreach(t, id, *element, *iterable, *body, ctx)
            }
            Kind::Call(call) => self.render_call(t, id, call, ctx),
            _ => self.render_rare(t, id, ctx),
        }
    }

    /// `#if`/`#elseif`/`#else`: the first branch whose condition holds.
    fn render_if(&mut self, t: &Rc<Template>, branches: &[(Option<NodeId>, NodeId)], ctx: &Ctx) -> R<()> {
        for (condition, block) in branches {
            let taken = match condition {
                Some(c) => self.evaluate(t, *c, ctx)?,
                None => true,
            };
            if taken {
                return self.render(t, *block, ctx);
            }
        }
        Ok(())
    }

    /// `render()` of the directives templates use seldom, kept out of [`Renderer::render`] so
    /// that the common nodes' path stays short.
    #[inline(never)]
    fn render_rare(&mut self, t: &Rc<Template>, id: NodeId, ctx: &Ctx) -> R<()> {
        match &t.node(id).kind {
            Kind::Define { key, body } => {
                let block = BlockRef {
                    template: t.clone(),
                    body: *body,
                    ctx: ctx.clone(),
                    depth: Cell::new(0),
                    max_depth: self.config().max_define_depth,
                };
                self.made_blocks = true;
                crate::cycles::suspect(crate::cycles::Node::Frame(ctx.clone()))?;
                ctx.put(*key, Value::Block(Rc::new(block)));
                Ok(())
            }
            Kind::Evaluate(arg) => self.render_evaluate(t, id, *arg, ctx),
            Kind::Parse(arg) => self.render_parse(t, id, *arg, ctx),
            Kind::Include(args) => self.render_include(t, id, args, ctx),
            Kind::Break(arg) => match arg {
                None => Err(Thrown::stop(Stop::Nearest)),
                Some(a) => match self.value(t, *a, ctx)? {
                    Value::Scope(s) => Err(Thrown::stop(Stop::Target(s.owner))),
                    _ => {
                        let literal = t.node(*a).literal.clone().unwrap_or_default();
                        Err(self.error(
                            t,
                            id,
                            ErrorKind::Runtime,
                            format!("{literal} is not a valid org.apache.velocity.runtime.directive.Scope instance"),
                        ))
                    }
                },
            },
            Kind::Stop(arg) => {
                if let Some(a) = arg {
                    self.value(t, *a, ctx)?;
                }
                Err(Thrown::stop(Stop::Top))
            }
            Kind::Nothing => Ok(()),
            Kind::NotADirective(text) => self.write(text),
            Kind::Fail(message) => Err(self.error(t, id, ErrorKind::Runtime, message.to_string())),
            // Expressions never stand alone as statements.
            _ => Ok(()),
        }
    }

    /// `value()` of a node.
    pub(crate) fn value(&mut self, t: &Rc<Template>, id: NodeId, ctx: &Ctx) -> R<Value> {
        Ok(match &t.node(id).kind {
            Kind::Reference(r) => {
                if r.kind == RefKind::Uncomputable {
                    Value::Null
                } else if let Some(v) = crate::context::peek_reference(ctx, r, Value::clone) {
                    v
                } else {
                    self.execute(t, r, ctx)?
                }
            }
            Kind::Constant(v) => v.clone(),
            Kind::Binary(
                op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod),
                left,
                right,
            ) => match peek_pair(t, *left, *right, ctx, |a, b| number_arithmetic(math_op(*op), a, b)) {
                // Two numbers read in place: no copies of the operands.
                Some(Some(Ok(v))) => v,
                _ => self.arithmetic(t, id, *op, *left, *right, ctx)?,
            },
            _ => self.value_rare(t, id, ctx)?,
        })
    }

    /// `value()` of the expressions other than references, constants and arithmetic, kept out of
    /// [`Renderer::value`] so that the common path stays short.
    #[inline(never)]
    fn value_rare(&mut self, t: &Rc<Template>, id: NodeId, ctx: &Ctx) -> R<Value> {
        Ok(match &t.node(id).kind {
            Kind::Str { template, image, strip_last } => match template {
                None => Value::Str(image.clone()),
                Some(root) => {
                    self.check_stack()?;
                    let ((), mut text) = self.capture(|r| r.render(t, *root, ctx))?;
                    if *strip_last {
                        text.pop();
                    }
                    crate::budget::reserve(text.len())?;
                    Value::string(text)
                }
            },
            Kind::Word => Value::Null,
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::Range(from, to) => self.range(t, id, *from, *to, ctx)?,
            Kind::List(items) => {
                crate::budget::reserve_for::<Value>(items.len())?;
                let mut values = Vec::with_capacity(items.len());
                for &i in items {
                    values.push(self.value(t, i, ctx)?);
                }
                Value::list(values)
            }
            Kind::Map(items) => {
                let mut map = JMap::default();
                map.grow(items.len() / 2)?;
                for pair in items.chunks(2) {
                    let key = self.value(t, pair[0], ctx)?;
                    let value = match pair.get(1) {
                        Some(&v) => self.value(t, v, ctx)?,
                        None => Value::Null,
                    };
                    map.put(key, value);
                }
                Value::map(map)
            }
            Kind::Binary(..) => Value::Bool(self.evaluate(t, id, ctx)?),
            Kind::Not(inner) => Value::Bool(!self.evaluate(t, *inner, ctx)?),
            _ => Value::Null,
        })
    }

    /// `evaluate()` of a node: its truth. Nodes that are not conditions are false without
    /// being evaluated.
    pub(crate) fn evaluate(&mut self, t: &Rc<Template>, id: NodeId, ctx: &Ctx) -> R<bool> {
        Ok(match &t.node(id).kind {
            Kind::Reference(r) => {
                let blocks = self.made_blocks;
                let known = crate::context::peek_reference(ctx, r, |v| match v {
                    Value::Null => Some(false),
                    Value::Bool(b) => Some(*b),
                    Value::Str(_) | Value::Int(_) | Value::Long(_) | Value::Double(_) => Some(true),
                    Value::List(_) | Value::Map(_) if !blocks || !may_print_null(v, 0) => Some(true),
                    _ => None,
                });
                if let Some(Some(truth)) = known {
                    return Ok(truth);
                }
                let value = self.execute(t, r, ctx)?;
                match value {
                    Value::Null => false,
                    Value::Bool(b) => b,
                    // `toString() != null`: only a block (or a collection holding one) can print
                    // as null or fail, so only those are printed to find out.
                    other if self.made_blocks && may_print_null(&other, 0) => self.text_of(&other)?.is_some(),
                    _ => true,
                }
            }
            Kind::True => true,
            Kind::Not(inner) => !self.evaluate(t, *inner, ctx)?,
            Kind::Binary(BinOp::And, l, r) => self.evaluate(t, *l, ctx)? && self.evaluate(t, *r, ctx)?,
            Kind::Binary(BinOp::Or, l, r) => self.evaluate(t, *l, ctx)? || self.evaluate(t, *r, ctx)?,
            Kind::Binary(op @ (BinOp::Eq | BinOp::Ne), l, r) => {
                let equal = match peek_pair(t, *l, *r, ctx, plain_equal) {
                    Some(Some(equal)) => equal,
                    _ => {
                        let (a, b) = (self.value(t, *l, ctx)?, self.value(t, *r, ctx)?);
                        self.equal(t, id, &a, &b)?
                    }
                };
                if *op == BinOp::Eq {
                    equal
                } else {
                    !equal
                }
            }
            Kind::Binary(op @ (BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge), l, r) => {
                let order = match peek_pair(t, *l, *r, ctx, number_order) {
                    Some(order) => order,
                    None => number_order(&self.value(t, *l, ctx)?, &self.value(t, *r, ctx)?),
                };
                let Some(order) = order else { return Ok(false) };
                let ordering = order.map_err(|e| self.error(t, id, ErrorKind::Runtime, e.0))?;
                match op {
                    BinOp::Lt => ordering.is_lt(),
                    BinOp::Gt => ordering.is_gt(),
                    BinOp::Le => ordering.is_le(),
                    _ => ordering.is_ge(),
                }
            }
            _ => false,
        })
    }

    /// ASTEQNode: numbers by value, same classes by `equals`, anything else by `toString()`.
    #[inline(never)]
    fn equal(&mut self, t: &Template, id: NodeId, a: &Value, b: &Value) -> R<bool> {
        if a.is_number() && b.is_number() {
            return math::compare(a, b)
                .map(|o| o.is_eq())
                .map_err(|e| self.error(t, id, ErrorKind::Runtime, e.0));
        }
        if !a.is_null() && !b.is_null() && same_class_family(a, b) {
            return Ok(crate::value::java_equals(a, b));
        }
        let left = if a.is_null() { None } else { self.text_of(a)? };
        let right = if b.is_null() { None } else { self.text_of(b)? };
        Ok(match (left, right) {
            (None, None) => true,
            (Some(x), Some(y)) => x == y,
            _ => false,
        })
    }

    /// ASTMathNode.value for operands that need evaluating, string concatenation and arithmetic
    /// errors ([`Renderer::value`] takes two numbers read in place itself).
    #[inline(never)]
    fn arithmetic(
        &mut self,
        t: &Rc<Template>,
        id: NodeId,
        op: BinOp,
        left: NodeId,
        right: NodeId,
        ctx: &Ctx,
    ) -> R<Value> {
        let a = self.value(t, left, ctx)?;
        let b = self.value(t, right, ctx)?;
        if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
            let text = |r: &mut Self, v: &Value, node: NodeId| -> R<Option<String>> {
                if v.is_null() {
                    Ok(Some(t.node(node).literal.as_deref().unwrap_or("").to_string()))
                } else {
                    r.text_of(v)
                }
            };
            let (x, y) = (text(self, &a, left)?, text(self, &b, right)?);
            return match (x, y) {
                (Some(x), Some(y)) => {
                    let len = x.len().saturating_add(y.len());
                    if len > self.config().max_output {
                        return Err(self.limit(Limit::OutputSize, "a string is too large".into()));
                    }
                    // The joined string, then the value's copy of it.
                    crate::budget::reserve(len.saturating_mul(2))?;
                    Ok(Value::string(x + &y))
                }
                _ => Err(self.error(
                    t,
                    id,
                    ErrorKind::Runtime,
                    "java.lang.NullPointerException in string concatenation".into(),
                )),
            };
        }
        number_arithmetic(math_op(op), &a, &b)
            .unwrap_or(Ok(Value::Null))
            .map_err(|e| self.error(t, id, ErrorKind::Runtime, e.0))
    }

    /// ASTIntegerRange: the integers from one bound to the other, either way.
    #[inline(never)]
    fn range(&mut self, t: &Rc<Template>, id: NodeId, from: NodeId, to: NodeId, ctx: &Ctx) -> R<Value> {
        let (a, b) = (self.value(t, from, ctx)?, self.value(t, to, ctx)?);
        if !a.is_number() || !b.is_number() {
            return Ok(Value::Null);
        }
        // Java int arithmetic, overflow included.
        let (l, r) = (a.to_i32(), b.to_i32());
        let count = l.wrapping_sub(r).wrapping_abs().wrapping_add(1);
        if count < 0 {
            return Err(self.error(
                t,
                id,
                ErrorKind::Runtime,
                format!("java.lang.IllegalArgumentException: Illegal Capacity: {count}"),
            ));
        }
        if count as u64 > self.config().max_loop_iterations {
            return Err(
                self.limit(Limit::LoopIterations, format!("the range [{l}..{r}] has {count} elements"))
            );
        }
        let delta = if l >= r { -1 } else { 1 };
        crate::budget::reserve_for::<Value>(count as usize)?;
        let mut items = Vec::with_capacity(count as usize);
        let mut v = l;
        for _ in 0..count {
            items.push(Value::Int(v));
            v = v.wrapping_add(delta);
        }
        Ok(Value::list(items))
    }

    // ---- directives -------------------------------------------------------------------------

    #[inline(never)]
    fn render_set(&mut self, t: &Rc<Template>, target: NodeId, value: NodeId, name: Sym, ctx: &Ctx) -> R<()> {
        let v = self.value(t, value, ctx)?;
        if v.is_null() && !self.config().set_null_allowed {
            return Ok(());
        }
        let Kind::Reference(r) = &t.node(target).kind else { return Ok(()) };
        if r.parts.is_empty() {
            if v.is_null() {
                ctx.remove(name);
            } else {
                ctx.put(name, v);
            }
            Ok(())
        } else {
            self.set_value(t, target, r, v, ctx)
        }
    }

    /// Foreach.render.
    #[inline(never)]
    fn render_foreach(
        &mut self,
        t: &Rc<Template>,
        id: NodeId,
        element: Sym,
        iterable: NodeId,
        body: NodeId,
        ctx: &Ctx,
    ) -> R<()> {
        let list = self.value(t, iterable, ctx)?;
        let Some(mut iter) = Loop::of(&list)? else { return Ok(()) };
        let names = (self.names.velocity_count, self.names.velocity_has_next, self.names.foreach);
        let saved_element = self.lookup(ctx, element)?;
        // The counters are kept only where something may read them.
        let saved_counters = match self.loop_counters {
            true => Some((self.lookup(ctx, names.0)?, self.lookup(ctx, names.1)?)),
            false => None,
        };
        let previous = self.lookup(ctx, names.2)?;
        let node = t.node(id);
        let owner = node as *const _ as usize;
        let scope = self.new_scope(Scope {
            owner,
            index: Cell::new(-1),
            has_next: Cell::new(false),
            parent: match &previous {
                Value::Scope(s) => Some(s.clone()),
                _ => None,
            },
            replaced: match &previous {
                Value::Scope(_) | Value::Null => None,
                other => Some(other.clone()),
            },
            storage: Default::default(),
            template: t.name.clone(),
            line: node.line as usize,
            column: node.column as usize,
        });
        ctx.put(names.2, Value::Scope(scope.clone()));
        let mut null_holder: Option<Ctx> = None;
        let mut counter: i32 = 1;
        let outcome = loop {
            if !iter.has_next() {
                break Ok(());
            }
            self.iterations += 1;
            self.step()?;
            if self.iterations > self.config().max_loop_iterations {
                break Err(self.limit(Limit::LoopIterations, "#foreach ran too many times".into()));
            }
            if saved_counters.is_some() {
                ctx.put(names.0, Value::Int(counter));
            }
            let next = iter.next();
            let value = match next {
                Ok(v) => v,
                Err(f) => break Err(self.method_fault(t, node.line, node.column, "next", &list, f)),
            };
            let has_next = iter.has_next();
            if saved_counters.is_some() {
                ctx.put(names.1, Value::Bool(has_next));
            }
            let null = value.is_null();
            ctx.put(element, value);
            scope.index.set(scope.index.get() + 1);
            scope.has_next.set(has_next);
            let body_ctx = if null {
                null_holder.get_or_insert_with(|| {
                    Rc::new(Frame::NullHolder { inner: ctx.clone(), key: element, active: Cell::new(true) })
                })
            } else {
                ctx
            };
            match self.render(t, body, body_ctx) {
                Ok(()) => {}
                Err(e) => match e.as_stop() {
                    Some(Stop::Nearest) => break Ok(()),
                    Some(Stop::Target(o)) if o == owner => break Ok(()),
                    Some(_) => {
                        self.clean_foreach(ctx, element, saved_element, saved_counters)?;
                        return Err(e);
                    }
                    None => return Err(e),
                },
            }
            counter = counter.wrapping_add(1);
        };
        outcome?;
        self.clean_foreach(ctx, element, saved_element, saved_counters)?;
        if Rc::strong_count(&scope) == 1 {
            self.spare_scope = Some(scope);
        }
        Ok(())
    }

    /// A scope in the spare one's allocation when there is one (loops often run inside loops).
    #[inline(always)]
    fn new_scope(&mut self, scope: Scope) -> Rc<Scope> {
        match self.spare_scope.take() {
            Some(mut spare) => match Rc::get_mut(&mut spare) {
                Some(slot) => {
                    *slot = scope;
                    spare
                }
                None => Rc::new(scope),
            },
            None => Rc::new(scope),
        }
    }

    /// Foreach.clean and postRender: the variables the loop replaced come back.
    fn clean_foreach(
        &mut self,
        ctx: &Ctx,
        element: Sym,
        saved: Value,
        counters: Option<(Value, Value)>,
    ) -> R<()> {
        let restore = |key, old: Value| match old.is_null() {
            true => ctx.remove(key),
            false => ctx.put(key, old),
        };
        restore(element, saved);
        if let Some((count, has_next)) = counters {
            restore(self.names.velocity_count, count);
            restore(self.names.velocity_has_next, has_next);
        }
        let foreach = self.names.foreach;
        if let Value::Scope(s) = self.lookup(ctx, foreach)? {
            match (&s.parent, s.replaced()) {
                (Some(parent), _) => ctx.put(foreach, Value::Scope(parent.clone())),
                (None, Value::Null) => ctx.remove(foreach),
                (None, replaced) => ctx.put(foreach, replaced),
            }
        }
        Ok(())
    }

    /// The macros, to define more (`#evaluate`, `#parse`): the last call's memo is forgotten.
    fn macros_mut(&mut self) -> &mut Registry {
        self.last_macro = None;
        Rc::make_mut(&mut self.macros)
    }

    /// RuntimeMacro.render (and BlockMacro's, with a body): a defined macro runs, an undefined
    /// one prints as written.
    #[inline(never)]
    fn render_call(&mut self, t: &Rc<Template>, id: NodeId, call: &Call, ctx: &Ctx) -> R<()> {
        self.check_stack()?;
        self.step()?;
        let def = match &self.last_macro {
            Some((name, def)) if Rc::ptr_eq(name, &call.name) => def.clone(),
            _ => {
                let Some(def) = self.macros.get(&call.name).cloned() else {
                    return self.write(&call.literal);
                };
                self.last_macro = Some((call.name.clone(), def.clone()));
                def
            }
        };
        if let Some(message) = &call.bad_arg {
            return Err(self.error(t, id, ErrorKind::Runtime, message.clone()));
        }
        if self.macro_stack >= self.config().max_macro_depth {
            return Err(
                self.limit(Limit::MacroDepth, format!("macro #{} calls itself too deeply", call.name))
            );
        }
        let decl = def.decl();
        if call.body.is_some() {
            self.made_blocks = true;
            crate::cycles::suspect(crate::cycles::Node::Frame(ctx.clone()))?;
        }
        let body_value = call.body.map(|body| {
            Value::Block(Rc::new(BlockRef {
                template: t.clone(),
                body,
                ctx: ctx.clone(),
                depth: Cell::new(0),
                max_depth: self.config().max_macro_depth as u32,
            }))
        });
        // VelocimacroProxy: the call's children (the body counts) fill the parameters in order.
        let given = call.args.len() + usize::from(call.body.is_some());
        let spare = self.spare_frames.pop();
        let local_scope = self.config().macro_local_scope;
        let frame = Frame::macro_call(spare, ctx, local_scope, |locals, arguments| -> R<()> {
            for (i, &param) in decl.params.iter().enumerate() {
                if i == given {
                    break;
                }
                let Some(&arg) = call.args.get(i) else {
                    locals.insert(param, Value::Null);
                    continue;
                };
                let node = t.node(arg);
                let by_name = matches!(
                    node.kind,
                    Kind::Reference(_) | Kind::List(_) | Kind::Map(_) | Kind::Str { .. } | Kind::Range(..)
                );
                if by_name {
                    arguments.push(crate::context::Argument {
                        key: param,
                        proxy: Some(Proxy::new(t, arg)),
                        literal: node.literal.clone().unwrap_or_default(),
                    });
                } else {
                    locals.insert(param, self.value(t, arg, ctx)?);
                }
            }
            if let Some(b) = body_value {
                locals.insert(self.names.body_content, b);
            }
            Ok(())
        })?;
        // Velocity pops the macro name only when the body finishes normally.
        self.macro_stack += 1;
        let result = self.render(&def.template, decl.body, &frame);
        if let Some(spare) = Frame::spare(frame) {
            if self.spare_frames.len() < MAX_SPARE_FRAMES {
                self.spare_frames.push(spare);
            }
        }
        match result {
            Ok(()) => {
                self.macro_stack -= 1;
                Ok(())
            }
            Err(t) if t.as_stop() == Some(Stop::Nearest) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Evaluate.render: the argument's text parsed and rendered here, in a context of its own.
    #[inline(never)]
    fn render_evaluate(&mut self, t: &Rc<Template>, id: NodeId, arg: NodeId, ctx: &Ctx) -> R<()> {
        self.check_stack()?;
        self.step()?;
        let value = self.value(t, arg, ctx)?;
        let source = if value.is_null() { String::new() } else { self.text_of(&value)?.unwrap_or_default() };
        if self.evaluate_depth >= MAX_EVALUATE_DEPTH {
            return Err(self.error(t, id, ErrorKind::Runtime, "#evaluate nested too deeply".into()));
        }
        let name = self.templates.last().cloned().unwrap_or_else(|| t.name.clone());
        let compiled = self.engine.compile_in(&name, &source, self.macros_mut()).map_err(|mut e| {
            let n = t.node(id);
            e.message =
                format!("{} (in #evaluate at {}[line {}, column {}])", e.message, t.name, n.line, n.column);
            Thrown::from(e)
        })?;
        let frame = Rc::new(Frame::Evaluate {
            inner: ctx.clone(),
            locals: self.config().evaluate_local_context.then(|| RefCell::new(Vars::default())),
        });
        self.templates.push(name);
        self.evaluate_depth += 1;
        let result = self.render(&compiled, compiled.root, &frame);
        self.evaluate_depth -= 1;
        self.templates.pop();
        match result {
            Ok(()) => Ok(()),
            Err(t) if matches!(t.as_stop(), Some(Stop::Nearest | Stop::Top)) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Parse.render: another template, by name, rendered in this context.
    #[inline(never)]
    fn render_parse(&mut self, t: &Rc<Template>, id: NodeId, arg: Option<NodeId>, ctx: &Ctx) -> R<()> {
        self.check_stack()?;
        self.step()?;
        let Some(arg) = arg else {
            return Err(self.error(t, id, ErrorKind::Runtime, "#parse(): argument missing".into()));
        };
        let value = self.value(t, arg, ctx)?;
        if value.is_null() {
            return Ok(());
        }
        let Some(name) = self.text_of(&value)? else { return Ok(()) };
        if self.templates.len() >= self.config().max_parse_depth {
            // Velocity logs the recursion and renders nothing.
            return Ok(());
        }
        let source = self.load(t, id, &name)?;
        let compiled = self.engine.compile_in(&name, &source, self.macros_mut()).map_err(Thrown::from)?;
        self.templates.push(Rc::from(name.as_str()));
        let result = self.render(&compiled, compiled.root, ctx);
        self.templates.pop();
        match result {
            Ok(()) => Ok(()),
            Err(t) if t.as_stop() == Some(Stop::Nearest) => Ok(()),
            Err(other) => Err(other),
        }
    }

    fn load(&mut self, t: &Template, id: NodeId, name: &str) -> R<String> {
        match self.loader.load(name) {
            Ok(Some(source)) => Ok(source),
            Ok(None) => Err(self.error(
                t,
                id,
                ErrorKind::ResourceNotFound,
                format!("Unable to find resource '{name}'"),
            )),
            Err(message) => {
                Err(self.error(t, id, ErrorKind::Runtime, format!("loading '{name}' failed: {message}")))
            }
        }
    }

    /// Include.render: each argument's named text, unparsed.
    #[inline(never)]
    fn render_include(&mut self, t: &Rc<Template>, id: NodeId, args: &[(NodeId, bool)], ctx: &Ctx) -> R<()> {
        for (i, &(arg, valid)) in args.iter().enumerate() {
            let message =
                format!("<!-- include error : error with arg {i} please see log. see error log -->");
            if !valid {
                self.write(&message)?;
                return Err(self.error(t, id, ErrorKind::Runtime, "invalid #include() argument".into()));
            }
            let value = self.value(t, arg, ctx)?;
            let name = if value.is_null() { None } else { self.text_of(&value)? };
            match name {
                None => self.write(&message)?,
                Some(name) => {
                    let text = self.load(t, id, &name)?;
                    self.write(&text)?;
                }
            }
        }
        Ok(())
    }
}

impl Printer for Renderer<'_> {
    /// Block.Reference.toString: rendered in the context the block was made in.
    fn block_text(&mut self, block: &Rc<BlockRef>) -> Result<Option<String>, Thrown> {
        let ctx = block.ctx.clone();
        let (rendered, text) = self.capture(|r| r.render_block(block, &ctx))?;
        Ok(rendered.then_some(text))
    }

    fn string_limit(&self) -> usize {
        self.config().max_output
    }
}

/// The method a call site resolved for these receiver and argument classes, resolving again
/// when they change (Velocity's introspection cache).
fn cached_method(
    cache: &RefCell<Option<MethodCache>>,
    obj: &Value,
    name: &str,
    args: &[Value],
) -> Option<methods::Method> {
    let class = obj.class()?;
    if let Some(c) = &*cache.borrow() {
        if c.class == class
            && c.args.len() == args.len()
            && c.args.iter().zip(args).all(|(a, v)| *a == v.class())
        {
            return c.method;
        }
    }
    let method = methods::find_method(obj, name, args);
    *cache.borrow_mut() = Some(MethodCache { class, args: args.iter().map(Value::class).collect(), method });
    method
}

/// Bytes [`write_plain`] writes at most for a number or a boolean.
const PLAIN_NUMBER: usize = 32;

/// Bytes [`write_plain`] writes at most.
#[inline]
fn plain_length(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        _ => PLAIN_NUMBER,
    }
}

/// A string, integer, double or boolean as Java prints it.
fn write_plain(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => out.push_str(s),
        Value::Int(i) => crate::value::push_integer(out, *i),
        Value::Long(l) => crate::value::push_integer(out, *l),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Double(d) => crate::jdouble::write(out, *d),
        _ => {}
    }
}

/// Could printing this value give null or fail (a block, or a collection holding one, or a
/// structure nested deeper than printing allows)?
fn may_print_null(v: &Value, depth: usize) -> bool {
    if depth > 400 {
        return true;
    }
    crate::budget::tick(1);
    match v {
        Value::Block(_) => true,
        Value::List(l) => l.items().iter().any(|e| may_print_null(e, depth + 1)),
        Value::Array(a) => a.items.borrow().iter().any(|e| may_print_null(e, depth + 1)),
        Value::Map(m) => {
            m.borrow().iter().any(|(k, e)| may_print_null(k, depth + 1) || may_print_null(e, depth + 1))
        }
        Value::View(v) => {
            v.map.borrow().iter().any(|(k, e)| may_print_null(k, depth + 1) || may_print_null(e, depth + 1))
        }
        Value::Scope(s) => s
            .storage()
            .borrow()
            .iter()
            .any(|(k, e)| may_print_null(k, depth + 1) || may_print_null(e, depth + 1)),
        Value::Entry(e) => may_print_null(&e.key, depth + 1) || may_print_null(&e.value(), depth + 1),
        _ => false,
    }
}

/// `Map.get(key)` of a map-like value (a scope reads its parent's entries too).
fn map_get(obj: &Value, key: &Value) -> Value {
    match obj {
        Value::Map(m) => m.borrow().get(key).cloned().unwrap_or(Value::Null),
        Value::Scope(s) => s.get(key),
        _ => Value::Null,
    }
}

fn map_put(obj: &Value, key: Value, value: Value) -> R<()> {
    let map = match obj {
        Value::Map(m) => m,
        Value::Scope(s) => s.storage(),
        _ => return Ok(()),
    };
    crate::cycles::linked(|| crate::cycles::Node::Map(map.clone()), &value)?;
    let mut map = map.borrow_mut();
    map.grow(1)?;
    map.put(key, value);
    Ok(())
}

/// `left.getClass().isAssignableFrom(right.getClass())` or the reverse, for the classes values
/// have (an array of strings is an array of objects).
/// Reads two operands in place (constants, and references [`crate::context::peek`] can read)
/// and passes them to `f`; `None` when one needs evaluating.
fn peek_pair<T>(
    t: &Template,
    left: NodeId,
    right: NodeId,
    ctx: &Ctx,
    f: impl FnOnce(&Value, &Value) -> T,
) -> Option<T> {
    peek_operand(t, left, ctx, |a| peek_operand(t, right, ctx, |b| f(a, b)))?
}

fn peek_operand<T>(t: &Template, id: NodeId, ctx: &Ctx, f: impl FnOnce(&Value) -> T) -> Option<T> {
    match &t.node(id).kind {
        Kind::Constant(v) => Some(f(v)),
        Kind::Str { template: None, image, .. } => Some(f(&Value::Str(image.clone()))),
        Kind::Reference(r) if !matches!(r.kind, RefKind::Uncomputable | RefKind::Runt) => {
            crate::context::peek_reference(ctx, r, f)
        }
        _ => None,
    }
}

/// MathUtils.compare of two numbers; `None` when one is not a number (the comparison is false).
fn number_order(a: &Value, b: &Value) -> Option<Result<std::cmp::Ordering, math::MathError>> {
    (a.is_number() && b.is_number()).then(|| math::compare(a, b))
}

/// The arithmetic an operator does (`op` is one of `+ - * / %`).
fn math_op(op: BinOp) -> Op {
    match op {
        BinOp::Add => Op::Add,
        BinOp::Sub => Op::Sub,
        BinOp::Mul => Op::Mul,
        BinOp::Div => Op::Div,
        _ => Op::Mod,
    }
}

/// Arithmetic on two numbers, null when dividing by zero; `None` when one is not a number.
fn number_arithmetic(op: Op, a: &Value, b: &Value) -> Option<Result<Value, math::MathError>> {
    if !a.is_number() || !b.is_number() {
        return None;
    }
    if matches!(op, Op::Div | Op::Mod) && math::is_zero(b) {
        return Some(Ok(Value::Null));
    }
    Some(math::arithmetic(op, a, b))
}

/// `==` between two strings, two ints or two booleans (ASTEQNode's `equals` for the same class);
/// `None` for anything else, which takes the general path.
fn plain_equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x == y),
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        _ => None,
    }
}

fn same_class_family(a: &Value, b: &Value) -> bool {
    let (x, y) = (a.class(), b.class());
    x == y
        || matches!(
            (x, y),
            (Some(JClass::ObjectArray), Some(JClass::StringArray))
                | (Some(JClass::StringArray), Some(JClass::ObjectArray))
        )
}

fn class_text(v: &Value) -> String {
    v.class().map_or("null".into(), |c| format!("class {}", c.name()))
}
