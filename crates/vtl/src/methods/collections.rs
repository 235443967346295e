//! Methods of ArrayList, of arrays through Velocity's ArrayListWrapper, of LinkedHashMap and its
//! key/value/entry views and entries, and of the `$foreach` scope (a map with loop properties).

use super::{arg_int, class_cast, npe, text_value, Fault, JavaError, MResult, MethodFn};
use crate::budget;
use crate::cycles::{self, Node};
use crate::iter::JIter;
use crate::value::{
    copy_items, hash_order, java_equals, view_elements, JArray, JClass, JList, JMap, MapEntry, Scope, Value,
    ViewKind,
};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

fn out_of_bounds(class: &'static str, index: i64, len: usize) -> Fault {
    JavaError::new(class, format!("Index {index} out of bounds for length {len}")).into()
}

fn unsupported() -> Fault {
    JavaError { class: "java.lang.UnsupportedOperationException", message: None }.into()
}

fn new_array(class: JClass, items: Vec<Value>) -> Value {
    Value::Array(Rc::new(JArray { class, items: RefCell::new(items) }))
}

/// The elements of a Collection argument (a copy).
fn collection(v: &Value) -> Result<Vec<Value>, Fault> {
    if v.is_null() {
        return Err(npe());
    }
    v.elements()?.ok_or_else(npe)
}

/// Makes room for `extra` more elements in a list, refusing growth past the memory budget.
fn room_for(l: &JList, extra: usize) -> Result<(), Fault> {
    Ok(budget::extend_vec(&mut l.replace(), extra)?)
}

/// Notes a list that gets these values (see [`crate::cycles`]).
fn list_gets(r: &Value, values: &[Value]) -> Result<(), Fault> {
    for v in values {
        cycles::linked(|| Node::List(list(r).clone()), v)?;
    }
    Ok(())
}

/// Notes a map that gets this value.
fn map_gets(m: &Rc<RefCell<JMap>>, v: &Value) -> Result<(), Fault> {
    Ok(cycles::linked(|| Node::Map(m.clone()), v)?)
}

/// `Comparable.compareTo` between two elements, for `sort(null)`.
fn natural(a: &Value, b: &Value) -> Result<Ordering, Fault> {
    Ok(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => return Err(npe()),
        (Value::Str(x), Value::Str(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Char(x), Value::Char(y)) => x.cmp(y),
        (x, y) if x.is_number() && x.class() == y.class() => match (x, y) {
            (Value::Double(p), Value::Double(q)) => p.total_cmp(q),
            (Value::Float(p), Value::Float(q)) => p.total_cmp(q),
            (Value::BigDecimal(p), Value::BigDecimal(q)) => p.compare(q),
            (Value::BigInt(p), Value::BigInt(q)) => p.cmp(q),
            _ => x.to_i64().cmp(&y.to_i64()),
        },
        (x, y) => {
            let comparable = x.is_number() || matches!(x, Value::Str(_) | Value::Bool(_) | Value::Char(_));
            return Err(if comparable {
                class_cast(y, x.class().map_or("", JClass::name))
            } else {
                class_cast(x, "java.lang.Comparable")
            });
        }
    })
}

/// `sort(null)` of a copy of `items` (the stable sort's buffer is as large again).
fn sorted(items: &[Value]) -> Result<Vec<Value>, Fault> {
    budget::reserve_for::<Value>(items.len())?;
    let mut items = copy_items(items)?;
    let mut failure = None;
    items.sort_by(|a, b| {
        budget::tick(1);
        natural(a, b).unwrap_or_else(|e| {
            failure.get_or_insert(e);
            Ordering::Equal
        })
    });
    failure.map_or(Ok(items), Err)
}

/// Elements compared between two ticks.
const CHUNK: usize = 1024;

fn index_of(items: &[Value], o: &Value) -> i32 {
    for (c, chunk) in items.chunks(CHUNK).enumerate() {
        budget::tick(chunk.len());
        if let Some(i) = chunk.iter().position(|e| java_equals(o, e)) {
            return (c * CHUNK + i) as i32;
        }
    }
    -1
}

fn last_index_of(items: &[Value], o: &Value) -> i32 {
    let mut end = items.len();
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        budget::tick(end - start);
        if let Some(i) = items[start..end].iter().rposition(|e| java_equals(o, e)) {
            return (start + i) as i32;
        }
        end = start;
    }
    -1
}

/// `containsAll`: every element of the argument is among `items`.
fn contains_all(items: &[Value], other: &Value) -> MResult {
    Ok(Value::Bool(collection(other)?.iter().all(|o| index_of(items, o) >= 0)))
}

// ---- ArrayList ------------------------------------------------------------------------------

fn list(r: &Value) -> &Rc<JList> {
    match r {
        Value::List(l) => l,
        _ => unreachable!("ArrayList methods are only looked up for lists"),
    }
}

fn list_index(l: &JList, index: i32, allow_end: bool) -> Result<usize, Fault> {
    let len = l.len();
    let ok = index >= 0 && (index as usize) < len + usize::from(allow_end);
    if ok {
        Ok(index as usize)
    } else {
        Err(out_of_bounds("java.lang.IndexOutOfBoundsException", i64::from(index), len))
    }
}

fn sub_list(items: &[Value], from: i32, to: i32) -> MResult {
    if from < 0 || to as i64 > items.len() as i64 || from > to {
        let message = if from < 0 {
            format!("fromIndex = {from}")
        } else if from > to {
            format!("fromIndex({from}) > toIndex({to})")
        } else {
            format!("toIndex = {to}")
        };
        return Err(JavaError::new("java.lang.IndexOutOfBoundsException", message).into());
    }
    Ok(Value::list(copy_items(&items[from as usize..to as usize])?))
}

fn array_list(key: &str) -> Option<MethodFn> {
    Some(match key {
        "size()" => |_, r, _| Ok(Value::Int(list(r).len() as i32)),
        "isEmpty()" => |_, r, _| Ok(Value::Bool(list(r).is_empty())),
        "get(int)" => |_, r, a| {
            let l = list(r);
            let i = list_index(l, arg_int(&a[0]), false)?;
            Ok(l.get(i).unwrap_or(Value::Null))
        },
        "set(int,java.lang.Object)" => |_, r, a| {
            let l = list(r);
            let i = list_index(l, arg_int(&a[0]), false)?;
            list_gets(r, &a[1..])?;
            Ok(std::mem::replace(&mut l.replace()[i], a[1].clone()))
        },
        "add(java.lang.Object)" => |_, r, a| {
            room_for(list(r), 1)?;
            list_gets(r, a)?;
            list(r).resize().push(a[0].clone());
            Ok(Value::Bool(true))
        },
        "add(int,java.lang.Object)" => |_, r, a| {
            let l = list(r);
            let i = list_index(l, arg_int(&a[0]), true)?;
            room_for(l, 1)?;
            list_gets(r, &a[1..])?;
            budget::tick(l.len() - i);
            l.resize().insert(i, a[1].clone());
            Ok(Value::Null)
        },
        "remove(int)" => |_, r, a| {
            let l = list(r);
            let i = list_index(l, arg_int(&a[0]), false)?;
            budget::tick(l.len() - i);
            Ok(l.resize().remove(i))
        },
        "remove(java.lang.Object)" => |_, r, a| {
            let l = list(r);
            let i = index_of(&l.items(), &a[0]);
            if i >= 0 {
                l.resize().remove(i as usize);
            }
            Ok(Value::Bool(i >= 0))
        },
        "contains(java.lang.Object)" => |_, r, a| Ok(Value::Bool(index_of(&list(r).items(), &a[0]) >= 0)),
        "indexOf(java.lang.Object)" => |_, r, a| Ok(Value::Int(index_of(&list(r).items(), &a[0]))),
        "lastIndexOf(java.lang.Object)" => |_, r, a| Ok(Value::Int(last_index_of(&list(r).items(), &a[0]))),
        "containsAll(java.util.Collection)" => |_, r, a| contains_all(&list(r).items(), &a[0]),
        "clear()" => |_, r, _| {
            list(r).resize().clear();
            Ok(Value::Null)
        },
        "addAll(java.util.Collection)" => |_, r, a| {
            let more = collection(&a[0])?;
            let changed = !more.is_empty();
            room_for(list(r), more.len())?;
            list_gets(r, &more)?;
            list(r).resize().extend(more);
            Ok(Value::Bool(changed))
        },
        "addAll(int,java.util.Collection)" => |_, r, a| {
            let l = list(r);
            let i = list_index(l, arg_int(&a[0]), true)?;
            let more = collection(&a[1])?;
            let changed = !more.is_empty();
            room_for(l, more.len())?;
            list_gets(r, &more)?;
            budget::tick(l.len() - i);
            l.resize().splice(i..i, more);
            Ok(Value::Bool(changed))
        },
        "subList(int,int)" => |_, r, a| sub_list(&list(r).items(), arg_int(&a[0]), arg_int(&a[1])),
        "toArray()" | "toArray(java.lang.Object[])" => {
            |_, r, _| Ok(new_array(JClass::ObjectArray, copy_items(&list(r).items())?))
        }
        "clone()" => |_, r, _| Ok(Value::list(copy_items(&list(r).items())?)),
        "sort(java.util.Comparator)" => |_, r, a| {
            if !a[0].is_null() {
                return Err(unsupported());
            }
            let l = list(r);
            let items = sorted(&l.items())?;
            *l.replace() = items;
            Ok(Value::Null)
        },
        "ensureCapacity(int)" | "trimToSize()" => |_, _, _| Ok(Value::Null),
        _ => return None,
    })
}

/// `removeAll` / `retainAll` on a list: keep the elements (not) in the argument.
fn filter_list(r: &Value, other: &Value, keep_found: bool) -> MResult {
    let others = collection(other)?;
    let l = list(r);
    let before = l.len();
    budget::reserve_for::<Value>(before)?;
    let kept: Vec<Value> =
        l.items().iter().filter(|e| (index_of(&others, e) >= 0) == keep_found).cloned().collect();
    let changed = kept.len() != before;
    if changed {
        *l.resize() = kept;
    }
    Ok(Value::Bool(changed))
}

// ---- arrays through ArrayListWrapper -------------------------------------------------------

fn array(r: &Value) -> &Rc<JArray> {
    match r {
        Value::Array(a) => a,
        _ => unreachable!("ArrayListWrapper methods are only looked up for arrays"),
    }
}

/// An array as the ArrayListWrapper Velocity wraps it in (a copy of its elements).
fn as_list(r: &Value) -> MResult {
    Ok(Value::list(copy_items(&array(r).items.borrow())?))
}

fn array_index(a: &JArray, index: i32) -> Result<usize, Fault> {
    let len = a.items.borrow().len();
    if index >= 0 && (index as usize) < len {
        Ok(index as usize)
    } else {
        Err(out_of_bounds("java.lang.ArrayIndexOutOfBoundsException", i64::from(index), len))
    }
}

fn array_wrapper(key: &str) -> Option<MethodFn> {
    Some(match key {
        "size()" => |_, r, _| Ok(Value::Int(array(r).items.borrow().len() as i32)),
        "isEmpty()" => |_, r, _| Ok(Value::Bool(array(r).items.borrow().is_empty())),
        "get(int)" => |_, r, a| {
            let arr = array(r);
            let i = array_index(arr, arg_int(&a[0]))?;
            Ok(arr.items.borrow()[i].clone())
        },
        "set(int,java.lang.Object)" => |_, r, a| {
            let arr = array(r);
            let i = array_index(arr, arg_int(&a[0]))?;
            let fits = match arr.class {
                JClass::StringArray => matches!(a[1], Value::Str(_) | Value::Null),
                JClass::CharArray => matches!(a[1], Value::Char(_)),
                JClass::ByteArray => matches!(a[1], Value::Byte(_)),
                _ => true,
            };
            if !fits {
                return Err(
                    JavaError::new("java.lang.IllegalArgumentException", "argument type mismatch").into()
                );
            }
            cycles::linked(|| Node::Array(arr.clone()), &a[1])?;
            Ok(std::mem::replace(&mut arr.items.borrow_mut()[i], a[1].clone()))
        },
        "contains(java.lang.Object)" => {
            |_, r, a| Ok(Value::Bool(index_of(&array(r).items.borrow(), &a[0]) >= 0))
        }
        "indexOf(java.lang.Object)" => |_, r, a| Ok(Value::Int(index_of(&array(r).items.borrow(), &a[0]))),
        "lastIndexOf(java.lang.Object)" => {
            |_, r, a| Ok(Value::Int(last_index_of(&array(r).items.borrow(), &a[0])))
        }
        "containsAll(java.util.Collection)" => |_, r, a| contains_all(&array(r).items.borrow(), &a[0]),
        "subList(int,int)" => |_, r, a| sub_list(&array(r).items.borrow(), arg_int(&a[0]), arg_int(&a[1])),
        "toArray()" | "toArray(java.lang.Object[])" => {
            |_, r, _| Ok(new_array(JClass::ObjectArray, copy_items(&array(r).items.borrow())?))
        }
        "equals(java.lang.Object)" => |_, r, a| Ok(Value::Bool(java_equals(&as_list(r)?, &a[0]))),
        "hashCode()" => |_, r, _| Ok(Value::Int(crate::value::java_hash(&as_list(r)?)?)),
        "toString()" => |h, r, _| text_value(as_list(r)?.to_java_string(h)?),
        "add(java.lang.Object)"
        | "add(int,java.lang.Object)"
        | "remove(int)"
        | "remove(java.lang.Object)"
        | "clear()"
        | "addAll(java.util.Collection)"
        | "addAll(int,java.util.Collection)" => |_, _, _| Err(unsupported()),
        "sort(java.util.Comparator)" => |_, r, a| {
            if !a[0].is_null() {
                return Err(unsupported());
            }
            let arr = array(r);
            let items = sorted(&arr.items.borrow())?;
            *arr.items.borrow_mut() = items;
            Ok(Value::Null)
        },
        _ => return None,
    })
}

// ---- LinkedHashMap and the scope -----------------------------------------------------------

/// The entries of a map receiver: a LinkedHashMap's own, or the `$foreach` scope's storage.
fn storage(r: &Value) -> Rc<RefCell<JMap>> {
    match r {
        Value::Map(m) => m.clone(),
        Value::Scope(s) => s.storage().clone(),
        Value::View(v) => v.map.clone(),
        Value::Entry(e) => e.map.clone(),
        _ => Rc::new(RefCell::new(JMap::default())),
    }
}

/// A HashMap (the scope's storage) iterates in hash order; a LinkedHashMap in insertion order.
fn ordered(r: &Value) -> Result<JMap, Fault> {
    let m = storage(r);
    let m = m.borrow();
    Ok(if matches!(r, Value::Scope(_)) { hash_order(&m)? } else { m.copy()? })
}

/// `put` of a new or existing key, refusing growth past the memory budget.
fn put(m: &Rc<RefCell<JMap>>, key: Value, value: Value) -> Result<Option<Value>, Fault> {
    map_gets(m, &key)?;
    map_gets(m, &value)?;
    let mut m = m.borrow_mut();
    m.grow(1)?;
    Ok(m.put(key, value))
}

fn map_get(r: &Value, key: &Value) -> Value {
    match r {
        Value::Scope(s) => s.get(key),
        _ => storage(r).borrow().get(key).cloned().unwrap_or(Value::Null),
    }
}

fn map(key: &str) -> Option<MethodFn> {
    Some(match key {
        "get(java.lang.Object)" => |_, r, a| Ok(map_get(r, &a[0])),
        "getOrDefault(java.lang.Object,java.lang.Object)" => {
            |_, r, a| Ok(storage(r).borrow().get(&a[0]).cloned().unwrap_or_else(|| a[1].clone()))
        }
        "put(java.lang.Object,java.lang.Object)" => {
            |_, r, a| Ok(put(&storage(r), a[0].clone(), a[1].clone())?.unwrap_or(Value::Null))
        }
        "putIfAbsent(java.lang.Object,java.lang.Object)" => |_, r, a| {
            let m = storage(r);
            let current = m.borrow().get(&a[0]).cloned().unwrap_or(Value::Null);
            if current.is_null() {
                put(&m, a[0].clone(), a[1].clone())?;
            }
            Ok(current)
        },
        "putAll(java.util.Map)" => |_, r, a| {
            let other = match &a[0] {
                Value::Null => return Err(npe()),
                v => ordered(v)?,
            };
            let m = storage(r);
            m.borrow_mut().grow(other.len())?;
            budget::tick(other.len());
            for (k, v) in other.iter() {
                map_gets(&m, k)?;
                map_gets(&m, v)?;
                m.borrow_mut().put(k.clone(), v.clone());
            }
            Ok(Value::Null)
        },
        "remove(java.lang.Object)" => {
            |_, r, a| Ok(storage(r).borrow_mut().remove(&a[0]).unwrap_or(Value::Null))
        }
        "remove(java.lang.Object,java.lang.Object)" => |_, r, a| {
            let m = storage(r);
            let matches = m.borrow().get(&a[0]).is_some_and(|v| java_equals(v, &a[1]));
            if matches {
                m.borrow_mut().remove(&a[0]);
            }
            Ok(Value::Bool(matches))
        },
        "replace(java.lang.Object,java.lang.Object)" => |_, r, a| {
            let m = storage(r);
            map_gets(&m, &a[1])?;
            let old = m.borrow_mut().set_existing(&a[0], a[1].clone());
            Ok(old.unwrap_or(Value::Null))
        },
        "replace(java.lang.Object,java.lang.Object,java.lang.Object)" => |_, r, a| {
            let m = storage(r);
            let matches = m.borrow().get(&a[0]).is_some_and(|v| java_equals(v, &a[1]));
            if matches {
                map_gets(&m, &a[2])?;
                m.borrow_mut().set_existing(&a[0], a[2].clone());
            }
            Ok(Value::Bool(matches))
        },
        "containsKey(java.lang.Object)" => |_, r, a| Ok(Value::Bool(storage(r).borrow().contains_key(&a[0]))),
        "containsValue(java.lang.Object)" => |_, r, a| {
            let m = storage(r);
            let m = m.borrow();
            budget::tick(m.len());
            let found = m.values().any(|v| java_equals(&a[0], v));
            Ok(Value::Bool(found))
        },
        "size()" => |_, r, _| Ok(Value::Int(storage(r).borrow().len() as i32)),
        "isEmpty()" => |_, r, _| Ok(Value::Bool(storage(r).borrow().is_empty())),
        "clear()" => |_, r, _| {
            storage(r).borrow_mut().clear();
            Ok(Value::Null)
        },
        "keySet()" => |_, r, _| Ok(Value::view(storage(r), ViewKind::Keys)),
        "values()" => |_, r, _| Ok(Value::view(storage(r), ViewKind::Values)),
        "entrySet()" => |_, r, _| Ok(Value::view(storage(r), ViewKind::Entries)),
        "clone()" => |_, r, _| Ok(Value::map(storage(r).borrow().copy()?)),
        _ => return None,
    })
}

fn scope(r: &Value) -> &Rc<Scope> {
    match r {
        Value::Scope(s) => s,
        _ => unreachable!("scope methods are only looked up for scopes"),
    }
}

fn foreach_scope(key: &str) -> Option<MethodFn> {
    Some(match key {
        "getIndex()" => |_, r, _| Ok(Value::Int(scope(r).index.get())),
        "getCount()" => |_, r, _| Ok(Value::Int(scope(r).index.get() + 1)),
        "hasNext()" | "getHasNext()" => |_, r, _| Ok(Value::Bool(scope(r).has_next.get())),
        "isFirst()" | "getFirst()" => |_, r, _| Ok(Value::Bool(scope(r).index.get() < 1)),
        "isLast()" | "getLast()" => |_, r, _| Ok(Value::Bool(!scope(r).has_next.get())),
        "getParent()" => |_, r, _| Ok(scope(r).parent.clone().map_or(Value::Null, Value::Scope)),
        "getTopmost()" => |_, r, _| Ok(Value::Scope(scope(r).topmost())),
        "getReplaced()" => |_, r, _| Ok(scope(r).replaced()),
        "getInfo()" => |_, r, _| Ok(Value::ScopeInfo(scope(r).clone())),
        // The storage is a HashMap: its views iterate in hash order, so they are ordered copies.
        "values()" => |_, r, _| Ok(Value::view(Rc::new(RefCell::new(ordered(r)?)), ViewKind::Values)),
        "keySet()" => |_, r, _| Ok(Value::view(Rc::new(RefCell::new(ordered(r)?)), ViewKind::Keys)),
        "entrySet()" => |_, r, _| Ok(Value::view(Rc::new(RefCell::new(ordered(r)?)), ViewKind::Entries)),
        _ => return map(key),
    })
}

// ---- views and entries ---------------------------------------------------------------------

fn view_kind(r: &Value) -> ViewKind {
    match r {
        Value::View(v) => v.kind,
        _ => ViewKind::Values,
    }
}

fn view_items(r: &Value) -> Result<Vec<Value>, Fault> {
    Ok(match r {
        Value::View(v) => view_elements(&v.map, v.kind)?,
        _ => Vec::new(),
    })
}

fn view(key: &str) -> Option<MethodFn> {
    Some(match key {
        "size()" => |_, r, _| Ok(Value::Int(storage(r).borrow().len() as i32)),
        "isEmpty()" => |_, r, _| Ok(Value::Bool(storage(r).borrow().is_empty())),
        "contains(java.lang.Object)" => |_, r, a| {
            Ok(Value::Bool(match view_kind(r) {
                ViewKind::Keys => storage(r).borrow().contains_key(&a[0]),
                _ => index_of(&view_items(r)?, &a[0]) >= 0,
            }))
        },
        "containsAll(java.util.Collection)" => |_, r, a| contains_all(&view_items(r)?, &a[0]),
        "remove(java.lang.Object)" => |_, r, a| {
            let m = storage(r);
            let removed = match (view_kind(r), &a[0]) {
                (ViewKind::Keys, k) => m.borrow_mut().remove(k).is_some(),
                (ViewKind::Entries, Value::Entry(e)) => {
                    let matches = m.borrow().get(&e.key).is_some_and(|v| java_equals(v, &e.value()));
                    matches && m.borrow_mut().remove(&e.key).is_some()
                }
                (ViewKind::Values, v) => {
                    budget::tick(m.borrow().len());
                    let key = m.borrow().iter().find(|(_, x)| java_equals(v, x)).map(|(k, _)| k.clone());
                    key.is_some_and(|k| m.borrow_mut().remove(&k).is_some())
                }
                _ => false,
            };
            Ok(Value::Bool(removed))
        },
        "clear()" => |_, r, _| {
            storage(r).borrow_mut().clear();
            Ok(Value::Null)
        },
        "toArray()" | "toArray(java.lang.Object[])" => {
            |_, r, _| Ok(new_array(JClass::ObjectArray, view_items(r)?))
        }
        "add(java.lang.Object)" | "addAll(java.util.Collection)" => |_, _, _| Err(unsupported()),
        _ => return None,
    })
}

fn entry(r: &Value) -> &Rc<MapEntry> {
    match r {
        Value::Entry(e) => e,
        _ => unreachable!("entry methods are only looked up for entries"),
    }
}

fn map_entry(key: &str) -> Option<MethodFn> {
    Some(match key {
        "getKey()" => |_, r, _| Ok(entry(r).key.clone()),
        "getValue()" => |_, r, _| Ok(entry(r).value()),
        "setValue(java.lang.Object)" => |_, r, a| {
            let e = entry(r);
            cycles::linked(|| Node::Entry(e.clone()), &a[0])?;
            map_gets(&e.map, &a[0])?;
            let old = e.value();
            e.map.borrow_mut().set_existing(&e.key, a[0].clone());
            *e.value.borrow_mut() = a[0].clone();
            Ok(old)
        },
        _ => return None,
    })
}

fn iterator(key: &str) -> Option<MethodFn> {
    Some(match key {
        "hasNext()" => |_, r, _| match r {
            Value::Iterator(it) => Ok(Value::Bool(it.borrow().has_next())),
            _ => Err(unsupported()),
        },
        "next()" => |_, r, _| match r {
            Value::Iterator(it) => it.borrow_mut().next(),
            _ => Err(unsupported()),
        },
        _ => return None,
    })
}

pub(super) fn lookup(class: JClass, key: &str) -> Option<MethodFn> {
    match (class, key) {
        (
            JClass::ArrayList | JClass::KeySet | JClass::Values | JClass::EntrySet | JClass::ObjectArray,
            "iterator()",
        ) => Some(|_, r, _| Ok(JIter::of(r)?.map_or(Value::Null, Value::Iterator))),
        (JClass::ArrayList, "removeAll(java.util.Collection)") => {
            Some(|_, r, a| filter_list(r, &a[0], false))
        }
        (JClass::ArrayList, "retainAll(java.util.Collection)") => Some(|_, r, a| filter_list(r, &a[0], true)),
        (JClass::ArrayList, _) => array_list(key),
        (JClass::ObjectArray, _) => array_wrapper(key),
        (JClass::LinkedHashMap, _) => map(key),
        (JClass::ForeachScope, _) => foreach_scope(key),
        (JClass::KeySet | JClass::Values | JClass::EntrySet, _) => view(key),
        (JClass::MapEntry, _) => map_entry(key),
        (JClass::Iterator, _) => iterator(key),
        _ => None,
    }
}
