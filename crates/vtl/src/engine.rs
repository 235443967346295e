//! The public face of the engine: settings, where `#parse`/`#include` find templates, compiling
//! with a cache, and rendering.

use crate::compile::{Compiler, Interner, Sym, Template};
use crate::context::Vars;
use crate::error::Error;
use crate::render::{register_macros, Names, Registry, Renderer};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// The macro library Velocity 1.7 loads when it exists (its macros are global).
pub const LIBRARY: &str = "VM_global_library.vm";

/// Behaviour switches (Velocity properties) and safety limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `directive.set.null.allowed`: `#set($x = $null)` removes `$x` instead of keeping it.
    pub set_null_allowed: bool,
    /// `directive.evaluate.context.class` set: `#set` inside `#evaluate` stays there.
    pub evaluate_local_context: bool,
    /// `velocimacro.context.localscope`: `#set` inside a macro stays there.
    pub macro_local_scope: bool,
    /// Longest output (and longest string a value may print to), in bytes.
    pub max_output: usize,
    /// Most `#foreach` iterations in one render (and largest range).
    pub max_loop_iterations: u64,
    /// Deepest macro nesting (`velocimacro.max.depth`).
    pub max_macro_depth: usize,
    /// Most evaluation steps in one render.
    pub max_steps: u64,
    /// `directive.parse.max.depth`: deeper `#parse` renders nothing, as in Velocity.
    pub max_parse_depth: usize,
    /// `directive.define.maxdepth`: how deeply a `#define` block may render itself.
    pub max_define_depth: u32,
    /// Most bytes one render (or compile) may hold besides what the thread held before it (see
    /// [`crate::memory`]).
    pub max_memory: usize,
}

/// The default of [`Config::max_memory`].
pub const DEFAULT_MAX_MEMORY: usize = 64 << 20;

impl Default for Config {
    fn default() -> Self {
        Config {
            set_null_allowed: false,
            evaluate_local_context: false,
            macro_local_scope: false,
            max_output: 16 << 20,
            max_loop_iterations: 1_000_000,
            max_macro_depth: 20,
            max_steps: 50_000_000,
            max_parse_depth: 10,
            max_define_depth: 2,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

/// Finds templates by name for `#parse`, `#include` and the macro library.
pub trait Loader {
    /// The template's text, `None` when there is none by that name.
    fn load(&self, name: &str) -> Result<Option<String>, String>;
}

/// No templates at all.
pub struct NoLoader;

impl Loader for NoLoader {
    fn load(&self, _: &str) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// Templates kept in memory.
#[derive(Default)]
pub struct MapLoader(pub FxHashMap<String, String>);

impl Loader for MapLoader {
    fn load(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self.0.get(name).cloned())
    }
}

/// Templates in a directory, read as ISO-8859-1 (Velocity's default input encoding).
pub struct DirLoader(pub PathBuf);

impl Loader for DirLoader {
    fn load(&self, name: &str) -> Result<Option<String>, String> {
        let path = self.0.join(name.trim_start_matches('/'));
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes.iter().map(|&b| char::from(b)).collect())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// A template ready to render, with the macros it starts with (the library's and its own).
pub struct Prepared {
    pub template: Rc<Template>,
    macros: Rc<Registry>,
    loop_counters: bool,
    /// The length of the last output, to size the next one's buffer.
    last_size: std::cell::Cell<usize>,
}

#[derive(PartialEq, Eq, Hash)]
struct CacheKey {
    name: Rc<str>,
    source: Rc<str>,
    /// Macros known when it was parsed change how it parses.
    known: Vec<Rc<str>>,
}

/// Compiled templates kept; the cache (and the names it uses) is dropped when it grows past this
/// many, or past this many bytes (what compiling them allocated, or their sources' length when
/// that is not counted): templates that `#evaluate` makes must not pile up between renders.
const CACHE_ENTRIES: usize = 1024;
const CACHE_BYTES: usize = 16 << 20;
const MAX_NAMES: usize = 1 << 20;
const MAX_NAME_BYTES: usize = 16 << 20;

/// A template engine: settings, and the compiled templates it keeps.
pub struct Engine {
    config: Config,
    interner: RefCell<Interner>,
    names: std::cell::Cell<Names>,
    cache: RefCell<FxHashMap<CacheKey, Rc<Template>>>,
    /// What the cached templates take (see [`CACHE_BYTES`]).
    cache_bytes: std::cell::Cell<usize>,
    interrupt: Option<fn()>,
}

impl Engine {
    pub fn new(config: Config) -> Self {
        let mut interner = Interner::default();
        let names = Names::new(&mut interner);
        Engine {
            config,
            interner: RefCell::new(interner),
            names: std::cell::Cell::new(names),
            cache: RefCell::new(FxHashMap::default()),
            cache_bytes: std::cell::Cell::new(0),
            interrupt: None,
        }
    }

    /// A function the engine calls every few dozen microseconds of work while it renders,
    /// compiles or converts JSON, so that the host can cancel: it may unwind (panic), and the
    /// engine stays usable for the next call (values shared with the cancelled render may hold
    /// its partial changes).
    pub fn set_interrupt_hook(&mut self, hook: fn()) {
        self.interrupt = Some(hook);
    }

    /// The budget of one operation: the hook, and the memory limit.
    pub(crate) fn budget(&self) -> crate::budget::Guard {
        crate::budget::enter(self.interrupt, self.config.max_memory)
    }

    pub(crate) fn names(&self) -> Names {
        self.names.get()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// New settings; compiled templates stay cached (compiling does not depend on them).
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// The symbol of a variable name, for building [`Vars`].
    pub fn intern(&self, name: &str) -> Sym {
        self.interner.borrow_mut().intern(name)
    }

    /// A value from JSON whose object keys are shared with the templates that name them.
    pub fn from_json(&self, json: &serde_json::Value) -> crate::Value {
        let _budget = self.budget();
        let interner = self.interner.borrow();
        crate::value::from_json_keys(json, &|k| match interner.lookup(k) {
            Some(sym) => interner.name(sym).clone(),
            None => Rc::from(k),
        })
    }

    /// Variables from JSON as the reference harness makes them: `$data` is the whole value and
    /// each top-level key of an object with a non-null value is a variable too.
    pub fn harness_vars(&self, json: &serde_json::Value) -> Vars {
        let data = self.from_json(json);
        // The same objects as inside `$data`, as the harness puts them.
        let mut vars = self.vars_of(&data);
        if !data.is_null() {
            vars.insert(self.intern("data"), data);
        }
        vars
    }

    /// Variables from a JSON object: each key with a non-null value.
    pub fn json_vars(&self, json: &serde_json::Value) -> Vars {
        self.vars_of(&self.from_json(json))
    }

    /// Variables from a map value: each key with a non-null value (none when it is not a map).
    pub fn vars_of(&self, value: &crate::Value) -> Vars {
        let crate::Value::Map(map) = value else { return Vars::default() };
        let map = map.borrow();
        let mut vars = Vars::default();
        for (k, v) in map.iter() {
            if let (crate::Value::Str(name), false) = (k, v.is_null()) {
                vars.insert(self.intern(name), v.clone());
            }
        }
        vars
    }

    /// Compiles `source` knowing the macros in `registry`, then registers its macros there.
    pub(crate) fn compile_in(
        &self,
        name: &str,
        source: &str,
        registry: &mut Registry,
    ) -> Result<Rc<Template>, Error> {
        self.compile_registering(name, source, registry, false)
    }

    fn compile_registering(
        &self,
        name: &str,
        source: &str,
        registry: &mut Registry,
        replace: bool,
    ) -> Result<Rc<Template>, Error> {
        // The cache's copy of the source, and the template's.
        crate::budget::reserve(source.len().saturating_mul(2))?;
        let mut known: Vec<Rc<str>> = registry.keys().cloned().collect();
        known.sort();
        let key = CacheKey { name: Rc::from(name), source: Rc::from(source), known };
        let cached = self.cache.borrow().get(&key).cloned();
        let template = match cached {
            Some(t) => t,
            None => {
                let mut known_set: FxHashSet<Rc<str>> = key.known.iter().cloned().collect();
                let before = crate::memory::held();
                let template = {
                    let mut interner = self.interner.borrow_mut();
                    Rc::new(Compiler::new(&mut interner, &mut known_set, name).compile(source)?)
                };
                let size = (crate::memory::held().wrapping_sub(before) as isize).max(0) as usize;
                let size = size.max(source.len());
                let mut cache = self.cache.borrow_mut();
                if cache.len() >= CACHE_ENTRIES || self.cache_bytes.get() + size > CACHE_BYTES {
                    cache.clear();
                    self.cache_bytes.set(0);
                }
                if size <= CACHE_BYTES {
                    self.cache_bytes.set(self.cache_bytes.get() + size);
                    cache.insert(key, template.clone());
                }
                template
            }
        };
        register_macros(registry, &template, replace);
        Ok(template)
    }

    /// Compiles a template (after the macro library, if the loader has one), ready to render.
    pub fn prepare(&self, name: &str, source: &str, loader: &dyn Loader) -> Result<Prepared, Error> {
        let _budget = self.budget();
        let too_many = {
            let names = self.interner.borrow();
            names.len() > MAX_NAMES || names.bytes() > MAX_NAME_BYTES
        };
        if too_many {
            self.cache.borrow_mut().clear();
            self.cache_bytes.set(0);
            let mut interner = Interner::default();
            self.names.set(Names::new(&mut interner));
            *self.interner.borrow_mut() = interner;
        }
        let mut macros = Registry::default();
        if let Some(library) = loader.load(LIBRARY).map_err(|m| Error::new(crate::ErrorKind::Runtime, m))? {
            self.compile_registering(LIBRARY, &library, &mut macros, true)?;
        }
        let template = self.compile_registering(name, source, &mut macros, false)?;
        let loop_counters = crate::render::reads_loop_counters(&template, &macros);
        Ok(Prepared { template, macros: Rc::new(macros), loop_counters, last_size: std::cell::Cell::new(0) })
    }

    /// Renders a prepared template with these variables.
    pub fn render(&self, prepared: &Prepared, vars: Vars, loader: &dyn Loader) -> Result<String, Error> {
        let renderer = Renderer::new(self, loader, prepared.macros.clone(), prepared.loop_counters);
        let out = renderer.render_template(&prepared.template, vars, prepared.last_size.get())?;
        prepared.last_size.set(out.len());
        Ok(out)
    }

    /// Compiles and renders in one step.
    pub fn render_source(
        &self,
        name: &str,
        source: &str,
        vars: Vars,
        loader: &dyn Loader,
    ) -> Result<String, Error> {
        let prepared = self.prepare(name, source, loader)?;
        self.render(&prepared, vars, loader)
    }
}
