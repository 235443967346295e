//! Values as a Velocity template sees them: the Java objects JSON data becomes (LinkedHashMap,
//! ArrayList, String, Integer/Long/BigInteger, Double, Boolean, null) and the ones templates make
//! (ranges and list literals are ArrayLists, map literals LinkedHashMaps, `split` gives a String[],
//! `charAt` a Character, arithmetic may give BigDecimals). Each keeps its Java class, because
//! method lookup, `==` and printing all depend on it, and prints as Java prints it.

use crate::bigdec::BigDecimal;
use crate::error::{Error, ErrorKind, Limit, Thrown};
use crate::jdouble;
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::rc::Rc;

#[derive(Clone)]
// A full-width tag keeps the payload's moves aligned with the stores that made it (with a byte
// tag, copies of a value stalled on store forwarding: a quarter of the time of a lookup).
#[repr(u64)]
pub enum Value {
    Null,
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    BigInt(Rc<BigInt>),
    Float(f32),
    Double(f64),
    BigDecimal(Rc<BigDecimal>),
    /// A `Character` (one UTF-16 unit).
    Char(u16),
    Str(Rc<str>),
    List(Rc<JList>),
    Map(Rc<RefCell<JMap>>),
    Array(Rc<JArray>),
    /// A `Map.Entry` met while iterating `entrySet()`.
    Entry(Rc<MapEntry>),
    /// `keySet()`, `values()` or `entrySet()` of a map: a live view.
    View(Rc<View>),
    Scope(Rc<Scope>),
    /// `$foreach.info`: describes the loop.
    ScopeInfo(Rc<Scope>),
    Class(JClass),
    /// A `#define` block or a block macro's `$bodyContent`: renders itself.
    Block(Rc<crate::render::BlockRef>),
    /// What `iterator()` returns.
    Iterator(Rc<RefCell<crate::iter::JIter>>),
}

/// A view of a map's keys, values or entries.
pub struct View {
    pub map: Rc<RefCell<JMap>>,
    pub kind: ViewKind,
}

impl Value {
    pub fn view(map: Rc<RefCell<JMap>>, kind: ViewKind) -> Value {
        Value::View(Rc::new(View { map, kind }))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ViewKind {
    Keys,
    Values,
    Entries,
}

/// An entry of a map's `entrySet()`: reads and writes through to the map while its key is there.
pub struct MapEntry {
    pub map: Rc<RefCell<JMap>>,
    pub key: Value,
    /// The value when the entry was made (what remains once the key is removed).
    pub value: RefCell<Value>,
}

impl MapEntry {
    pub fn value(&self) -> Value {
        match self.map.borrow().get(&self.key) {
            Some(v) => v.clone(),
            None => self.value.borrow().clone(),
        }
    }
}

/// A Java array (what `split` and `toCharArray` return).
pub struct JArray {
    pub class: JClass,
    pub items: RefCell<Vec<Value>>,
}

/// The Java classes values can have.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum JClass {
    Boolean,
    Byte,
    Short,
    Integer,
    Long,
    BigInteger,
    Float,
    Double,
    BigDecimal,
    Character,
    String,
    ArrayList,
    LinkedHashMap,
    StringArray,
    ObjectArray,
    CharArray,
    ByteArray,
    MapEntry,
    KeySet,
    Values,
    EntrySet,
    ForeachScope,
    ScopeInfo,
    Class,
    BlockReference,
    Iterator,
}

impl JClass {
    pub fn name(self) -> &'static str {
        match self {
            JClass::Boolean => "java.lang.Boolean",
            JClass::Byte => "java.lang.Byte",
            JClass::Short => "java.lang.Short",
            JClass::Float => "java.lang.Float",
            JClass::Integer => "java.lang.Integer",
            JClass::Long => "java.lang.Long",
            JClass::BigInteger => "java.math.BigInteger",
            JClass::Double => "java.lang.Double",
            JClass::BigDecimal => "java.math.BigDecimal",
            JClass::Character => "java.lang.Character",
            JClass::String => "java.lang.String",
            JClass::ArrayList => "java.util.ArrayList",
            JClass::LinkedHashMap => "java.util.LinkedHashMap",
            JClass::StringArray => "[Ljava.lang.String;",
            JClass::ObjectArray => "[Ljava.lang.Object;",
            JClass::CharArray => "[C",
            JClass::ByteArray => "[B",
            JClass::MapEntry => "java.util.LinkedHashMap$Entry",
            JClass::KeySet => "java.util.LinkedHashMap$LinkedKeySet",
            JClass::Values => "java.util.LinkedHashMap$LinkedValues",
            JClass::EntrySet => "java.util.LinkedHashMap$LinkedEntrySet",
            JClass::ForeachScope => "org.apache.velocity.runtime.directive.ForeachScope",
            JClass::ScopeInfo => "org.apache.velocity.runtime.directive.Scope$Info",
            JClass::Class => "java.lang.Class",
            JClass::BlockReference => "org.apache.velocity.runtime.directive.Block$Reference",
            JClass::Iterator => "java.util.ArrayList$Itr",
        }
    }

    pub fn simple_name(self) -> &'static str {
        match self {
            JClass::StringArray => "String[]",
            JClass::ObjectArray => "Object[]",
            JClass::CharArray => "char[]",
            JClass::ByteArray => "byte[]",
            JClass::MapEntry => "Entry",
            JClass::KeySet => "LinkedKeySet",
            JClass::Values => "LinkedValues",
            JClass::EntrySet => "LinkedEntrySet",
            JClass::BlockReference => "Reference",
            JClass::ScopeInfo => "Info",
            JClass::Iterator => "Itr",
            other => other.name().rsplit('.').next().unwrap_or(""),
        }
    }

    pub fn is_array(self) -> bool {
        matches!(self, JClass::StringArray | JClass::ObjectArray | JClass::CharArray | JClass::ByteArray)
    }

    pub fn is_number(self) -> bool {
        matches!(
            self,
            JClass::Byte
                | JClass::Short
                | JClass::Integer
                | JClass::Long
                | JClass::BigInteger
                | JClass::Float
                | JClass::Double
                | JClass::BigDecimal
        )
    }
}

/// `$foreach`: the loop's scope object (an AbstractMap with loop properties).
pub struct Scope {
    /// Identifies the `#foreach` node: `#break($foreach)` stops the innermost run of it.
    pub owner: usize,
    pub index: Cell<i32>,
    pub has_next: Cell<bool>,
    pub parent: Option<Rc<Scope>>,
    pub replaced: Option<Value>,
    /// Entries put by templates (`#set($foreach.x = 1)`); a Java HashMap, made on first use.
    pub storage: std::cell::OnceCell<Rc<RefCell<JMap>>>,
    /// Where the loop is, for `$foreach.info`.
    pub template: Rc<str>,
    pub line: usize,
    pub column: usize,
}

impl Scope {
    /// The entries put by templates.
    pub fn storage(&self) -> &Rc<RefCell<JMap>> {
        self.storage.get_or_init(Default::default)
    }

    /// `Scope.get(key)`: its own entry, else the parent's.
    pub fn get(&self, key: &Value) -> Value {
        if let Some(v) = self.storage().borrow().get(key) {
            return v.clone();
        }
        self.parent.as_ref().map_or(Value::Null, |p| p.get(key))
    }

    pub fn depth(&self) -> i32 {
        self.parent.as_ref().map_or(1, |p| p.depth() + 1)
    }

    pub fn topmost(self: &Rc<Self>) -> Rc<Scope> {
        match &self.parent {
            Some(p) => p.topmost(),
            None => self.clone(),
        }
    }

    pub fn replaced(&self) -> Value {
        match (&self.replaced, &self.parent) {
            (Some(v), _) => v.clone(),
            (None, Some(p)) => p.replaced(),
            (None, None) => Value::Null,
        }
    }
}

/// An `ArrayList`: its elements and a count of structural changes, so that iterating a list
/// while changing it fails as Java's fail-fast iterators do.
#[derive(Default)]
pub struct JList {
    items: RefCell<Vec<Value>>,
    mods: Cell<u32>,
}

impl JList {
    pub fn new(items: Vec<Value>) -> Self {
        JList { items: RefCell::new(items), mods: Cell::new(0) }
    }

    pub fn items(&self) -> std::cell::Ref<'_, Vec<Value>> {
        self.items.borrow()
    }

    /// The elements for a change in size (counted as a structural change).
    pub fn resize(&self) -> std::cell::RefMut<'_, Vec<Value>> {
        self.mods.set(self.mods.get().wrapping_add(1));
        self.items.borrow_mut()
    }

    /// The elements for replacing some in place (`set`, `sort`), not a structural change.
    pub fn replace(&self) -> std::cell::RefMut<'_, Vec<Value>> {
        self.items.borrow_mut()
    }

    pub fn mods(&self) -> u32 {
        self.mods.get()
    }

    pub fn len(&self) -> usize {
        self.items.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Value> {
        self.items.borrow().get(i).cloned()
    }
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn string(s: String) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(JList::new(items)))
    }

    pub fn map(m: JMap) -> Value {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    pub fn bigint(b: BigInt) -> Value {
        Value::BigInt(Rc::new(b))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The Java class, or `None` for null.
    pub fn class(&self) -> Option<JClass> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => JClass::Boolean,
            Value::Byte(_) => JClass::Byte,
            Value::Short(_) => JClass::Short,
            Value::Float(_) => JClass::Float,
            Value::Int(_) => JClass::Integer,
            Value::Long(_) => JClass::Long,
            Value::BigInt(_) => JClass::BigInteger,
            Value::Double(_) => JClass::Double,
            Value::BigDecimal(_) => JClass::BigDecimal,
            Value::Char(_) => JClass::Character,
            Value::Str(_) => JClass::String,
            Value::List(_) => JClass::ArrayList,
            Value::Map(_) => JClass::LinkedHashMap,
            Value::Array(a) => a.class,
            Value::Entry(_) => JClass::MapEntry,
            Value::View(v) => match v.kind {
                ViewKind::Keys => JClass::KeySet,
                ViewKind::Values => JClass::Values,
                ViewKind::Entries => JClass::EntrySet,
            },
            Value::Scope(_) => JClass::ForeachScope,
            Value::ScopeInfo(_) => JClass::ScopeInfo,
            Value::Class(_) => JClass::Class,
            Value::Block(_) => JClass::BlockReference,
            Value::Iterator(_) => JClass::Iterator,
        })
    }

    /// Whether the value is a `Number` (the variants whose class [`JClass::is_number`] holds).
    #[inline]
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Byte(_)
                | Value::Short(_)
                | Value::Int(_)
                | Value::Long(_)
                | Value::BigInt(_)
                | Value::Float(_)
                | Value::Double(_)
                | Value::BigDecimal(_)
        )
    }

    /// The elements a collection-like value holds, in iteration order (a map gives its values,
    /// as `#foreach` does); `None` for things that cannot be iterated. A copy: checked against
    /// the memory budget.
    pub fn elements(&self) -> Result<Option<Vec<Value>>, Error> {
        Ok(Some(match self {
            Value::List(l) => copy_items(&l.items())?,
            Value::Array(a) => copy_items(&a.items.borrow())?,
            Value::Map(m) => map_items(&m.borrow(), |_, v| v.clone())?,
            Value::View(v) => view_elements(&v.map, v.kind)?,
            Value::Scope(s) => map_items(&hash_order(&s.storage().borrow())?, |_, v| v.clone())?,
            _ => return Ok(None),
        }))
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Byte(i) => f64::from(*i),
            Value::Short(i) => f64::from(*i),
            Value::Float(f) => f64::from(*f),
            Value::Int(i) => f64::from(*i),
            Value::Long(l) => *l as f64,
            Value::BigInt(b) => b.to_f64().unwrap_or(f64::NAN),
            Value::Double(d) => *d,
            Value::BigDecimal(d) => d.to_f64(),
            _ => f64::NAN,
        }
    }

    /// Java's `longValue()` (narrowing as Java narrows).
    pub fn to_i64(&self) -> i64 {
        match self {
            Value::Byte(i) => i64::from(*i),
            Value::Short(i) => i64::from(*i),
            Value::Float(f) => java_d2l(f64::from(*f)),
            Value::Int(i) => i64::from(*i),
            Value::Long(l) => *l,
            Value::BigInt(b) => low_64(b),
            Value::Double(d) => java_d2l(*d),
            Value::BigDecimal(d) => d.to_i64(),
            _ => 0,
        }
    }

    /// Java's `intValue()`.
    pub fn to_i32(&self) -> i32 {
        match self {
            Value::Double(d) => java_d2i(*d),
            Value::Float(f) => java_d2i(f64::from(*f)),
            other => other.to_i64() as i32,
        }
    }

    /// Java's `floatValue()`.
    pub fn to_f32(&self) -> f32 {
        match self {
            Value::Float(f) => *f,
            Value::Int(i) => *i as f32,
            Value::Long(l) => *l as f32,
            other => other.to_f64() as f32,
        }
    }
}

/// A copy of a collection's elements (one reference each), checked against the memory budget.
pub fn copy_items(items: &[Value]) -> Result<Vec<Value>, Error> {
    crate::budget::reserve_for::<Value>(items.len())?;
    crate::budget::tick(items.len());
    Ok(items.to_vec())
}

/// One value made of each entry of a map, checked against the memory budget (`extra` bytes
/// each besides the value).
fn map_items_sized(
    m: &JMap,
    extra: usize,
    f: impl FnMut(&Value, &Value) -> Value,
) -> Result<Vec<Value>, Error> {
    crate::budget::reserve(m.len().saturating_mul(std::mem::size_of::<Value>() + extra))?;
    crate::budget::tick(m.len());
    let mut f = f;
    Ok(m.iter().map(|(k, v)| f(k, v)).collect())
}

fn map_items(m: &JMap, f: impl FnMut(&Value, &Value) -> Value) -> Result<Vec<Value>, Error> {
    map_items_sized(m, 0, f)
}

pub fn view_elements(m: &Rc<RefCell<JMap>>, kind: ViewKind) -> Result<Vec<Value>, Error> {
    let map = m.borrow();
    match kind {
        ViewKind::Keys => map_items(&map, |k, _| k.clone()),
        ViewKind::Values => map_items(&map, |_, v| v.clone()),
        ViewKind::Entries => map_items_sized(&map, std::mem::size_of::<MapEntry>() + 16, |k, v| {
            Value::Entry(Rc::new(MapEntry { map: m.clone(), key: k.clone(), value: RefCell::new(v.clone()) }))
        }),
    }
}

/// The low 64 bits of a BigInteger, as `longValue()`.
pub fn low_64(b: &BigInt) -> i64 {
    let (sign, digits) = b.to_u64_digits();
    let low = digits.first().copied().unwrap_or(0) as i64;
    if sign == num_bigint::Sign::Minus {
        low.wrapping_neg()
    } else {
        low
    }
}

/// Java's double-to-long cast: saturating, NaN is 0.
pub fn java_d2l(d: f64) -> i64 {
    if d.is_nan() {
        0
    } else {
        d as i64
    }
}

/// Java's double-to-int cast.
pub fn java_d2i(d: f64) -> i32 {
    if d.is_nan() {
        0
    } else {
        d as i32
    }
}

/// Nesting deeper than this is compared and hashed no further: Java would overflow its stack
/// (structures that contain themselves are the usual way there).
const MAX_COMPARE_DEPTH: usize = 512;

/// What decides Java's `equals` between two values: for collections, their kind (a List equals
/// any List with equal elements in order, a Map any Map with equal entries, a Set any Set with
/// the same elements); everything without its own `equals` is equal only to itself.
enum Shape<'a> {
    Scalar,
    Seq(std::cell::Ref<'a, Vec<Value>>),
    Map(std::cell::Ref<'a, JMap>),
    KeySet(std::cell::Ref<'a, JMap>),
    EntrySet(std::cell::Ref<'a, JMap>),
    Entry(&'a MapEntry),
    Identity(usize),
}

fn shape(v: &Value) -> Shape<'_> {
    match v {
        Value::List(l) => Shape::Seq(l.items()),
        Value::Map(m) => Shape::Map(m.borrow()),
        Value::Scope(s) => Shape::Map(s.storage().borrow()),
        Value::View(v) if v.kind == ViewKind::Keys => Shape::KeySet(v.map.borrow()),
        Value::View(v) if v.kind == ViewKind::Entries => Shape::EntrySet(v.map.borrow()),
        Value::Entry(e) => Shape::Entry(e),
        // A map's `values()` is the same object each time it is asked for.
        Value::View(v) => Shape::Identity(Rc::as_ptr(&v.map) as *const u8 as usize + 1),
        Value::Array(a) => Shape::Identity(Rc::as_ptr(a) as *const u8 as usize),
        Value::Block(b) => Shape::Identity(Rc::as_ptr(b) as *const u8 as usize),
        Value::ScopeInfo(s) => Shape::Identity(Rc::as_ptr(s) as *const u8 as usize + 2),
        Value::Iterator(i) => Shape::Identity(Rc::as_ptr(i) as *const u8 as usize),
        _ => Shape::Scalar,
    }
}

/// The object a value refers to, when it is one (`==` in Java).
fn address(v: &Value) -> Option<usize> {
    Some(match v {
        Value::List(l) => Rc::as_ptr(l) as *const u8 as usize,
        Value::Map(m) => Rc::as_ptr(m) as *const u8 as usize,
        Value::Scope(s) => Rc::as_ptr(s) as *const u8 as usize,
        Value::Entry(e) => Rc::as_ptr(e) as *const u8 as usize,
        Value::View(v) => Rc::as_ptr(v) as *const u8 as usize,
        _ => return None,
    })
}

/// Java's `a.equals(b)` (a not null).
pub fn java_equals(a: &Value, b: &Value) -> bool {
    equals(a, b, 0)
}

#[inline]
fn equals(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x == y,
        (Value::Str(_), _) | (_, Value::Str(_)) => false,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => other_equals(a, b, depth),
    }
}

/// [`equals`] of the values other than strings, ints and null.
#[inline(never)]
fn other_equals(a: &Value, b: &Value, depth: usize) -> bool {
    if address(a).is_some() && address(a) == address(b) {
        return true;
    }
    if depth > MAX_COMPARE_DEPTH {
        return false;
    }
    crate::budget::tick(1);
    let depth = depth + 1;
    match (shape(a), shape(b)) {
        (Shape::Scalar, Shape::Scalar) => scalar_equals(a, b),
        (Shape::Seq(x), Shape::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(p, q, depth))
        }
        (Shape::Map(x), Shape::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.get_at_depth(k, depth).is_some_and(|w| equals(v, w, depth)))
        }
        (Shape::KeySet(x), Shape::KeySet(y)) => {
            x.len() == y.len() && x.keys().all(|k| y.get_at_depth(k, depth).is_some())
        }
        (Shape::EntrySet(x), Shape::EntrySet(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.get_at_depth(k, depth).is_some_and(|w| equals(v, w, depth)))
        }
        // A key set and an entry set hold different things: equal only when both are empty.
        (Shape::KeySet(x), Shape::EntrySet(y)) | (Shape::EntrySet(x), Shape::KeySet(y)) => {
            x.is_empty() && y.is_empty()
        }
        (Shape::Entry(x), Shape::Entry(y)) => {
            equals(&x.key, &y.key, depth) && equals(&x.value(), &y.value(), depth)
        }
        (Shape::Identity(x), Shape::Identity(y)) => x == y,
        _ => false,
    }
}

/// `equals` of two values without collections: the same class and value (doubles and floats by
/// their bits, every NaN the same; BigDecimals by value and scale).
fn scalar_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Byte(x), Value::Byte(y)) => x == y,
        (Value::Short(x), Value::Short(y)) => x == y,
        (Value::Long(x), Value::Long(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => float_bits(*x) == float_bits(*y),
        (Value::Double(x), Value::Double(y)) => double_bits(*x) == double_bits(*y),
        (Value::BigDecimal(x), Value::BigDecimal(y)) => x.unscaled == y.unscaled && x.scale == y.scale,
        (Value::Char(x), Value::Char(y)) => x == y,
        (Value::Class(x), Value::Class(y)) => x == y,
        _ => false,
    }
}

fn float_bits(f: f32) -> u32 {
    if f.is_nan() {
        0x7fc0_0000
    } else {
        f.to_bits()
    }
}

fn double_bits(d: f64) -> u64 {
    if d.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        d.to_bits()
    }
}

/// A hash agreeing with [`java_equals`] (equal values hash alike), for the index of [`JMap`].
fn key_hash(v: &Value, depth: usize) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    std::mem::discriminant(v).hash(&mut h);
    match v {
        Value::Str(s) => s.hash(&mut h),
        Value::Int(i) => i.hash(&mut h),
        _ if depth > MAX_COMPARE_DEPTH => {}
        other => {
            crate::budget::tick(1);
            let depth = depth + 1;
            // Sets and maps of any order hash alike: their members' hashes are added.
            let sum = |items: &mut dyn Iterator<Item = u64>| items.fold(0u64, u64::wrapping_add);
            let entry = |k: &Value, v: &Value| key_hash(k, depth).rotate_left(5) ^ key_hash(v, depth);
            match shape(other) {
                Shape::Scalar => scalar_hash(other, &mut h),
                Shape::Seq(items) => items.iter().for_each(|e| key_hash(e, depth).hash(&mut h)),
                Shape::Map(m) => (0u8, sum(&mut m.iter().map(|(k, v)| entry(k, v)))).hash(&mut h),
                Shape::KeySet(m) => (1u8, sum(&mut m.keys().map(|k| key_hash(k, depth)))).hash(&mut h),
                Shape::EntrySet(m) => (1u8, sum(&mut m.iter().map(|(k, v)| entry(k, v)))).hash(&mut h),
                Shape::Entry(e) => entry(&e.key, &e.value()).hash(&mut h),
                Shape::Identity(address) => address.hash(&mut h),
            }
        }
    }
    h.finish()
}

fn scalar_hash(v: &Value, h: &mut rustc_hash::FxHasher) {
    use std::hash::Hash;
    match v {
        Value::Bool(b) => b.hash(h),
        Value::Byte(i) => i.hash(h),
        Value::Short(i) => i.hash(h),
        Value::Long(i) => i.hash(h),
        Value::BigInt(b) => b.hash(h),
        Value::Float(f) => float_bits(*f).hash(h),
        Value::Double(d) => double_bits(*d).hash(h),
        Value::BigDecimal(d) => (&d.unscaled, d.scale).hash(h),
        Value::Char(c) => c.hash(h),
        Value::Class(c) => c.hash(h),
        _ => {}
    }
}

/// An integer as Java prints it.
pub fn push_integer(out: &mut String, i: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(i));
}

/// A `LinkedHashMap`: insertion order, keys compared with Java's `equals`. Small maps (most
/// JSON objects) are searched in order; larger ones get a hash index.
#[derive(Clone, Default)]
pub struct JMap {
    slots: Vec<Option<(Value, Value)>>,
    /// The slots of the keys by their [`key_hash`], once there are more than [`SMALL_MAP`]
    /// slots (keys are not copied: a list as a key stays one).
    index: Option<FxHashMap<u64, SmallVec<[usize; 1]>>>,
    len: usize,
    /// Structural changes (new keys, removals), for fail-fast iteration.
    mods: u32,
}

const SMALL_MAP: usize = 8;

impl JMap {
    pub fn with_capacity(n: usize) -> Self {
        JMap { slots: Vec::with_capacity(n), index: None, len: 0, mods: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes room for `extra` more entries, refusing growth past the memory budget (a full map
    /// doubles its slots and its index).
    pub fn grow(&mut self, extra: usize) -> Result<(), Error> {
        if extra > self.slots.capacity() - self.slots.len() {
            let slots = self.slots.len().saturating_add(extra).max(self.slots.capacity() * 2);
            crate::budget::reserve(slots.saturating_mul(std::mem::size_of::<Option<(Value, Value)>>() + 16))?;
            self.slots.reserve(extra);
        }
        Ok(())
    }

    /// A copy, checked against the memory budget.
    pub fn copy(&self) -> Result<JMap, Error> {
        crate::budget::reserve(
            self.slots.len().saturating_mul(std::mem::size_of::<Option<(Value, Value)>>() + 16),
        )?;
        crate::budget::tick(self.slots.len());
        Ok(self.clone())
    }

    fn position(&self, key: &Value) -> Option<usize> {
        self.position_at(key, 0)
    }

    /// The slot of a key, compared at a nesting depth (the map is itself being compared).
    fn position_at(&self, key: &Value, depth: usize) -> Option<usize> {
        let same = |slot: &Option<(Value, Value)>| matches!(slot, Some((k, _)) if equals(k, key, depth));
        match &self.index {
            Some(index) => index.get(&key_hash(key, depth))?.iter().copied().find(|&i| same(&self.slots[i])),
            None => self.slots.iter().position(same),
        }
    }

    pub fn get(&self, key: &Value) -> Option<&Value> {
        let i = self.position(key)?;
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    fn get_at_depth(&self, key: &Value, depth: usize) -> Option<&Value> {
        let i = self.position_at(key, depth)?;
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    /// `get` trying the slot where the key was last time first, then remembering where it is.
    #[inline]
    pub fn get_hinted(&self, key: &Value, hint: &crate::compile::SlotHint) -> Option<&Value> {
        if let Some(Some((k, v))) = self.slots.get(hint.get() as usize) {
            // Keys a template names are the data's own key strings (see `Engine::from_json`).
            if matches!((k, key), (Value::Str(x), Value::Str(y)) if Rc::ptr_eq(x, y)) {
                return Some(v);
            }
        }
        self.get_unhinted(key, hint)
    }

    /// [`JMap::get_hinted`] when the key is not the very string in the hinted slot.
    #[inline(never)]
    fn get_unhinted(&self, key: &Value, hint: &crate::compile::SlotHint) -> Option<&Value> {
        if let Some(Some((k, v))) = self.slots.get(hint.get() as usize) {
            if java_equals(k, key) {
                return Some(v);
            }
        }
        let i = self.position(key)?;
        hint.set(i as u32);
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &Value) -> bool {
        self.position(key).is_some()
    }

    /// Puts a value; an existing key keeps its place. Returns the previous value.
    pub fn put(&mut self, key: Value, value: Value) -> Option<Value> {
        if let Some(i) = self.position(&key) {
            let slot = self.slots[i].as_mut().expect("a found slot is live");
            return Some(std::mem::replace(&mut slot.1, value));
        }
        if let Some(index) = &mut self.index {
            index.entry(key_hash(&key, 0)).or_default().push(self.slots.len());
        }
        self.slots.push(Some((key, value)));
        self.len += 1;
        self.mods = self.mods.wrapping_add(1);
        if self.index.is_none() && self.slots.len() > SMALL_MAP {
            self.reindex();
        }
        None
    }

    fn reindex(&mut self) {
        let mut index = FxHashMap::<u64, SmallVec<[usize; 1]>>::default();
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some((k, _)) = slot {
                index.entry(key_hash(k, 0)).or_default().push(i);
            }
        }
        self.index = Some(index);
    }

    pub fn remove(&mut self, key: &Value) -> Option<Value> {
        let i = self.position(key)?;
        if let Some(index) = &mut self.index {
            let hash = key_hash(key, 0);
            if let Some(slots) = index.get_mut(&hash) {
                slots.retain(|j| *j != i);
                if slots.is_empty() {
                    index.remove(&hash);
                }
            }
        }
        let (_, v) = self.slots[i].take()?;
        self.len -= 1;
        self.mods = self.mods.wrapping_add(1);
        if self.slots.len() > 32 && self.len * 2 < self.slots.len() {
            self.compact();
        }
        Some(v)
    }

    fn compact(&mut self) {
        self.slots.retain(Option::is_some);
        if self.index.is_some() {
            self.reindex();
        }
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.index = None;
        self.len = 0;
        self.mods = self.mods.wrapping_add(1);
    }

    pub fn mods(&self) -> u32 {
        self.mods
    }

    /// The number of slots: positions for [`JMap::entry_at`], some of them empty.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    pub fn entry_at(&self, slot: usize) -> Option<(&Value, &Value)> {
        self.slots.get(slot).and_then(|e| e.as_ref()).map(|(k, v)| (k, v))
    }

    /// Replaces the value of an existing key (not a structural change).
    pub fn set_existing(&mut self, key: &Value, value: Value) -> Option<Value> {
        let i = self.position(key)?;
        let slot = self.slots[i].as_mut()?;
        Some(std::mem::replace(&mut slot.1, value))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.slots.iter().flatten().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(_, v)| v)
    }
}

/// Java's `hashCode()` of the values that can be map keys; others hash as 0 (their order in a
/// HashMap is then insertion order within one bucket, an approximation). Nesting deeper than
/// printing allows (a list that contains itself) is Java's StackOverflowError.
pub fn java_hash(v: &Value) -> Result<i32, Error> {
    hash_code(v, 0)
}

fn hash_code(v: &Value, depth: usize) -> Result<i32, Error> {
    if depth > MAX_PRINT_DEPTH {
        return Err(too_deep());
    }
    Ok(match v {
        Value::Null => 0,
        Value::Bool(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::Byte(b) => i32::from(*b),
        Value::Short(s) => i32::from(*s),
        Value::Float(f) => (if f.is_nan() { 0x7fc0_0000 } else { f.to_bits() }) as i32,
        Value::Int(i) => *i,
        Value::Long(l) => (*l ^ ((*l as u64) >> 32) as i64) as i32,
        Value::Double(d) => {
            let bits = if d.is_nan() { 0x7ff8_0000_0000_0000u64 } else { d.to_bits() };
            (bits ^ (bits >> 32)) as i32
        }
        Value::Char(c) => i32::from(*c),
        Value::Str(s) => {
            crate::budget::scan(s.len());
            string_hash(s)
        }
        Value::BigInt(b) => big_integer_hash(b),
        Value::BigDecimal(d) => big_integer_hash(&d.unscaled).wrapping_mul(31).wrapping_add(d.scale),
        Value::List(l) => {
            crate::budget::tick(l.len());
            let mut h = 1i32;
            for e in l.items().iter() {
                h = h.wrapping_mul(31).wrapping_add(hash_code(e, depth + 1)?);
            }
            h
        }
        Value::Map(m) => {
            crate::budget::tick(m.borrow().len());
            let mut h = 0i32;
            for (k, v) in m.borrow().iter() {
                h = h.wrapping_add(hash_code(k, depth + 1)? ^ hash_code(v, depth + 1)?);
            }
            h
        }
        _ => 0,
    })
}

/// `BigInteger.hashCode()`: over the magnitude's 32-bit words, most significant first, times
/// the sign.
fn big_integer_hash(b: &BigInt) -> i32 {
    let (sign, words) = b.to_u32_digits();
    let h = words.iter().rev().fold(0i32, |h, w| h.wrapping_mul(31).wrapping_add(*w as i32));
    match sign {
        num_bigint::Sign::Minus => h.wrapping_neg(),
        num_bigint::Sign::NoSign => 0,
        num_bigint::Sign::Plus => h,
    }
}

/// `String.hashCode()` over UTF-16 units.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The entries of a Java `HashMap` in its iteration order: by bucket of the spread hash, in
/// insertion order within a bucket, for a table grown from 16 slots at load factor 0.75.
pub fn hash_order(m: &JMap) -> Result<JMap, Error> {
    let mut capacity = 16usize;
    while m.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    // The sorted entries, then the map made of them (slots and index).
    crate::budget::reserve(m.len().saturating_mul(24 + 2 * std::mem::size_of::<Value>() + 16))?;
    let mut entries = Vec::with_capacity(m.len());
    for (k, v) in m.iter() {
        let h = java_hash(k)? as u32;
        entries.push((((h ^ (h >> 16)) as usize) & (capacity - 1), k, v));
    }
    crate::budget::tick(entries.len());
    entries.sort_by_key(|e| e.0);
    let mut out = JMap::with_capacity(entries.len());
    for (_, k, v) in entries {
        out.put(k.clone(), v.clone());
    }
    Ok(out)
}

/// `Scope.Info.toString()` of a `#foreach` scope.
pub fn scope_info_text(s: &Scope) -> String {
    let mut out = String::from("#foreach[type:block");
    let depth = s.depth();
    if depth > 1 {
        let _ = write!(out, " depth:{depth}");
    }
    out.push_str(" template:");
    if s.template.contains(' ') {
        let _ = write!(out, "\"{}\"", s.template);
    } else {
        out.push_str(&s.template);
    }
    let _ = write!(out, " line:{} column:{}]", s.line, s.column);
    out
}

/// What printing needs from the renderer: `#define` blocks render themselves, and no string may
/// outgrow the output limit.
pub trait Printer {
    /// The text of a block as `toString()` gives it, or `None` (Java's null).
    fn block_text(&mut self, block: &Rc<crate::render::BlockRef>) -> Result<Option<String>, Thrown>;
    /// The longest string a value may print to or a method may build.
    fn string_limit(&self) -> usize;
}

/// Nesting deeper than this is Java's StackOverflowError.
const MAX_PRINT_DEPTH: usize = 512;

fn too_deep() -> Error {
    Error::new(
        ErrorKind::Runtime,
        "java.lang.StackOverflowError: a value nests too deeply (it may contain itself)",
    )
}

/// The error for a string that would outgrow `limit` characters.
pub fn too_long(limit: usize) -> Thrown {
    Error::new(
        ErrorKind::Limit(Limit::OutputSize),
        format!(
            "a string would exceed the output limit of {limit} characters ({})",
            Limit::OutputSize.name()
        ),
    )
    .into()
}

impl Value {
    /// Java's `toString()`; `Ok(None)` when it returns null (a block that cannot render).
    pub fn to_java_string(&self, printer: &mut dyn Printer) -> Result<Option<String>, Thrown> {
        match self {
            Value::Str(s) => {
                crate::budget::reserve(s.len())?;
                Ok(Some(s.to_string()))
            }
            Value::Block(b) => printer.block_text(b),
            _ => {
                let mut out = String::new();
                self.write_java(&mut out, printer, 0)?;
                Ok(Some(out))
            }
        }
    }

    /// `String.valueOf(this)` appended to `out`.
    fn write_java(&self, out: &mut String, printer: &mut dyn Printer, depth: usize) -> Result<(), Thrown> {
        if depth > MAX_PRINT_DEPTH {
            return Err(too_deep().into());
        }
        if out.len() > printer.string_limit() {
            return Err(too_long(printer.string_limit()));
        }
        crate::budget::tick(1);
        crate::budget::extend(out, 32)?;
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                push_integer(out, *i);
            }
            Value::Byte(i) => {
                push_integer(out, *i);
            }
            Value::Short(i) => {
                push_integer(out, *i);
            }
            Value::Float(f) => out.push_str(&jdouble::float_to_string(*f)),
            Value::Long(l) => {
                push_integer(out, *l);
            }
            Value::BigInt(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Double(d) => jdouble::write(out, *d),
            Value::BigDecimal(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Char(c) => out.push_str(&utf16_to_string(&[*c])),
            Value::Str(s) => {
                crate::budget::extend(out, s.len())?;
                out.push_str(s)
            }
            Value::List(l) => {
                let ptr = Rc::as_ptr(l) as *const u8 as usize;
                write_seq(out, l.items().iter(), printer, depth, |v| same(v, ptr), "(this Collection)")?;
            }
            // Java prints these objects' class and identity hash, which no other engine can
            // match; the class is printed with a hash of the address.
            Value::Array(a) => {
                let _ = write!(out, "{}@{:x}", a.class.name(), (Rc::as_ptr(a) as usize >> 4) & 0x7fff_ffff);
            }
            Value::Iterator(i) => {
                let _ = write!(
                    out,
                    "{}@{:x}",
                    JClass::Iterator.name(),
                    (Rc::as_ptr(i) as usize >> 4) & 0x7fff_ffff
                );
            }
            Value::Map(m) => {
                let ptr = Rc::as_ptr(m) as *const u8 as usize;
                write_map(out, &m.borrow(), printer, depth, ptr)?;
            }
            Value::Scope(s) => {
                let ordered = hash_order(&s.storage().borrow())?;
                write_map(out, &ordered, printer, depth, 0)?
            }
            Value::ScopeInfo(s) => out.push_str(&scope_info_text(s)),
            Value::Entry(e) => {
                e.key.write_java(out, printer, depth + 1)?;
                out.push('=');
                e.value().write_java(out, printer, depth + 1)?;
            }
            Value::View(v) => {
                let (m, kind) = (&v.map, &v.kind);
                let items = view_elements(m, *kind)?;
                let ptr = Rc::as_ptr(m) as *const u8 as usize;
                write_seq(out, items.iter(), printer, depth, |v| same_map(v, ptr), "(this Map)")?;
            }
            Value::Class(c) => {
                out.push_str("class ");
                out.push_str(c.name());
            }
            Value::Block(b) => match printer.block_text(b)? {
                Some(text) => out.push_str(&text),
                None => out.push_str("null"),
            },
        }
        Ok(())
    }
}

fn same(v: &Value, ptr: usize) -> bool {
    matches!(v, Value::List(l) if Rc::as_ptr(l) as *const u8 as usize == ptr)
}

fn same_map(v: &Value, ptr: usize) -> bool {
    matches!(v, Value::Map(m) if Rc::as_ptr(m) as *const u8 as usize == ptr)
}

fn write_seq<'a>(
    out: &mut String,
    items: impl Iterator<Item = &'a Value>,
    printer: &mut dyn Printer,
    depth: usize,
    is_self: impl Fn(&Value) -> bool,
    self_text: &str,
) -> Result<(), Thrown> {
    out.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if is_self(v) {
            out.push_str(self_text);
        } else {
            v.write_java(out, printer, depth + 1)?;
        }
    }
    out.push(']');
    Ok(())
}

fn write_map(
    out: &mut String,
    m: &JMap,
    printer: &mut dyn Printer,
    depth: usize,
    ptr: usize,
) -> Result<(), Thrown> {
    out.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, part) in [k, v].into_iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            if ptr != 0 && same_map(part, ptr) {
                out.push_str("(this Map)");
            } else {
                part.write_java(out, printer, depth + 1)?;
            }
        }
    }
    out.push('}');
    Ok(())
}

/// UTF-16 units to a Rust string; a lone surrogate becomes `?`, as Java's UTF-8 encoder writes it.
pub fn utf16_to_string(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or('?')).collect()
}

/// Converts JSON as the reference harness does: objects to LinkedHashMaps, arrays to ArrayLists,
/// integers to Integer, Long or BigInteger by size, other numbers to Double.
pub fn from_json(v: &serde_json::Value) -> Value {
    from_json_keys(v, &|k| Rc::from(k))
}

/// [`from_json`] with the object keys made by `key` (an engine shares the keys templates name).
pub fn from_json_keys(v: &serde_json::Value, key: &dyn Fn(&str) -> Rc<str>) -> Value {
    crate::budget::tick(1);
    let from_json = |v| from_json_keys(v, key);
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Number(n) => number_from_lexical(&n.to_string()),
        serde_json::Value::Array(items) => Value::list(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            let mut m = JMap::with_capacity(map.len());
            for (k, v) in map {
                m.put(Value::Str(key(k)), from_json(v));
            }
            Value::map(m)
        }
    }
}

/// A JSON number's lexical form as the harness converts it.
pub fn number_from_lexical(s: &str) -> Value {
    let is_integer = {
        let digits = s.strip_prefix('-').unwrap_or(s);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if is_integer {
        if let Ok(i) = s.parse::<i32>() {
            return Value::Int(i);
        }
        if let Ok(l) = s.parse::<i64>() {
            return Value::Long(l);
        }
        if let Ok(b) = s.parse::<BigInt>() {
            return Value::bigint(b);
        }
    }
    Value::Double(s.parse().unwrap_or(f64::NAN))
}

/// A printer for unit tests: no blocks, a 1 MiB limit.
#[cfg(test)]
pub(crate) struct TestPrinter;

#[cfg(test)]
impl Printer for TestPrinter {
    fn block_text(&mut self, _: &Rc<crate::render::BlockRef>) -> Result<Option<String>, Thrown> {
        Ok(None)
    }

    fn string_limit(&self) -> usize {
        1 << 20
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn show(v: &Value) -> String {
        v.to_java_string(&mut TestPrinter).unwrap().unwrap()
    }

    #[test]
    fn json_becomes_java_objects() {
        let v = from_json(
            &json!({"b": [1, 2147483648u64, 9223372036854775808u64, 1.0, "x", null, true], "a": {}}),
        );
        assert_eq!(show(&v), "{b=[1, 2147483648, 9223372036854775808, 1.0, x, null, true], a={}}");
        let Value::Map(m) = &v else { panic!() };
        let b = m.borrow().get(&Value::str("b")).unwrap().clone();
        let classes: Vec<_> =
            b.elements().unwrap().unwrap().iter().map(|e| e.class().map(JClass::simple_name)).collect();
        assert_eq!(
            classes,
            vec![
                Some("Integer"),
                Some("Long"),
                Some("BigInteger"),
                Some("Double"),
                Some("String"),
                None,
                Some("Boolean")
            ]
        );
    }

    #[test]
    fn maps_keep_order_and_java_equality() {
        let mut m = JMap::default();
        m.put(Value::Int(1), Value::str("int"));
        m.put(Value::Long(1), Value::str("long"));
        m.put(Value::str("k"), Value::Int(1));
        assert_eq!(m.len(), 3, "Integer 1 and Long 1 are different keys");
        assert_eq!(m.put(Value::str("k"), Value::Int(2)).map(|v| show(&v)), Some("1".into()));
        m.remove(&Value::Int(1));
        m.put(Value::Int(1), Value::str("again"));
        assert_eq!(show(&Value::map(m)), "{1=long, k=2, 1=again}");
    }

    #[test]
    fn self_references_print_as_java_does() {
        let l = Value::list(vec![Value::Int(1)]);
        if let Value::List(inner) = &l {
            inner.resize().push(l.clone());
        }
        assert_eq!(show(&l), "[1, (this Collection)]");
        assert!(java_equals(&Value::Double(f64::NAN), &Value::Double(f64::NAN)));
        assert!(!java_equals(&Value::Double(0.0), &Value::Double(-0.0)));
        assert!(!java_equals(&Value::Int(1), &Value::Long(1)));
    }

    #[test]
    fn lone_surrogates_print_as_question_marks() {
        assert_eq!(utf16_to_string(&[0xd83d]), "?");
        assert_eq!(utf16_to_string(&[0xd83d, 0xde00]), "😀");
    }
}
