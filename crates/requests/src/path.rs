//! A path into a request body, built on the stack while walking it and printed only when an
//! error needs it (`contacts[3].fields[0].value`), so walking 100,000 contacts allocates nothing.

use std::fmt;

#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("the top level of the body"),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(Path::Root, i) => write!(f, "[{i}]"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_a_javascript_accessor() {
        let root = Path::Root;
        let contacts = root.key("contacts");
        let third = contacts.index(3);
        let fields = third.key("fields");
        let first = fields.index(0);
        let value = first.key("value");
        assert_eq!(value.to_string(), "contacts[3].fields[0].value");
        assert_eq!(root.index(2).to_string(), "[2]");
        assert_eq!(root.to_string(), "the top level of the body");
    }
}
