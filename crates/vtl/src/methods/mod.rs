//! Java methods on template values, found the way Velocity 1.7's introspector finds them.
//!
//! `java_sigs` lists the public methods Velocity sees on each class, generated from the real JDK
//! classes. A call picks among them exactly as Velocity's `MethodMap` does (applicable by
//! method-invocation conversion, then most specific, ambiguity meaning "no method"), then runs our
//! implementation of the chosen method. Properties (`$x.name`) try `getName()`/`getname()`, a map's
//! `get("name")`, `get(String)`, then `isName()`, as Velocity's executors do.

mod collections;
mod format;
mod numbers;
mod objects;
mod regex;
mod strings;

use crate::error::Thrown;
use crate::java_sigs as sigs;
use crate::value::{JArray, JClass, Printer, Value};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A public Java method: name, parameter types (Java type names), return type.
#[derive(Debug)]
pub struct Sig {
    pub name: &'static str,
    pub params: &'static [&'static str],
    pub ret: &'static str,
    pub is_static: bool,
}

impl Sig {
    fn is_var_arg(&self) -> bool {
        self.params.last().is_some_and(|p| p.ends_with("[]"))
    }
}

/// A Java exception thrown by a method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JavaError {
    pub class: &'static str,
    pub message: Option<String>,
}

impl JavaError {
    pub fn new(class: &'static str, message: impl Into<String>) -> Self {
        JavaError { class, message: Some(message.into()) }
    }
}

impl fmt::Display for JavaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.class),
            None => f.write_str(self.class),
        }
    }
}

/// How a method call fails: it throws, or something it rendered (a `#define` block printed by
/// `toString()`) stopped or failed.
#[derive(Debug)]
pub enum Fault {
    Java(JavaError),
    /// Reflection refused the call itself (wrong arguments, a Class object standing in for an
    /// instance): property reads then give null, where a thrown exception is an error.
    Reflection(JavaError),
    Thrown(Thrown),
}

impl From<JavaError> for Fault {
    fn from(e: JavaError) -> Self {
        Fault::Java(e)
    }
}

impl From<Thrown> for Fault {
    fn from(t: Thrown) -> Self {
        Fault::Thrown(t)
    }
}

/// A limit of the engine (the memory a render may hold), which no Java code can catch.
impl From<crate::Error> for Fault {
    fn from(e: crate::Error) -> Self {
        Fault::Thrown(e.into())
    }
}

pub type MResult = Result<Value, Fault>;

/// An implementation: the printer (for `toString()` of blocks and the size limit), the receiver
/// and the arguments (variable arguments already packed into an array).
pub type MethodFn = fn(&mut dyn Printer, &Value, &[Value]) -> MResult;

/// The classes whose method lists a lookup can use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Table {
    Of(JClass),
    /// Velocity's ArrayListWrapper, through which arrays get List methods.
    ArrayListWrapper,
}

fn methods_of(table: Table) -> &'static [Sig] {
    match table {
        Table::ArrayListWrapper => sigs::ARRAYLISTWRAPPER,
        Table::Of(class) => match class {
            JClass::String => sigs::STRING,
            JClass::Integer => sigs::INTEGER,
            JClass::Long => sigs::LONG,
            JClass::BigInteger => sigs::BIGINTEGER,
            JClass::Double => sigs::DOUBLE,
            JClass::BigDecimal => sigs::BIGDECIMAL,
            JClass::Boolean => sigs::BOOLEAN,
            JClass::Character => sigs::CHARACTER,
            JClass::Byte => sigs::BYTE,
            JClass::Short => sigs::SHORT,
            JClass::Float => sigs::FLOAT,
            JClass::ArrayList => sigs::ARRAYLIST,
            JClass::LinkedHashMap => sigs::LINKEDHASHMAP,
            JClass::KeySet => sigs::KEYSET,
            JClass::Values => sigs::VALUES,
            JClass::EntrySet => sigs::ENTRYSET,
            JClass::MapEntry => sigs::MAPENTRY,
            JClass::StringArray | JClass::ObjectArray | JClass::CharArray | JClass::ByteArray => sigs::ARRAY,
            JClass::ForeachScope => sigs::FOREACHSCOPE,
            JClass::ScopeInfo => sigs::SCOPEINFO,
            JClass::BlockReference => sigs::BLOCKREFERENCE,
            JClass::Class => sigs::CLASS,
            JClass::Iterator => sigs::ITERATOR,
        },
    }
}

/// Java's `getTypeName()` of a value's class (the names `java_sigs` uses).
pub fn type_name(v: &Value) -> Option<&'static str> {
    v.class().map(|c| match c {
        JClass::StringArray => "java.lang.String[]",
        JClass::ObjectArray => "java.lang.Object[]",
        JClass::CharArray => "char[]",
        JClass::ByteArray => "byte[]",
        other => other.name(),
    })
}

fn is_primitive(t: &str) -> bool {
    matches!(t, "boolean" | "char" | "byte" | "short" | "int" | "long" | "float" | "double")
}

fn component(t: &str) -> Option<&str> {
    t.strip_suffix("[]")
}

fn assignable(formal: &str, actual: &str) -> bool {
    formal == actual || sigs::assignable_to(actual).contains(&formal)
}

/// IntrospectionUtils.isMethodInvocationConvertible: assignment, unboxing with widening, and for
/// a last array parameter its component type.
fn convertible(formal: &str, actual: Option<&str>, possible_var_arg: bool) -> bool {
    let Some(actual) = actual else {
        return !is_primitive(formal);
    };
    if assignable(formal, actual) {
        return true;
    }
    let boxed_ok = match formal {
        "boolean" => matches!(actual, "java.lang.Boolean"),
        "char" => matches!(actual, "java.lang.Character"),
        "byte" => matches!(actual, "java.lang.Byte"),
        "short" => matches!(actual, "java.lang.Short" | "java.lang.Byte"),
        "int" => matches!(actual, "java.lang.Integer" | "java.lang.Short" | "java.lang.Byte"),
        "long" => {
            matches!(actual, "java.lang.Long" | "java.lang.Integer" | "java.lang.Short" | "java.lang.Byte")
        }
        "float" => {
            matches!(
                actual,
                "java.lang.Float"
                    | "java.lang.Long"
                    | "java.lang.Integer"
                    | "java.lang.Short"
                    | "java.lang.Byte"
            )
        }
        "double" => matches!(
            actual,
            "java.lang.Double"
                | "java.lang.Float"
                | "java.lang.Long"
                | "java.lang.Integer"
                | "java.lang.Short"
                | "java.lang.Byte"
        ),
        _ => false,
    };
    if boxed_ok {
        return true;
    }
    if possible_var_arg {
        if let Some(formal_component) = component(formal) {
            return convertible(formal_component, Some(component(actual).unwrap_or(actual)), false);
        }
    }
    false
}

/// IntrospectionUtils.isStrictMethodInvocationConvertible, between two parameter types.
fn strictly_convertible(formal: &str, actual: &str, possible_var_arg: bool) -> bool {
    if assignable(formal, actual) {
        return true;
    }
    let widening = match formal {
        "short" => matches!(actual, "byte"),
        "int" => matches!(actual, "short" | "byte"),
        "long" => matches!(actual, "int" | "short" | "byte"),
        "float" => matches!(actual, "long" | "int" | "short" | "byte"),
        "double" => matches!(actual, "float" | "long" | "int" | "short" | "byte"),
        _ => false,
    };
    if widening {
        return true;
    }
    if possible_var_arg {
        if let Some(formal_component) = component(formal) {
            return strictly_convertible(formal_component, component(actual).unwrap_or(actual), false);
        }
    }
    false
}

#[derive(PartialEq, Eq)]
enum Specificity {
    More,
    Less,
    Incomparable,
}

/// MethodMap.compare.
fn compare(c1: &[&str], c2: &[&str]) -> Specificity {
    if c1.len() > c2.len() {
        return Specificity::More;
    }
    if c2.len() > c1.len() {
        return Specificity::Less;
    }
    let (mut c1_more, mut c2_more) = (false, false);
    for i in 0..c1.len() {
        if c1[i] != c2[i] {
            let last = i == c1.len() - 1;
            c1_more = c1_more || strictly_convertible(c2[i], c1[i], last) || c2[i] == "java.lang.Object";
            c2_more = c2_more || strictly_convertible(c1[i], c2[i], last) || c1[i] == "java.lang.Object";
        }
    }
    match (c1_more, c2_more) {
        (true, true) => {
            let last1 = c1.last().is_some_and(|t| t.ends_with("[]"));
            let last2 = c2.last().is_some_and(|t| t.ends_with("[]"));
            match (last1, last2) {
                (true, false) => Specificity::Less,
                (false, true) => Specificity::More,
                _ => Specificity::Incomparable,
            }
        }
        (true, false) => Specificity::More,
        (false, true) => Specificity::Less,
        (false, false) => Specificity::Incomparable,
    }
}

/// MethodMap.isApplicable.
fn applicable(params: &[&str], classes: &[Option<&str>]) -> bool {
    use std::cmp::Ordering::*;
    match params.len().cmp(&classes.len()) {
        Greater => {
            params.len() == classes.len() + 1
                && params.last().is_some_and(|p| p.ends_with("[]"))
                && classes.iter().zip(params).all(|(c, p)| convertible(p, *c, false))
        }
        Equal => {
            for (i, (c, p)) in classes.iter().zip(params).enumerate() {
                if !convertible(p, *c, false) {
                    return i == classes.len() - 1 && p.ends_with("[]") && convertible(p, *c, true);
                }
            }
            true
        }
        // Velocity's MethodMap finds a method without parameters applicable to any arguments
        // (the call then fails with "wrong number of arguments").
        Less if params.is_empty() => true,
        Less => {
            let Some(vararg) = params.last().and_then(|p| component(p)) else {
                return false;
            };
            let fixed = params.len() - 1;
            classes[..fixed].iter().zip(params).all(|(c, p)| convertible(p, *c, false))
                && classes[fixed..].iter().all(|c| convertible(vararg, *c, false))
        }
    }
}

/// MethodMap.find: the most specific applicable method; `None` when there is none or when the
/// choice is ambiguous (Velocity logs the ambiguity and finds no method).
fn find(table: &'static [Sig], name: &str, classes: &[Option<&str>]) -> Option<&'static Sig> {
    let mut best: Option<&'static Sig> = None;
    let mut equivalent: Vec<&'static Sig> = Vec::new();
    for sig in table.iter().filter(|s| s.name == name) {
        if !applicable(sig.params, classes) {
            continue;
        }
        let Some(current) = best else {
            best = Some(sig);
            continue;
        };
        match compare(sig.params, current.params) {
            Specificity::More => {
                if equivalent.is_empty() {
                    best = Some(sig);
                } else {
                    // As Velocity: only a method more specific than one of the equivalent ones
                    // resolves the ambiguity.
                    for other in equivalent.clone() {
                        match compare(sig.params, other.params) {
                            Specificity::More => {
                                best = Some(sig);
                                equivalent.clear();
                                break;
                            }
                            Specificity::Incomparable => equivalent.push(sig),
                            Specificity::Less => {}
                        }
                    }
                }
            }
            Specificity::Incomparable => equivalent.push(sig),
            Specificity::Less => {}
        }
    }
    if equivalent.is_empty() {
        best
    } else {
        None
    }
}

/// A method chosen for a call: run [`Method::invoke`].
#[derive(Clone, Copy)]
pub struct Method {
    pub sig: &'static Sig,
    imp: Option<MethodFn>,
    table: Table,
    /// Called on a `Class` object but belonging to the class it stands for (a static method,
    /// or an instance method that then fails as reflection does).
    via_class: bool,
}

impl Method {
    fn new(table: Table, sig: &'static Sig, via_class: bool) -> Self {
        Method { sig, imp: implementation(table, sig), table, via_class }
    }

    pub fn is_void(&self) -> bool {
        self.sig.ret == "void"
    }

    /// The method's Java name with its declaring class, for messages.
    pub fn describe(&self) -> String {
        let class = match self.table {
            Table::ArrayListWrapper => "org.apache.velocity.util.ArrayListWrapper",
            Table::Of(c) => c.name(),
        };
        format!("{class}.{}({})", self.sig.name, self.sig.params.join(", "))
    }

    /// Calls the method as VelMethodImpl does: packs variable arguments, then invokes.
    pub fn invoke(&self, host: &mut dyn Printer, recv: &Value, args: &[Value]) -> MResult {
        if self.sig.is_var_arg() {
            self.call(host, recv, &pack_var_args(self.sig.params, args.to_vec()))
        } else {
            self.call(host, recv, args)
        }
    }

    /// Invokes with the arguments as given (reflection without Velocity's variable-argument help,
    /// as property getters and setters are called). The count must match.
    pub fn call(&self, host: &mut dyn Printer, recv: &Value, args: &[Value]) -> MResult {
        if args.len() != self.sig.params.len() {
            return Err(Fault::Reflection(JavaError::new(
                "java.lang.IllegalArgumentException",
                "wrong number of arguments",
            )));
        }
        if self.via_class && !self.sig.is_static {
            return Err(Fault::Reflection(JavaError::new(
                "java.lang.IllegalArgumentException",
                "object is not an instance of declaring class",
            )));
        }
        match self.imp {
            Some(f) => f(host, recv, args),
            None => Err(JavaError::new(
                "UnsupportedOperationException",
                format!("{} is not available in this template engine", self.describe()),
            )
            .into()),
        }
    }
}

/// VelMethodImpl.handleVarArg: the arguments for the last (array) parameter become one array.
fn pack_var_args(params: &[&str], mut args: Vec<Value>) -> Vec<Value> {
    let index = params.len() - 1;
    let component_type = component(params[index]).unwrap_or("java.lang.Object");
    let class = match component_type {
        "char" => JClass::CharArray,
        "byte" => JClass::ByteArray,
        "java.lang.String" => JClass::StringArray,
        _ => JClass::ObjectArray,
    };
    let array = |items: Vec<Value>| Value::Array(Rc::new(JArray { class, items: RefCell::new(items) }));
    if args.len() == index {
        args.push(array(Vec::new()));
    } else if args.len() == index + 1 && !args[index].is_null() {
        let arg_type = type_name(&args[index]);
        let is_array = args[index].class().is_some_and(JClass::is_array);
        if !is_array && convertible(component_type, arg_type, false) {
            let single = std::mem::replace(&mut args[index], Value::Null);
            args[index] = array(vec![single]);
        }
    } else if args.len() > index + 1 {
        let rest = args.split_off(index);
        args.push(array(rest));
    }
    args
}

/// UberspectImpl.getMethod: the object's own methods, then for arrays the List methods of
/// ArrayListWrapper, and for `Class` objects the methods of the class they stand for.
pub fn find_method(recv: &Value, name: &str, args: &[Value]) -> Option<Method> {
    let class = recv.class()?;
    let classes: Vec<Option<&str>> = args.iter().map(type_name).collect();
    let own = Table::Of(class);
    if let Some(sig) = find(methods_of(own), name, &classes) {
        return Some(Method::new(own, sig, false));
    }
    if class.is_array() {
        let wrapper = Table::ArrayListWrapper;
        return find(methods_of(wrapper), name, &classes).map(|sig| Method::new(wrapper, sig, false));
    }
    if let Value::Class(represented) = recv {
        let table = Table::Of(*represented);
        return find(methods_of(table), name, &classes).map(|sig| Method::new(table, sig, true));
    }
    None
}

/// How `$x.name` reads a property.
#[derive(Clone)]
pub enum Getter {
    /// A getter method (`getName()`, `isName()`), called without arguments.
    Method(Method),
    /// A map's `get("name")`.
    MapGet(Rc<str>),
    /// `get("name")`, called with the name.
    Get(Method, Rc<str>),
}

/// Character.isLowerCase → toUpperCase, else toLowerCase: the second spelling Velocity tries.
fn flip_first(prefix: &str, name: &str) -> String {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return prefix.to_string();
    };
    let flipped: char = if first.is_lowercase() {
        single(first.to_uppercase()).unwrap_or(first)
    } else {
        single(first.to_lowercase()).unwrap_or(first)
    };
    format!("{prefix}{flipped}{}", chars.as_str())
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// Looks a method up by name and argument types among an object's own methods only (property
/// executors do not look through ArrayListWrapper).
fn find_own(recv: &Value, name: &str, classes: &[Option<&str>]) -> Option<Method> {
    let table = Table::Of(recv.class()?);
    find(methods_of(table), name, classes).map(|sig| Method::new(table, sig, false))
}

/// UberspectImpl.getPropertyGet.
pub fn find_getter(recv: &Value, property: &str) -> Option<Getter> {
    if !property.is_empty() {
        let first = format!("get{property}");
        if let Some(m) =
            find_own(recv, &first, &[]).or_else(|| find_own(recv, &flip_first("get", property), &[]))
        {
            return Some(Getter::Method(m));
        }
    }
    if matches!(recv, Value::Map(_) | Value::Scope(_)) {
        return Some(Getter::MapGet(Rc::from(property)));
    }
    if let Some(m) = find_own(recv, "get", &[Some("java.lang.String")]) {
        return Some(Getter::Get(m, Rc::from(property)));
    }
    if !property.is_empty() {
        let first = format!("is{property}");
        let m = find_own(recv, &first, &[]).or_else(|| find_own(recv, &flip_first("is", property), &[]))?;
        if matches!(m.sig.ret, "boolean" | "java.lang.Boolean") {
            return Some(Getter::Method(m));
        }
    }
    None
}

/// How `#set($x.name = …)` writes a property.
#[derive(Clone)]
pub enum Setter {
    /// `setName(value)`.
    Method(Method),
    /// A map's `put("name", value)`.
    MapPut(Rc<str>),
    /// `put("name", value)`.
    Put(Method, Rc<str>),
}

/// UberspectImpl.getPropertySet.
pub fn find_setter(recv: &Value, property: &str, value: &Value) -> Option<Setter> {
    let arg = [type_name(value)];
    if !property.is_empty() {
        let first = format!("set{property}");
        if let Some(m) =
            find_own(recv, &first, &arg).or_else(|| find_own(recv, &flip_first("set", property), &arg))
        {
            return Some(Setter::Method(m));
        }
    }
    if matches!(recv, Value::Map(_) | Value::Scope(_)) {
        return Some(Setter::MapPut(Rc::from(property)));
    }
    find_own(recv, "put", &[Some("java.lang.String"), arg[0]]).map(|m| Setter::Put(m, Rc::from(property)))
}

/// The implementation of a method, if this engine has one.
fn implementation(table: Table, sig: &Sig) -> Option<MethodFn> {
    let key = format!("{}({})", sig.name, sig.params.join(","));
    let specific = match table {
        Table::ArrayListWrapper => collections::lookup(JClass::ObjectArray, &key),
        Table::Of(class) => match class {
            JClass::String => strings::lookup(&key),
            number if number.is_number() => numbers::lookup(number, &key),
            JClass::ArrayList
            | JClass::LinkedHashMap
            | JClass::KeySet
            | JClass::Values
            | JClass::EntrySet
            | JClass::MapEntry
            | JClass::ForeachScope
            | JClass::Iterator => collections::lookup(class, &key),
            _ => objects::lookup(class, &key),
        },
    };
    specific.or_else(|| objects::common(&key))
}

// ---- helpers shared by the implementations ----------------------------------------------------

fn npe() -> Fault {
    JavaError { class: "java.lang.NullPointerException", message: None }.into()
}

fn class_cast(from: &Value, to: &str) -> Fault {
    let from = from.class().map_or("null", JClass::name);
    JavaError::new("java.lang.ClassCastException", format!("class {from} cannot be cast to class {to}"))
        .into()
}

/// A `String`/`CharSequence` argument (null throws as Java would on use).
fn arg_str(v: &Value) -> Result<&str, Fault> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(npe()),
    }
}

/// The receiver of a String method.
fn this_str(v: &Value) -> &str {
    match v {
        Value::Str(s) => s,
        _ => "",
    }
}

/// An `int` argument (Integer, Short or Byte, as the resolution allowed).
fn arg_int(v: &Value) -> i32 {
    v.to_i32()
}

fn arg_char(v: &Value) -> u16 {
    match v {
        Value::Char(c) => *c,
        _ => 0,
    }
}

fn arg_bool(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// `String.valueOf(v)`: "null" for null; a block whose rendering fails gives Java's null.
fn to_text(host: &mut dyn Printer, v: &Value) -> Result<Option<String>, Fault> {
    match v {
        Value::Null => Ok(Some("null".into())),
        other => Ok(other.to_java_string(host)?),
    }
}

/// A printed value as a string value (Java's null for `None`); the copy is checked against the
/// memory budget.
fn text_value(text: Option<String>) -> MResult {
    let Some(text) = text else { return Ok(Value::Null) };
    crate::budget::reserve(text.len())?;
    Ok(Value::string(text))
}

/// Refuses a string of `len` bytes, longer than the output limit (where Java would run out of
/// memory).
fn fits(host: &dyn Printer, len: usize) -> Result<(), Fault> {
    if len > host.string_limit() {
        return Err(crate::value::too_long(host.string_limit()).into());
    }
    Ok(())
}

/// Refuses to build a string of `len` bytes that would outgrow the output limit or the memory
/// budget.
fn room(host: &dyn Printer, len: usize) -> Result<(), Fault> {
    fits(host, len)?;
    Ok(crate::budget::reserve(len)?)
}

/// A string result, checked against the output limit first.
fn string_result(host: &dyn Printer, s: String) -> MResult {
    room(host, s.len())?;
    Ok(Value::string(s))
}

#[cfg(test)]
mod tests;
