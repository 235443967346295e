//! A Velocity Template Language engine that renders exactly what Apache Velocity 1.7 renders.
//!
//! The lexer and parser reproduce Velocity's JavaCC grammar; [`compile`] does Velocity's init
//! pass; [`render`] follows its node classes; [`methods`] gives template values the Java methods
//! of the classes Velocity would see (JSON data becomes `LinkedHashMap`, `ArrayList`, `String`,
//! `Integer`/`Long`/`BigInteger`, `Double`, `Boolean`).
//!
//! It is meant to run inside a database server, where a failed allocation ends the process: no
//! template may make the engine allocate a size it chose without a check. Every such size is
//! checked first against [`Config::max_memory`] and what the render holds (known exactly when
//! [`memory::Counting`] is the global allocator); loops over input report their work, so that a
//! host's interrupt hook ([`Engine::set_interrupt_hook`]) can cancel any render, compile or JSON
//! conversion within a fraction of a millisecond of work; cycles a render links between values
//! are broken when it ends.
//!
//! ```
//! use vtl::{Config, Engine, NoLoader};
//! let engine = Engine::new(Config::default());
//! let vars = engine.json_vars(&serde_json::json!({"name": "Ana", "n": 3}));
//! let out = engine.render_source("t", "Hi $name, #if($n > 2)many#end", vars, &NoLoader).unwrap();
//! assert_eq!(out, "Hi Ana, many");
//! ```

mod bigdec;
mod budget;
pub mod compile;
mod context;
mod cycles;
mod engine;
mod error;
mod iter;
mod java_sigs;
pub mod jdouble;
pub mod lexer;
mod math;
pub mod memory;
pub mod methods;
pub mod parser;
pub mod render;
pub mod value;

pub use context::Vars;
pub use engine::{
    Config, DirLoader, Engine, Loader, MapLoader, NoLoader, Prepared, DEFAULT_MAX_MEMORY, LIBRARY,
};
pub use error::{caret_window, Error, ErrorKind, Limit};
pub use value::{from_json, Value};
