//! Java regular expressions for `matches`, `replaceAll`, `replaceFirst` and `split`.
//!
//! Patterns are translated to `fancy_regex` (which has Java's backreferences, lookaround and
//! possessive quantifiers): the predefined classes `\d \w \s` and POSIX `\p{…}` classes are ASCII
//! as in Java, `.` and `$` know Java's line terminators, `\Q…\E` quotes. Replacement strings use
//! Java's `$n`, `${name}` and `\` escapes. Compiled patterns are cached per thread.

use super::{Fault, JavaError};
use fancy_regex::{Captures, Regex, RegexBuilder};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;

/// Backtracking steps one match may take before it fails (catastrophic patterns).
const BACKTRACK_LIMIT: usize = 1_000_000;
const CACHE_SIZE: usize = 64;

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
    let translated = translate(java)?;
    let source = if anchored { format!(r"\A(?:{translated})\z") } else { translated };
    let regex = RegexBuilder::new(&source)
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map_err(|e| syntax_error(e.to_string(), java))?;
    let regex = Rc::new(regex);
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
    compile_as(java, true)?.is_match(s).map_err(run_error)
}

/// Matcher.appendReplacement's reading of a replacement string.
fn expand(replacement: &str, caps: &Captures, regex: &Regex, out: &mut String) -> Result<(), Fault> {
    let illegal =
        |m: &str| -> Fault { JavaError::new("java.lang.IllegalArgumentException", m.to_string()).into() };
    let chars: Vec<char> = replacement.chars().collect();
    let group_count = caps.len() - 1;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                let c = *chars.get(i).ok_or_else(|| illegal("character to be escaped is missing"))?;
                out.push(c);
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
                if let Some(m) = caps.get(group) {
                    out.push_str(m.as_str());
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(())
}

/// `replaceAll` (or `replaceFirst` when `all` is false).
pub(super) fn replace(java: &str, s: &str, replacement: &str, all: bool) -> Result<String, Fault> {
    let regex = compile(java)?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for caps in regex.captures_iter(s) {
        let caps = caps.map_err(run_error)?;
        let m = caps.get(0).expect("group 0 is the match");
        out.push_str(&s[last..m.start()]);
        expand(replacement, &caps, &regex, &mut out)?;
        last = m.end();
        if !all {
            break;
        }
    }
    out.push_str(&s[last..]);
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

/// `String.split(regex, limit)` (Pattern.split's rules).
pub(super) fn split(java: &str, s: &str, limit: i32) -> Result<Vec<String>, Fault> {
    let spans: Vec<(usize, usize)> = match literal_split_char(java) {
        Some(c) => s.match_indices(c).map(|(i, m)| (i, i + m.len())).collect(),
        None => {
            let regex = compile(java)?;
            let mut spans = Vec::new();
            for m in regex.find_iter(s) {
                let m = m.map_err(run_error)?;
                spans.push((m.start(), m.end()));
            }
            spans
        }
    };
    let limited = limit > 0;
    let mut parts: Vec<String> = Vec::new();
    let mut index = 0;
    for (start, end) in spans {
        if !limited || (parts.len() as i64) < i64::from(limit) - 1 {
            if index == 0 && start == 0 && end == 0 {
                continue;
            }
            parts.push(s[index..start].to_string());
            index = end;
        } else if parts.len() as i64 == i64::from(limit) - 1 {
            parts.push(s[index..].to_string());
            index = end;
            break;
        }
    }
    if index == 0 {
        return Ok(vec![s.to_string()]);
    }
    if !limited || (parts.len() as i64) < i64::from(limit) {
        parts.push(s[index..].to_string());
    }
    if limit == 0 {
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str, re: &str, limit: i32) -> Vec<String> {
        split(re, s, limit).unwrap()
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
