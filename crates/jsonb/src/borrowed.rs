//! A document whose strings and keys borrow from the `jsonb` bytes: for a request body that is
//! read once and then dropped, building owned `serde_json` values (a string and a map entry for
//! every key and value) cost more than checking the body. Measured on `add_orders` with 1,000
//! orders: most of the call's time in Rust went to allocating and freeing that tree.

use crate::{Builder, Result};
use std::fmt::Write;

/// A decoded value. Objects keep their keys in stored order (`jsonb` sorts them and keeps one
/// of each), so a key is found by binary search.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// As `numeric_out` prints it.
    Number(String),
    String(&'a str),
    Array(Vec<Node<'a>>),
    Object(Vec<(&'a str, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The value of `key`, in an object.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => lookup(entries, key),
            _ => None,
        }
    }

    /// The value as JSON text (what `jsonb_out` prints, without its spaces).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Number(n) => out.push_str(n),
            Node::String(s) => write_string(s, out),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Node::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

/// The value of `key` among an object's entries, which `jsonb` stores sorted (shorter keys
/// first, then bytewise).
pub fn lookup<'n, 'a>(entries: &'n [(&'a str, Node<'a>)], key: &str) -> Option<&'n Node<'a>> {
    entries
        .binary_search_by(|(k, _)| k.len().cmp(&key.len()).then_with(|| k.as_bytes().cmp(key.as_bytes())))
        .ok()
        .map(|i| &entries[i].1)
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds [`Node`]s borrowing from the decoded bytes.
pub struct Borrowed;

impl<'a> Builder<'a> for Borrowed {
    type Value = Node<'a>;
    type Object = Vec<(&'a str, Node<'a>)>;
    fn null(&mut self) -> Node<'a> {
        Node::Null
    }
    fn boolean(&mut self, b: bool) -> Node<'a> {
        Node::Bool(b)
    }
    fn string(&mut self, s: &'a str) -> Node<'a> {
        Node::String(s)
    }
    fn number(&mut self, text: &str) -> Result<Node<'a>> {
        Ok(Node::Number(text.to_string()))
    }
    fn array(&mut self, items: Vec<Node<'a>>) -> Node<'a> {
        Node::Array(items)
    }
    fn object(&mut self, len: usize) -> Self::Object {
        Vec::with_capacity(len)
    }
    fn insert(&mut self, object: &mut Self::Object, key: &'a str, value: Node<'a>) {
        object.push((key, value));
    }
    fn finish(&mut self, object: Self::Object) -> Node<'a> {
        Node::Object(object)
    }
}
