//! Java regular expressions for `matches`, `replaceAll`, `replaceFirst` and `split`.
//!
//! Patterns are translated to `fancy_regex` (which has Java's backreferences, lookaround and
//! possessive quantifiers): the predefined classes `\d \w \s` and POSIX `\p{…}` classes are ASCII
//! as in Java, `.` and `$` know Java's line terminators, `\Q…\E` quotes. Replacement strings use
//! Java's `$n`, `${name}` and `\` escapes. Compiled patterns are cached per thread.

use super::{fits, Fault, JavaError};
use crate::budget;
use crate::value::{Printer, Value};
use fancy_regex::{Regex, RegexBuilder};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;

/// Backtracking steps one match may take before it fails (catastrophic patterns).
const BACKTRACK_LIMIT: usize = 1_000_000;
const CACHE_SIZE: usize = 64;
/// Longer patterns are compiled for each call, not kept in the cache between renders.
const CACHED_PATTERN: usize = 1024;
/// The compiled program (and lazy DFA) of each part of a pattern the `regex` crate runs is
/// bounded, so that one pattern (or the cache) cannot hold much memory.
const PROGRAM_SIZE: usize = 2 << 20;
const DFA_SIZE: usize = 1 << 20;

const LINE_TERMINATORS: &str = r"\n\r\x{85}\x{2028}\x{2029}";

thread_local! {
    static CACHE: RefCell<FxHashMap<String, Rc<Regex>>> = RefCell::new(FxHashMap::default());
}

fn syntax_error(message: String, pattern: &str) -> Fault {
    JavaError::new("java.util.regex.PatternSyntaxException", format!("{message} near index 0\n{pattern}"))
        .into()
}

/// A POSIX or Java class name of `\p{…}` as an ASCII class body (Java's meaning), or a Unicode
/// property Rust understands.
fn property(name: &str) -> Option<String> {
    let ascii = match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"!-/:-@\[-`{-~",
        "Graph" => "!-~",
        "Print" => " -~",
        "Blank" => r" \t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r" \t\n\x0B\f\r",
        _ => "",
    };
    if !ascii.is_empty() {
        return Some(format!("[{ascii}]"));
    }
    let unicode = match name {
        "javaLowerCase" => "Lowercase",
        "javaUpperCase" => "Uppercase",
        "javaWhitespace" | "IsWhite_Space" | "IsWhiteSpace" => "White_Space",
        "javaLetter" | "IsAlphabetic" => "Alphabetic",
        "javaDigit" | "IsDigit" => "Nd",
        other => other.strip_prefix("Is").or_else(|| other.strip_prefix("In")).unwrap_or(other),
    };
    Some(format!(r"\p{{{unicode}}}"))
}

/// Translates a Java pattern into fancy-regex syntax.
fn translate(java: &str) -> Result<String, Fault> {
    let chars: Vec<char> = java.chars().collect();
    let dotall = java.contains("(?s") || java.contains("(?is") || java.contains("(?si");
    let multiline = java.contains("(?m") || java.contains("(?im") || java.contains("(?mi");
    let mut out = String::with_capacity(java.len() + 16);
    let mut class_depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        // Room for the longest translation of one element (`\Q` quotes its own length).
        budget::extend(&mut out, 128 + if chars[i] == '\\' { 2 * (chars.len() - i) } else { 0 })?;
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    return Err(syntax_error("Unexpected internal error".into(), java));
                };
                i += 1;
                let in_class = class_depth > 0;
                match e {
                    'Q' => {
                        let end =
                            (i..chars.len()).find(|&j| chars[j] == '\\' && chars.get(j + 1) == Some(&'E'));
                        let quoted: String = chars[i..end.unwrap_or(chars.len())].iter().collect();
                        out.push_str(&fancy_regex::escape(&quoted));
                        i = end.map_or(chars.len(), |j| j + 2);
                    }
                    'E' => {}
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str(if in_class { "a-zA-Z0-9_" } else { "[a-zA-Z0-9_]" }),
                    'W' => out.push_str("[^a-zA-Z0-9_]"),
                    's' => out.push_str(if in_class { r" \t\n\x0B\f\r" } else { r"[ \t\n\x0B\f\r]" }),
                    'S' => out.push_str(r"[^ \t\n\x0B\f\r]"),
                    'h' => {
                        out.push_str(r"[ \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]")
                    }
                    'H' => {
                        out.push_str(r"[^ \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]")
                    }
                    'v' => out.push_str(r"[\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
                    'V' => out.push_str(r"[^\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
                    'R' => out.push_str(r"(?:\r\n|[\n\x0B\f\r\x{85}\x{2028}\x{2029}])"),
                    'Z' => out.push_str(&format!(r"(?=(?:\r\n|[{LINE_TERMINATORS}])?\z)")),
                    'e' => out.push_str(r"\x1B"),
                    'a' => out.push_str(r"\x07"),
                    'c' => {
                        let control = chars.get(i).copied().unwrap_or('@');
                        i += 1;
                        out.push_str(&format!(r"\x{{{:X}}}", (control as u32) ^ 64));
                    }
                    '0' => {
                        let mut code = 0u32;
                        let mut taken = 0;
                        while taken < 3 {
                            match chars.get(i).and_then(|c| c.to_digit(8)) {
                                Some(d) if code * 8 + d <= 0o377 => {
                                    code = code * 8 + d;
                                    i += 1;
                                    taken += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push_str(&format!(r"\x{{{code:X}}}"));
                    }
                    'p' | 'P' => {
                        let name: String = if chars.get(i) == Some(&'{') {
                            let end = (i..chars.len())
                                .find(|&j| chars[j] == '}')
                                .ok_or_else(|| syntax_error("Unclosed character family".into(), java))?;
                            let n = chars[i + 1..end].iter().collect();
                            i = end + 1;
                            n
                        } else {
                            let n = chars.get(i).map(|c| c.to_string()).unwrap_or_default();
                            i += 1;
                            n
                        };
                        let class = property(&name).unwrap_or_default();
                        let body = class.strip_prefix('[').and_then(|b| b.strip_suffix(']'));
                        match (e == 'p', body) {
                            (true, Some(body)) if in_class => out.push_str(body),
                            (true, _) => out.push_str(&class),
                            (false, Some(body)) => out.push_str(&format!("[^{body}]")),
                            (false, None) => out.push_str(&class.replacen(r"\p", r"\P", 1)),
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal in both dialects; keep it escaped.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            '.' if class_depth == 0 && !dotall => out.push_str(&format!("[^{LINE_TERMINATORS}]")),
            '$' if class_depth == 0 && !multiline => {
                out.push_str(&format!(r"(?:\z|(?=(?:\r\n|[{LINE_TERMINATORS}])\z))"))
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn compile(java: &str) -> Result<Rc<Regex>, Fault> {
    compile_as(java, false)
}

/// Compiles (or finds in the cache) a pattern, anchored at both ends for `matches`.
fn compile_as(java: &str, anchored: bool) -> Result<Rc<Regex>, Fault> {
    let key = if anchored { format!("\u{0}{java}") } else { java.to_string() };
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    budget::reserve_for::<char>(java.len())?;
    budget::scan(java.len());
    let translated = translate(java)?;
    let source = if anchored { format!(r"\A(?:{translated})\z") } else { translated };
    let regex = RegexBuilder::new(&source)
        .backtrack_limit(BACKTRACK_LIMIT)
        .delegate_size_limit(PROGRAM_SIZE)
        .delegate_dfa_size_limit(DFA_SIZE)
        .build()
        .map_err(|e| syntax_error(e.to_string(), java))?;
    let regex = Rc::new(regex);
    if java.len() > CACHED_PATTERN {
        return Ok(regex);
    }
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.insert(key, regex.clone());
    });
    Ok(regex)
}

fn run_error(e: fancy_regex::Error) -> Fault {
    JavaError::new("java.lang.StackOverflowError", format!("regular expression too complex: {e}")).into()
}

/// `String.matches`: the whole string must match.
pub(super) fn matches(java: &str, s: &str) -> Result<bool, Fault> {
    let regex = compile_as(java, true)?;
    budget::scan(s.len());
    regex.is_match(s).map_err(run_error)
}

/// Appends `s` to a string that may not outgrow the host's limit or the memory budget.
fn append(host: &dyn Printer, out: &mut String, s: &str) -> Result<(), Fault> {
    fits(host, out.len().saturating_add(s.len()))?;
    budget::extend(out, s.len())?;
    out.push_str(s);
    Ok(())
}

/// A part of a replacement string: text, or a group's match.
enum Piece {
    Text(String),
    Group(usize),
}

/// Matcher.appendReplacement's reading of a replacement string (read once, when the first
/// match needs it: without a match, Java never reads it).
fn read_replacement(replacement: &str, regex: &Regex) -> Result<Vec<Piece>, Fault> {
    let illegal =
        |m: &str| -> Fault { JavaError::new("java.lang.IllegalArgumentException", m.to_string()).into() };
    budget::reserve_for::<char>(replacement.len().saturating_mul(2))?;
    budget::scan(replacement.len());
    let chars: Vec<char> = replacement.chars().collect();
    let group_count = regex.captures_len() - 1;
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                let c = *chars.get(i).ok_or_else(|| illegal("character to be escaped is missing"))?;
                text.push(c);
                i += 1;
            }
            '$' => {
                i += 1;
                let next = *chars
                    .get(i)
                    .ok_or_else(|| illegal("Illegal group reference: group index is missing"))?;
                let group = if next == '{' {
                    let end = (i..chars.len())
                        .find(|&j| chars[j] == '}')
                        .ok_or_else(|| illegal("named capturing group is missing trailing '}'"))?;
                    let name: String = chars[i + 1..end].iter().collect();
                    if name.is_empty() {
                        return Err(illegal("named capturing group has 0 length name"));
                    }
                    i = end + 1;
                    regex
                        .capture_names()
                        .position(|n| n == Some(name.as_str()))
                        .ok_or_else(|| illegal(&format!("No group with name {{{name}}}")))?
                } else {
                    let mut group =
                        next.to_digit(10).ok_or_else(|| illegal("Illegal group reference"))? as usize;
                    i += 1;
                    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                        let bigger = group * 10 + d as usize;
                        if bigger > group_count {
                            break;
                        }
                        group = bigger;
                        i += 1;
                    }
                    group
                };
                if group > group_count {
                    return Err(JavaError::new(
                        "java.lang.IndexOutOfBoundsException",
                        format!("No group {group}"),
                    )
                    .into());
                }
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Group(group));
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    pieces.push(Piece::Text(text));
    Ok(pieces)
}

/// `replaceAll` (or `replaceFirst` when `all` is false).
pub(super) fn replace(
    host: &dyn Printer,
    java: &str,
    s: &str,
    replacement: &str,
    all: bool,
) -> Result<String, Fault> {
    let regex = compile(java)?;
    budget::reserve(s.len())?;
    let mut out = String::with_capacity(s.len());
    let mut pieces = None;
    let mut last = 0;
    for caps in regex.captures_iter(s) {
        let caps = caps.map_err(run_error)?;
        let m = caps.get(0).expect("group 0 is the match");
        budget::scan(m.end() - last);
        append(host, &mut out, &s[last..m.start()])?;
        let pieces = match &pieces {
            Some(pieces) => pieces,
            None => pieces.insert(read_replacement(replacement, &regex)?),
        };
        for piece in pieces {
            let part = match piece {
                Piece::Text(text) => text,
                Piece::Group(group) => caps.get(*group).map_or("", |m| m.as_str()),
            };
            budget::scan(part.len());
            append(host, &mut out, part)?;
        }
        last = m.end();
        if !all {
            break;
        }
    }
    append(host, &mut out, &s[last..])?;
    Ok(out)
}

/// Is this a pattern String.split treats as one literal character?
fn literal_split_char(java: &str) -> Option<char> {
    let mut it = java.chars();
    match (it.next(), it.next(), it.next()) {
        (Some(c), None, None) if !".$|()[{^?*+\\".contains(c) => Some(c),
        (Some('\\'), Some(c), None) if !c.is_ascii_alphanumeric() => Some(c),
        _ => None,
    }
}

/// Calls `f` with the start and end of each match of a split pattern until it returns false.
fn each_match(
    java: &str,
    s: &str,
    mut f: impl FnMut(usize, usize) -> Result<bool, Fault>,
) -> Result<(), Fault> {
    if let Some(c) = literal_split_char(java) {
        for (i, m) in s.match_indices(c) {
            if !f(i, i + m.len())? {
                break;
            }
        }
        return Ok(());
    }
    let regex = compile(java)?;
    for m in regex.find_iter(s) {
        let m = m.map_err(run_error)?;
        if !f(m.start(), m.end())? {
            break;
        }
    }
    Ok(())
}

/// A part of a split: a value and a string of its own, checked against the memory budget.
fn push_part(parts: &mut Vec<Value>, part: &str) -> Result<(), Fault> {
    budget::reserve(part.len() + 32)?;
    budget::extend_vec(parts, 1)?;
    budget::scan(part.len());
    parts.push(Value::str(part));
    Ok(())
}

/// `String.split(regex, limit)` (Pattern.split's rules), as string values.
pub(super) fn split(java: &str, s: &str, limit: i32) -> Result<Vec<Value>, Fault> {
    let limited = limit > 0;
    let mut parts: Vec<Value> = Vec::new();
    let mut index = 0;
    each_match(java, s, |start, end| {
        if !limited || (parts.len() as i64) < i64::from(limit) - 1 {
            if index == 0 && start == 0 && end == 0 {
                return Ok(true);
            }
            push_part(&mut parts, &s[index..start])?;
            index = end;
            Ok(true)
        } else if parts.len() as i64 == i64::from(limit) - 1 {
            push_part(&mut parts, &s[index..])?;
            index = end;
            Ok(false)
        } else {
            Ok(true)
        }
    })?;
    if index == 0 {
        return Ok(vec![Value::str(s)]);
    }
    if !limited || (parts.len() as i64) < i64::from(limit) {
        push_part(&mut parts, &s[index..])?;
    }
    if limit == 0 {
        while parts.last().is_some_and(|p| matches!(p, Value::Str(s) if s.is_empty())) {
            parts.pop();
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::TestPrinter;

    fn sp(s: &str, re: &str, limit: i32) -> Vec<String> {
        split(re, s, limit)
            .unwrap()
            .iter()
            .map(|v| v.to_java_string(&mut TestPrinter).unwrap().unwrap())
            .collect()
    }

    fn replace(java: &str, s: &str, replacement: &str, all: bool) -> Result<String, Fault> {
        super::replace(&TestPrinter, java, s, replacement, all)
    }

    #[test]
    fn split_follows_java() {
        assert_eq!(sp("a,b,,c,,", ",", 0), ["a", "b", "", "c"]);
        assert_eq!(sp("a,b,,c,,", ",", -1), ["a", "b", "", "c", "", ""]);
        assert_eq!(sp("a,b,c", ",", 2), ["a", "b,c"]);
        assert_eq!(sp(",a", ",", 0), ["", "a"]);
        assert!(sp(",", ",", 0).is_empty());
        assert_eq!(sp("abc", "", 0), ["a", "b", "c"]);
        assert_eq!(sp("a1b22c", "\\d+", 0), ["a", "b", "c"]);
        assert_eq!(sp("a.b", ".", 0), Vec::<String>::new());
        assert_eq!(sp("a.b", "\\.", 0), ["a", "b"]);
        assert_eq!(sp("x", ",", 0), ["x"]);
    }

    #[test]
    fn replacements_follow_java() {
        assert_eq!(replace("(\\w)(\\d)", "a1 b2", "$2$1", true).unwrap(), "1a 2b");
        assert_eq!(replace("o", "foo", "0", false).unwrap(), "f0o");
        assert_eq!(replace("(?<x>o)", "foo", "[${x}]", true).unwrap(), "f[o][o]");
        assert_eq!(replace("o", "foo", "\\$", true).unwrap(), "f$$");
        assert_eq!(replace("(o)", "fo", "$11", true).unwrap(), "fo1");
        assert!(replace("o", "foo", "$2", true).is_err());
        assert!(replace("o", "foo", "x\\", true).is_err());
        assert_eq!(replace("", "ab", "-", true).unwrap(), "-a-b-");
    }

    #[test]
    fn java_classes_are_ascii_and_dot_skips_line_ends() {
        assert!(matches("\\d+", "123").unwrap());
        assert!(!matches("\\d", "٣").unwrap());
        assert!(matches("\\p{Alpha}+", "abc").unwrap());
        assert!(!matches("a.b", "a\nb").unwrap());
        assert!(matches("(?s)a.b", "a\nb").unwrap());
        assert!(matches("\\Q.*\\E", ".*").unwrap());
        assert!(matches("[\\w-]+", "a-b_1").unwrap());
        assert!(!matches("abc", "abcd").unwrap());
        assert!(compile("(").is_err());
    }
}
