//! Random VTL templates and data for differential testing against Velocity 1.7.
//!
//! Templates are built from the constructs real messages use and the ones people trip over:
//! text with awkward whitespace and lone `$`/`#`, all reference forms, properties, methods and
//! indexes on the data's strings, numbers, lists and maps, `#set`, `#if`/`#elseif`/`#else`,
//! `#foreach` with its counters, `#break`, `#stop`, macros called with expressions, `#define`,
//! `#evaluate`, ranges, list and map literals, arithmetic, comparisons between types, comments,
//! escapes and unknown directives. Most are valid; a few are not, on purpose.

use serde_json::{json, Map, Value};

/// A small deterministic generator (xorshift64*), so a seed reproduces a case.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
}

/// What the generator knows a variable holds, to call fitting methods on it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Str,
    Int,
    Double,
    Bool,
    List,
    Map,
    Unknown,
}

pub struct Generator {
    rng: Rng,
    depth: usize,
    vars: Vec<(String, Ty)>,
    macros: Vec<(String, usize)>,
    loop_depth: usize,
    counter: usize,
}

const WORDS: &[&str] = &[
    "Hello",
    "promo",
    "order",
    "total",
    "Dear",
    "ok",
    "x",
    "naïve",
    "Ünïcödé",
    "😀",
    "a-b",
    "#",
    "$",
    ")",
    ",",
    ".",
    "!",
    "]",
    "{",
    "}",
    "=",
    "'",
    "\"",
    "\\",
    "*",
    ":",
    ";",
    "|",
    "@",
    "%",
    "$1",
    "#1",
    "$$",
    "##x\n",
    "a$",
    "#$",
];

const STRING_METHODS: &[&str] = &[
    "length()",
    "toUpperCase()",
    "toLowerCase()",
    "trim()",
    "isEmpty()",
    "substring(1)",
    "substring(0, 2)",
    "substring(5)",
    "indexOf('a')",
    "lastIndexOf('o')",
    "contains('e')",
    "startsWith('H')",
    "endsWith('o')",
    "replace('o', '0')",
    "replaceAll('[aeiou]', '_')",
    "replaceFirst('l+', 'L')",
    "split(',')",
    "split(' ')[0]",
    "charAt(0)",
    "charAt(99)",
    "concat('!')",
    "equals('Hello')",
    "equalsIgnoreCase('HELLO')",
    "hashCode()",
    "toString()",
    "matches('[A-Z].*')",
    "compareTo('m')",
    "isBlank()",
    "repeat(2)",
    "strip()",
    "chars",
    "class.name",
    "class.simpleName",
    "bytes.size()",
    "toCharArray().size()",
    "split(',').size()",
    "getClass().getSimpleName()",
    "format('%s!', 'x')",
    "codePointAt(0)",
    "intern()",
    "empty",
    "length",
];

const NUMBER_METHODS: &[&str] = &[
    "intValue()",
    "longValue()",
    "doubleValue()",
    "toString()",
    "hashCode()",
    "compareTo(3)",
    "equals(3)",
    "class.name",
    "floatValue()",
    "byteValue()",
    "shortValue()",
    "parseInt('42')",
    "valueOf('7')",
    "toHexString(255)",
    "max(3, 9)",
    "isNaN()",
    "isInfinite()",
    "signum(-5)",
    "MAX_VALUE",
    "toString(5)",
];

const LIST_METHODS: &[&str] = &[
    "size()",
    "isEmpty()",
    "get(0)",
    "get(1)",
    "get(9)",
    "contains(2)",
    "contains('a')",
    "indexOf(3)",
    "toString()",
    "subList(0, 1)",
    "add('z')",
    "remove(0)",
    "set(0, 'q')",
    "clear()",
    "empty",
    "size",
    "[0]",
    "[1]",
    "[-1]",
    "lastIndexOf(1)",
    "hashCode()",
    "class.simpleName",
    "iterator().next()",
    "addAll([7, 8])",
    "containsAll([1])",
    "equals([1, 2])",
    "toArray().size()",
];

const MAP_METHODS: &[&str] = &[
    "size()",
    "isEmpty()",
    "get('a')",
    "get('zz')",
    "containsKey('a')",
    "containsValue(1)",
    "keySet()",
    "values()",
    "entrySet()",
    "toString()",
    "put('k', 'v')",
    "remove('a')",
    "a",
    "b",
    "zz",
    "empty",
    "keySet().size()",
    "values().toArray().size()",
    "['a']",
    "getOrDefault('q', 'dflt')",
    "putIfAbsent('n', 1)",
    "entrySet().iterator().next().key",
    "class.name",
    "hashCode()",
];

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::new(seed),
            depth: 0,
            vars: Vec::new(),
            macros: Vec::new(),
            loop_depth: 0,
            counter: 0,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    /// The data of a case: the variables its template uses.
    pub fn data(&mut self) -> Value {
        let r = &mut self.rng;
        let mut m = Map::new();
        let names = ["Ana", "Bo", "Zoë", "", "  padded  ", "O'Brien", "a,b,c", "x\ny", "Hello world"];
        m.insert("name".into(), json!(*r.pick(&names)));
        m.insert("n".into(), json!(r.range(-5, 12)));
        m.insert("big".into(), json!(r.range(2_147_483_600, 2_147_483_700)));
        m.insert("huge".into(), serde_json::from_str("92233720368547758070").expect("valid JSON"));
        let doubles = [0.1, 2.5, -3.75, 1e7, 1.0e-4, 100.0, 0.3, 1234.5678, 9007199254740993.0];
        m.insert("d".into(), json!(*r.pick(&doubles)));
        m.insert("flag".into(), json!(r.chance(50)));
        m.insert("nothing".into(), Value::Null);
        m.insert("zero".into(), json!(0));
        let list: Vec<i64> = (0..r.below(5)).map(|_| r.range(-3, 9)).collect();
        m.insert("list".into(), json!(list));
        m.insert("words".into(), json!(["alpha", "beta", "", "gamma"]));
        m.insert("empty".into(), json!([]));
        m.insert("map".into(), json!({"a": 1, "b": "two", "c": [1, 2], "d": null}));
        let items: Vec<Value> = (0..r.below(4))
            .map(|i| json!({"name": format!("item{i}"), "price": r.range(1, 500) as f64 / 4.0, "qty": r.range(0, 5)}))
            .collect();
        m.insert("items".into(), json!(items));
        m.insert("promo_codes".into(), json!([{"name": "SPRING10"}, {"name": "VIP"}]));
        m.insert("nested".into(), json!({"user": {"first": "Eva", "tags": ["x", "y"]}, "n": 2}));
        m.insert("numstr".into(), json!(*r.pick(&["42", "007", "-3", "x1", "3.5"])));
        Value::Object(m)
    }

    fn data_vars() -> Vec<(String, Ty)> {
        [
            ("name", Ty::Str),
            ("n", Ty::Int),
            ("big", Ty::Int),
            ("huge", Ty::Int),
            ("d", Ty::Double),
            ("flag", Ty::Bool),
            ("nothing", Ty::Unknown),
            ("zero", Ty::Int),
            ("list", Ty::List),
            ("words", Ty::List),
            ("empty", Ty::List),
            ("map", Ty::Map),
            ("items", Ty::List),
            ("promo_codes", Ty::List),
            ("nested", Ty::Map),
            ("numstr", Ty::Str),
            ("data", Ty::Map),
            ("undefined", Ty::Unknown),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), *t))
        .collect()
    }

    /// A whole template.
    pub fn template(&mut self) -> String {
        self.vars = Self::data_vars();
        self.macros.clear();
        self.depth = 0;
        self.loop_depth = 0;
        let mut out = String::new();
        for _ in 0..self.rng.range(1, 7) {
            out.push_str(&self.statement());
        }
        out
    }

    fn block(&mut self) -> String {
        self.depth += 1;
        let mut out = String::new();
        let n = if self.depth > 3 { 1 } else { self.rng.range(1, 3) };
        for _ in 0..n {
            out.push_str(&self.statement());
        }
        self.depth -= 1;
        out
    }

    fn ws(&mut self) -> &'static str {
        self.rng.word(&["", "", "", " ", "\n", "  ", "\n  ", " \n", "\t", "\r\n"])
    }

    fn statement(&mut self) -> String {
        let deep = self.depth > 3;
        match self.rng.below(if deep { 6 } else { 22 }) {
            0 | 1 => self.text(),
            2..=4 => self.reference_statement(),
            5 => self.set(),
            6 | 7 => self.if_statement(),
            8 | 9 => self.foreach(),
            10 => self.macro_definition_and_call(),
            11 => self.macro_call(),
            12 => self.define(),
            13 => self.evaluate(),
            14 => self.comment(),
            15 => self.escape(),
            16 => self.literal_block(),
            17 => self.control_flow(),
            18 => {
                let name = if self.rng.chance(10) {
                    self.rng.word(&["end", "else", "if", "set", "elseif"])
                } else {
                    self.rng.word(&["foo", "{foo}", "123", "@x", "bar ", "foo()"])
                };
                format!("#{name}{}", self.ws())
            }
            19 => format!("${}{}", self.arith(), self.ws()),
            20 => self.set_chain(),
            _ => self.text(),
        }
    }

    fn text(&mut self) -> String {
        let mut out = String::new();
        for _ in 0..self.rng.range(1, 4) {
            out.push_str(self.rng.word(WORDS));
            out.push_str(self.ws());
        }
        out
    }

    fn var(&mut self, ty: Option<Ty>) -> (String, Ty) {
        let candidates: Vec<(String, Ty)> =
            self.vars.iter().filter(|(_, t)| ty.is_none_or(|w| *t == w)).cloned().collect();
        if candidates.is_empty() {
            return ("undefined".into(), Ty::Unknown);
        }
        self.rng.pick(&candidates).clone()
    }

    fn chain(&mut self, ty: Ty) -> String {
        match ty {
            Ty::Str => self.rng.word(STRING_METHODS).to_string(),
            Ty::Int | Ty::Double => self.rng.word(NUMBER_METHODS).to_string(),
            Ty::List => self.rng.word(LIST_METHODS).to_string(),
            Ty::Map => self.rng.word(MAP_METHODS).to_string(),
            Ty::Bool => self.rng.word(&["toString()", "booleanValue()", "equals(true)", "class"]).to_string(),
            Ty::Unknown => self.rng.word(&["foo", "size()", "get(0)", "toString()", "bar.baz"]).to_string(),
        }
    }

    /// A reference expression (as used inside directives).
    fn reference(&mut self) -> String {
        let (name, ty) = self.var(None);
        let mut r = format!("${name}");
        if self.rng.chance(55) {
            let part = self.chain(ty);
            if part.starts_with('[') {
                r.push_str(&part);
            } else {
                r.push('.');
                r.push_str(&part);
            }
            if ty == Ty::Map && self.rng.chance(30) {
                r.push_str(".size()");
            }
        }
        if (name == "items" || name == "promo_codes") && self.rng.chance(60) {
            r = format!(
                "${name}.get({}).{}",
                self.rng.range(-1, 2),
                self.rng.word(&["name", "price", "qty", "get('name')"])
            );
        }
        if name == "nested" && self.rng.chance(60) {
            r = format!(
                "$nested.{}",
                self.rng.word(&["user.first", "user.tags[1]", "user.tags.size()", "n", "user.missing"])
            );
        }
        r
    }

    fn reference_statement(&mut self) -> String {
        let r = self.reference();
        let body = &r[1..];
        let form = self.rng.below(6);
        let s = match form {
            0 => format!("$!{body}"),
            1 if !body.contains('[') && !body.contains('(') => format!("${{{body}}}"),
            2 if !body.contains('[') && !body.contains('(') => format!("$!{{{body}}}"),
            _ => r.clone(),
        };
        format!("{s}{}", self.rng.word(&["", " ", ".", "!", "\n", "x", "()", "[", "-"]))
    }

    fn literal(&mut self) -> String {
        match self.rng.below(12) {
            0 => self.rng.range(-10, 100).to_string(),
            1 => self
                .rng
                .word(&[
                    "2147483647",
                    "2147483648",
                    "-2147483649",
                    "9223372036854775807",
                    "99999999999999999999",
                ])
                .to_string(),
            2 => self
                .rng
                .word(&["1.5", "0.1", "-2.0", "1e3", "3.0E-5", "10.", "0.30000000000000004"])
                .to_string(),
            3 => format!("'{}'", self.rng.word(&["a", "", "it''s", "x y", "$name", "#if", "1"])),
            4 => format!(
                "\"{}\"",
                self.rng.word(&[
                    "a",
                    "",
                    "Hi $name",
                    "${n}!",
                    "$!nothing",
                    "#if($flag)y#{else}n#end",
                    "q\"\"q",
                    "\\u0041",
                    "## c",
                    "$n + 1"
                ])
            ),
            5 => self.rng.word(&["true", "false"]).to_string(),
            6 => format!("[{}..{}]", self.rng.range(-3, 5), self.rng.word(&["3", "-2", "$n", "0"])),
            7 => format!(
                "[{}]",
                (0..self.rng.below(4))
                    .map(|_| self.rng.range(0, 9).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            8 => format!("{{'a': {}, \"b\": '{}'}}", self.rng.range(0, 9), self.rng.word(&["x", "y"])),
            9 => "[]".into(),
            10 => "{}".into(),
            _ => self.reference(),
        }
    }

    fn arith(&mut self) -> String {
        let ops = ["+", "-", "*", "/", "%"];
        let a = self.operand();
        let b = self.operand();
        let inner = format!("{a} {} {b}", self.rng.pick(&ops));
        if self.rng.chance(30) {
            format!("({inner}) {} {}", self.rng.pick(&ops), self.operand())
        } else {
            inner
        }
    }

    fn operand(&mut self) -> String {
        match self.rng.below(6) {
            0 => self.rng.range(-3, 20).to_string(),
            1 => self.rng.word(&["0", "2.5", "0.0", "7", "-1"]).to_string(),
            2 => format!("${}", self.var(Some(Ty::Int)).0),
            3 => format!("${}", self.var(Some(Ty::Double)).0),
            4 => self
                .rng
                .word(&["$list.size()", "$name.length()", "'s'", "$nothing", "$items.get(0).price"])
                .to_string(),
            _ => format!("${}", self.var(None).0),
        }
    }

    fn condition(&mut self) -> String {
        let c = match self.rng.below(9) {
            0 => self.reference(),
            1 => format!(
                "{} {} {}",
                self.operand(),
                self.rng.word(&["==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt"]),
                self.operand()
            ),
            2 => format!("{} == {}", self.literal(), self.literal()),
            3 => format!("!{}", self.reference()),
            4 => format!("{} && {}", self.reference(), self.reference()),
            5 => format!("{} || {}", self.reference(), self.literal()),
            6 => self.literal(),
            7 => format!("{} and {} or not {}", self.reference(), self.reference(), self.reference()),
            _ => format!("{}.equals({})", self.reference(), self.literal()),
        };
        if self.rng.chance(15) {
            format!("({c})")
        } else {
            c
        }
    }

    fn set(&mut self) -> String {
        let name = if self.rng.chance(70) { self.fresh("v") } else { self.var(None).0 };
        let (value, ty) = match self.rng.below(6) {
            0 => (self.arith(), Ty::Unknown),
            1 => (self.condition(), Ty::Bool),
            2 => ("[1, 2, 3]".to_string(), Ty::List),
            3 => ("{'a': 1, 'b': [2]}".to_string(), Ty::Map),
            4 => (format!("\"{} $name\"", self.rng.word(&["Hi", "x"])), Ty::Str),
            _ => (self.literal(), Ty::Unknown),
        };
        let target = match self.rng.below(8) {
            0 => format!("$map.{}", self.rng.word(&["a", "new", "c"])),
            1 => format!("$list[{}]", self.rng.range(-1, 2)),
            _ => format!("${name}"),
        };
        if !self.vars.iter().any(|(n, _)| *n == name) {
            self.vars.push((name, ty));
        }
        format!("{}#set({}{target} ={}{value}{}){}", self.ws(), self.ws(), self.ws(), self.ws(), self.ws())
    }

    fn set_chain(&mut self) -> String {
        let v = self.fresh("acc");
        self.vars.push((v.clone(), Ty::Int));
        format!(
            "#set(${v} = 0)#foreach($i in [1..{}])#set(${v} = ${v} + $i)#end${v}{}",
            self.rng.range(0, 6),
            self.ws()
        )
    }

    fn if_statement(&mut self) -> String {
        let mut out = format!("{}#if({}){}", self.ws(), self.condition(), self.ws());
        out.push_str(&self.block());
        for _ in 0..self.rng.below(2) {
            out.push_str(&format!("#elseif({}){}", self.condition(), self.ws()));
            out.push_str(&self.block());
        }
        if self.rng.chance(50) {
            out.push_str(self.rng.word(&["#else", "#{else}"]));
            out.push_str(self.ws());
            out.push_str(&self.block());
        }
        out.push_str(self.rng.word(&["#end", "#{end}"]));
        out.push_str(self.ws());
        out
    }

    fn foreach(&mut self) -> String {
        let var = self.fresh("it");
        let source = match self.rng.below(7) {
            0 => format!("[1..{}]", self.rng.range(0, 4)),
            1 => "$map".to_string(),
            2 => "$map.keySet()".to_string(),
            3 => "$map.entrySet()".to_string(),
            4 => "$name.split(' ')".to_string(),
            5 => "$nothing".to_string(),
            _ => format!("${}", self.var(Some(Ty::List)).0),
        };
        self.vars.push((var.clone(), Ty::Unknown));
        self.loop_depth += 1;
        let mut body = self.block();
        let extras = [
            format!("${var}"),
            "$foreach.count".into(),
            "$foreach.index".into(),
            "$foreach.hasNext".into(),
            "$foreach.first".into(),
            "$foreach.last".into(),
            "$velocityCount".into(),
            "$velocityHasNext".into(),
            "#if($foreach.hasNext),#end".into(),
            format!("$!{var}.key=$!{var}.value"),
            "$foreach.parent.count".into(),
            "#if($foreach.count > 1)#break#end".into(),
        ];
        for _ in 0..self.rng.range(1, 3) {
            body.push_str(&extras[self.rng.below(extras.len())]);
            body.push_str(self.ws());
        }
        self.loop_depth -= 1;
        // Now and then an argument list that is not `$var in list`: Velocity iterates over the
        // third argument and renders the fourth as the body, whatever they are.
        let args = if self.rng.chance(10) {
            match self.rng.below(9) {
                0 => format!("${var} {source}"),
                1 => format!("${var} in"),
                2 => format!("${var} in {source} $name"),
                3 => format!("${var} IN {source}"),
                4 => format!("${var}, {source}"),
                5 => format!("${var} each {source}"),
                6 => format!("'{var}' in {source}"),
                7 => format!("${var}.x in {source}, $flag"),
                _ => format!("${var}"),
            }
        } else {
            format!("${var} in {source}")
        };
        format!("{}#foreach({}{args}){}{body}#end{}", self.ws(), self.ws(), self.ws(), self.ws())
    }

    fn macro_definition_and_call(&mut self) -> String {
        let name = self.fresh("m");
        let params: Vec<String> = (0..self.rng.below(3)).map(|i| format!("$p{i}")).collect();
        let saved = self.vars.clone();
        for p in &params {
            self.vars.push((p[1..].to_string(), Ty::Unknown));
        }
        let mut body = self.block();
        for p in &params {
            if self.rng.chance(70) {
                body.push_str(&format!("[{p}]"));
            }
        }
        self.vars = saved;
        self.macros.push((name.clone(), params.len()));
        let def = format!(
            "#macro({name}{}){body}#end{}",
            params.iter().map(|p| format!(" {p}")).collect::<String>(),
            self.ws()
        );
        format!("{def}{}", self.macro_call())
    }

    fn macro_call(&mut self) -> String {
        if self.macros.is_empty() || self.rng.chance(15) {
            return format!(
                "#{}({}){}",
                self.rng.word(&["nomacro", "undefinedMacro"]),
                self.literal(),
                self.ws()
            );
        }
        let (name, count) = self.rng.pick(&self.macros.clone()).clone();
        let given = if self.rng.chance(80) { count } else { self.rng.below(count + 2) };
        let args: Vec<String> = (0..given).map(|_| self.literal()).collect();
        let sep = if self.rng.chance(50) { " " } else { ", " };
        format!("#{name}({}){}", args.join(sep), self.ws())
    }

    fn define(&mut self) -> String {
        let name = self.fresh("blk");
        let body = self.block();
        self.vars.push((name.clone(), Ty::Unknown));
        format!("#define(${name}){body}#end${name}{}", self.ws())
    }

    fn evaluate(&mut self) -> String {
        let inner = self.rng.word(&[
            "Hi $name",
            "#set($e = 5)$e",
            "$n + 1",
            "#if($flag)yes#end",
            "#stop after",
            "$!nothing.",
            "#foreach($x in [1,2])$x#end",
        ]);
        match self.rng.below(3) {
            0 => format!("#evaluate('{inner}'){}", self.ws()),
            1 => format!("#evaluate(\"{inner}\"){}", self.ws()),
            _ => format!("#set($src = '{inner}')#evaluate($src){}", self.ws()),
        }
    }

    fn comment(&mut self) -> String {
        match self.rng.below(4) {
            0 => format!("## comment {}\n", self.rng.word(&["$name", "#if", ""])),
            1 => format!("#* block {} *#{}", self.rng.word(&["$x", "#end", "\n"]), self.ws()),
            2 => "#** doc *#".into(),
            _ => format!("a ## tail{}", self.ws()),
        }
    }

    fn escape(&mut self) -> String {
        self.rng
            .pick(&[
                "\\$name",
                "\\\\$name",
                "\\\\\\$name",
                "\\$undefined",
                "\\\\$undefined",
                "\\#if",
                "\\#set($x = 1)",
                "\\#foreach",
                "$\\!name",
                "\\${name}",
                "\\$!name",
                "#\\",
                "\\#{end}",
                "\\\\\\#if($flag)x#end",
                "\\\\#if($flag)x#end",
                "\\#stop",
                "\\#macro",
                "\\#nomacro()",
                "\\\\\\\\$name",
            ])
            .to_string()
            + self.ws()
    }

    fn literal_block(&mut self) -> String {
        match self.rng.below(2) {
            0 => format!("#literal(){} $name #foo $n.size() #end{}", self.ws(), self.ws()),
            _ => format!("#[[ $name #if( ]]#{}", self.ws()),
        }
    }

    fn control_flow(&mut self) -> String {
        if self.loop_depth > 0 && self.rng.chance(50) {
            return "#break".into();
        }
        self.rng.word(&["#stop", "#break", "#stop('msg')"]).to_string()
    }
}
