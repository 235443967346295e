//! The engine's own promises: safety limits that name themselves, errors with places, loaders,
//! the macro library, settings. (What Velocity renders is checked by `conformance.rs` and
//! `differential.rs`.)

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vtl::{Config, Engine, Error, ErrorKind, Limit, MapLoader, NoLoader};

/// The engine's counting allocator, noting each thread's peak: tests see the most a render held.
struct Peak;

static COUNTING: vtl::memory::Counting = vtl::memory::Counting::new();

#[global_allocator]
static ALLOCATOR: Peak = Peak;

thread_local! {
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note_peak() {
    let held = vtl::memory::held() as isize;
    if held > PEAK.get() {
        PEAK.set(held);
    }
}

// SAFETY: every call goes to the counting allocator unchanged.
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = COUNTING.alloc(layout);
        note_peak();
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = COUNTING.alloc_zeroed(layout);
        note_peak();
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        COUNTING.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = COUNTING.realloc(ptr, layout, new_size);
        note_peak();
        p
    }
}

/// What `f` returned, and the most memory this thread held meanwhile beyond what it held before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = vtl::memory::held() as isize;
    PEAK.set(start);
    let result = f();
    (result, (PEAK.get() - start).max(0) as usize)
}

fn render_with(config: Config, src: &str, data: serde_json::Value) -> Result<String, Error> {
    let engine = Engine::new(config);
    let vars = engine.json_vars(&data);
    engine.render_source("t.vm", src, vars, &NoLoader)
}

fn render(src: &str) -> Result<String, Error> {
    render_with(Config::default(), src, serde_json::json!({}))
}

fn limit_of(result: Result<String, Error>) -> Option<Limit> {
    match result {
        Err(Error { kind: ErrorKind::Limit(l), .. }) => Some(l),
        _ => None,
    }
}

/// Runs deep recursion with the stack a release build in a database backend would not need,
/// but an unoptimized test build does.
fn with_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 << 20).spawn(f).unwrap().join().unwrap()
}

#[test]
fn each_limit_is_an_error_that_names_it() {
    let small = Config { max_output: 1000, max_loop_iterations: 100, max_steps: 5000, ..Config::default() };
    let output =
        render_with(small.clone(), "#foreach($i in [1..90])0123456789012345#end", serde_json::json!({}));
    assert_eq!(limit_of(output.clone()), Some(Limit::OutputSize));
    assert!(output.unwrap_err().to_string().contains("max_output_size = 1000"));
    let loops = render_with(
        small.clone(),
        "#foreach($i in [1..50])#foreach($j in [1..3])#end#end",
        serde_json::json!({}),
    );
    assert_eq!(limit_of(loops.clone()), Some(Limit::LoopIterations));
    assert!(loops.unwrap_err().to_string().contains("max_loop_iterations"));
    let range = render_with(small, "#set($r = [1..1000])", serde_json::json!({}));
    assert_eq!(limit_of(range), Some(Limit::LoopIterations));
    let few_steps = Config { max_steps: 500, ..Config::default() };
    let steps =
        render_with(few_steps, "#foreach($i in [1..99])$i $i $i $i $i $i $i $i #end", serde_json::json!({}));
    assert_eq!(limit_of(steps.clone()), Some(Limit::Steps));
    assert!(steps.unwrap_err().to_string().contains("max_steps"));
    let recursion = render("#macro(m $n)#set($k = $n + 1)#m($k)#end#m(0)");
    assert_eq!(limit_of(recursion.clone()), Some(Limit::MacroDepth));
    assert!(recursion.unwrap_err().to_string().contains("max_macro_depth = 20"));
    let strings = render_with(
        Config { max_output: 1000, ..Config::default() },
        "$s.repeat(2000)",
        serde_json::json!({"s": "x"}),
    );
    assert_eq!(limit_of(strings), Some(Limit::OutputSize));
}

#[test]
fn too_deep_nesting_is_refused_not_a_crash() {
    with_big_stack(|| {
        let deep_blocks = format!("{}x{}", "#if(true)".repeat(2000), "#end".repeat(2000));
        let e = render(&deep_blocks).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Parse);
        assert!(e.message.contains("400 levels"), "{e}");
        let deep_parens = format!("#set($a = {}1{})", "(".repeat(5000), ")".repeat(5000));
        assert!(render(&deep_parens).unwrap_err().message.contains("expressions nest"));
        let deep_lists = format!("#set($a = {}1{})", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(render(&deep_lists).unwrap_err().kind, ErrorKind::Parse);
        let evaluate = render("#set($s = '#evaluate($s)')#evaluate($s)").unwrap_err();
        assert!(evaluate.message.contains("#evaluate nested too deeply"));
        // 500 macro levels of 390 blocks each: far more stack than MAX_STACK in any build.
        let blocks = format!(
            "#macro(m $n){}#if($n > 0)#set($k = $n - 1)#m($k)#end{}#end#m(499)",
            "#if(true)".repeat(390),
            "#end".repeat(390)
        );
        let deep_macros = Config { max_macro_depth: 500, ..Config::default() };
        let e = render_with(deep_macros, &blocks, serde_json::json!({})).unwrap_err();
        assert!(e.message.contains("nests too deeply while rendering"), "{e}");
    });
}

#[test]
fn parse_errors_show_line_column_and_caret() {
    let e = render("Hello\n  #if($a\nmore").unwrap_err();
    assert_eq!((e.kind, e.line, e.template.as_str()), (ErrorKind::Parse, 3, "t.vm"));
    let shown = e.to_string();
    assert!(shown.starts_with("Encountered"), "{shown}");
    assert!(shown.contains("at t.vm[line 3, column 1]"), "{shown}");
    let e = render("ok\n#foreach($x in [1])\n$x #set($y = )\n#end").unwrap_err();
    assert_eq!((e.line, e.column), (3, 14));
    assert!(e.to_string().ends_with("$x #set($y = )\n             ^"), "{e}");
}

#[test]
fn runtime_errors_name_the_place() {
    let engine = Engine::new(Config::default());
    let vars = engine.json_vars(&serde_json::json!({"list": [1, 2]}));
    let e = engine.render_source("promo", "a\n  $!list.get(5) b", vars, &NoLoader).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MethodInvocation);
    assert_eq!((e.line, e.column), (2, 10));
    let text = e.to_string();
    assert!(text.contains("Invocation of method 'get' in class java.util.ArrayList threw exception java.lang.IndexOutOfBoundsException: Index 5 out of bounds for length 2"), "{text}");
    assert!(text.contains("at promo[line 2, column 10]\n  $!list.get(5) b\n         ^"), "{text}");
}

#[test]
fn methods_this_engine_lacks_say_so() {
    let e = render("#set($s = 'abc')$s.chars()").unwrap_err();
    assert!(
        e.to_string().contains("java.lang.String.chars() is not available in this template engine"),
        "{e}"
    );
}

#[test]
fn parse_and_include_read_from_the_loader() {
    let mut templates = MapLoader::default();
    templates.0.insert("header".into(), "Dear $name,#set($greeted = true)".into());
    templates.0.insert("raw".into(), "$name is not rendered".into());
    templates.0.insert("self".into(), "x#parse('self')".into());
    templates.0.insert("VM_global_library.vm".into(), "#macro(shout $w)$w.toUpperCase()!#end".into());
    let engine = Engine::new(Config::default());
    let vars = engine.json_vars(&serde_json::json!({"name": "Ana"}));
    let src = "#parse('header') #include('raw') $greeted #shout($name) #parse('self')";
    let out = engine.render_source("main", src, vars, &templates).unwrap();
    // #parse nests at most ten templates deep and then renders nothing, as Velocity does.
    assert_eq!(out, "Dear Ana, $name is not rendered true ANA! xxxxxxxxx");
    let missing = engine.render_source("main", "#parse('nope')", Default::default(), &templates).unwrap_err();
    assert_eq!(missing.kind, ErrorKind::ResourceNotFound);
    let null = engine.render_source("main", "#include($nothing)", Default::default(), &templates).unwrap();
    assert_eq!(null, "<!-- include error : error with arg 0 please see log. see error log -->");
}

#[test]
fn settings_change_what_velocity_changes() {
    let src = "#set($a = 1)#set($a = $nothing)$a";
    assert_eq!(render(src).unwrap(), "1");
    assert_eq!(
        render_with(Config { set_null_allowed: true, ..Config::default() }, src, serde_json::json!({}))
            .unwrap(),
        "$a"
    );
    let eval = "#evaluate('#set($e = 1)')$e";
    assert_eq!(render(eval).unwrap(), "1");
    assert_eq!(
        render_with(
            Config { evaluate_local_context: true, ..Config::default() },
            eval,
            serde_json::json!({})
        )
        .unwrap(),
        "$e"
    );
    let local = "#macro(m)#set($x = 'in')#end#m()$x";
    assert_eq!(render(local).unwrap(), "in");
    assert_eq!(
        render_with(Config { macro_local_scope: true, ..Config::default() }, local, serde_json::json!({}))
            .unwrap(),
        "$x"
    );
}

#[test]
fn compiled_templates_are_reused() {
    let engine = Engine::new(Config::default());
    let a = engine.prepare("t", "Hi $n", &NoLoader).unwrap();
    let b = engine.prepare("t", "Hi $n", &NoLoader).unwrap();
    assert!(std::rc::Rc::ptr_eq(&a.template, &b.template));
    for n in 0..3 {
        let vars = engine.json_vars(&serde_json::json!({ "n": n }));
        assert_eq!(engine.render(&a, vars, &NoLoader).unwrap(), format!("Hi {n}"));
    }
}

#[test]
fn a_foreach_without_arguments_fails_before_anything_renders() {
    // `\\#foreach` parses as a directive with no arguments; Velocity's Foreach.init then fails,
    // so even a `#stop` before it does not save the render (found by the differential test).
    let err = render("#stop #foreach($i in [1])\\\\#foreach #end").unwrap_err();
    assert_eq!((err.kind, err.line, err.column), (ErrorKind::Runtime, 1, 28));
    // With some arguments but too few, Velocity fails only when the loop renders.
    assert_eq!(render("#stop #foreach($i) #end").unwrap(), "");
}

#[test]
fn a_hash_before_a_number_fails_as_velocity_parses_it() {
    // The lexer folds `#` into the next token: `#1` is an integer literal Velocity cannot read.
    let err = render("$list[#1]").unwrap_err();
    assert_eq!((err.kind, err.column), (ErrorKind::Runtime, 7));
    assert_eq!(err.message, "java.lang.NumberFormatException: For input string: \"#1\"");
    let err = render("$s.concat(#1.5)").unwrap_err();
    assert!(
        err.message.starts_with("java.lang.NumberFormatException: Character # is neither"),
        "{}",
        err.message
    );
    // Outside a reference it is text.
    assert_eq!(render("a[#1]").unwrap(), "a[#1]");
}

#[test]
fn loop_counters_reach_whatever_may_read_them() {
    // `#foreach` keeps $velocityCount and $velocityHasNext only when something may read them:
    // the template, a macro from the library, or `#evaluate` (outputs as Velocity 1.7 renders).
    let mut library = MapLoader::default();
    library
        .0
        .insert("VM_global_library.vm".into(), "#macro(show)[$velocityCount $velocityHasNext]#end".into());
    let engine = Engine::new(Config::default());
    let rendered = |src: &str| {
        let prepared = engine.prepare("t.vm", src, &library).unwrap();
        engine.render(&prepared, engine.json_vars(&serde_json::json!({})), &library).unwrap()
    };
    assert_eq!(rendered("#foreach($x in [1..3])#show()#end"), "[1 true][2 true][3 false]");
    assert_eq!(rendered("#foreach($x in [1..2])#evaluate('($velocityCount)')#end"), "(1)(2)");
    assert_eq!(rendered("#foreach($x in [1..2])$velocityCount#end $velocityCount"), "12 $velocityCount");
}

/// References read in place (map properties, `get`, `size`, `isEmpty`, `equals` of a string or
/// int constant) give what the general method path gives, including the pairs it leaves to it.
#[test]
fn in_place_reads_agree_with_method_calls() {
    let render = |src: &str| {
        let data = serde_json::json!({"d": {"s": "a", "i": 1, "l": [1, 2], "m": {"k": "v"}}});
        render_with(Config::default(), src, data).map_err(|e| e.to_string())
    };
    assert_eq!(
        render(
            "$d.s.equals('a') $d.s.equals(1) $d.i.equals(1) $d.i.equals('1') $d.m.equals('x') \
             $d.get('s') $d.l.get(1) $d.l.size() $d.m.isEmpty() $d.s.isEmpty() $d.s.toUpperCase() \
             $d.get('s').equals('a').toString()"
        ),
        Ok("true false true false false a 2 2 false false A true".to_string())
    );
    // Out of bounds, `get(i)` throws as ArrayList's does, quiet or not.
    assert!(render("$!d.l.get(5)").is_err_and(|e| e.contains("get")));
}

/// Calls in a loop reuse the macro the previous call found; a macro defined while rendering
/// (`#evaluate`, `#parse`) is still found. (The first output is what Velocity 1.7 renders.)
#[test]
fn macros_defined_while_rendering_are_found_by_later_calls() {
    let src = "#foreach($i in [1..2])#m()#end|#evaluate(\"#macro(m)b#end\")#foreach($i in [1..2])#m()#end\
               |#macro(m)c#end#m()";
    assert_eq!(render(src).unwrap(), "bb|bb|b");
    let mut templates = MapLoader::default();
    templates.0.insert("lib".into(), "#macro(late $x)<$x>#end".into());
    let engine = Engine::new(Config::default());
    let src = "#late(1)#parse('lib')#foreach($i in [1..2])#late($i)#end";
    let out = engine.render_source("main", src, Default::default(), &templates).unwrap();
    assert_eq!(out, "#late(1)<1><2>");
}

const MIB: usize = 1 << 20;

/// Renders with a memory limit (and an output limit that does not get in its way), checking
/// that the render never held much more than the limit.
fn render_in_memory(max_memory: usize, src: &str, data: serde_json::Value) -> Result<String, Error> {
    let config = Config { max_memory, max_output: usize::MAX / 2, ..Config::default() };
    let (result, peak) = peak_of(|| render_with(config, src, data));
    assert!(peak < max_memory + max_memory / 2, "peak {peak} for a limit of {max_memory}: {src}");
    result
}

fn memory_limit(result: Result<String, Error>) {
    match result {
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Limit(Limit::Memory), "{e}");
            assert!(e.message.contains("(max_memory = "), "{e}");
        }
        Ok(out) => panic!("rendered {} bytes", out.len()),
    }
}

#[test]
fn growth_that_one_render_chooses_ends_at_the_memory_limit() {
    let none = serde_json::json!({});
    // A list doubled by adding itself, or made to hold itself many times over.
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($l = [1])#foreach($i in [1..60])#set($x = $l.addAll($l))#end",
        none.clone(),
    ));
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($l = [0])#foreach($i in [1..1000000])#set($x = $l.add($l))#end",
        none.clone(),
    ));
    // Many large strings, made by interpolation and by concat.
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($s = 'x')#set($s = $s.repeat(1000000))#set($l = [])\
         #foreach($i in [1..1000])#set($x = $l.add(\"$s$i\"))#end",
        none.clone(),
    ));
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($s = 'x')#set($s = $s.repeat(1000000))#set($l = [])\
         #foreach($i in [1..1000])#set($x = $l.add($s.concat('!')))#end",
        none.clone(),
    ));
    // A string doubled in a #set loop, by interpolation and by `+`.
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($s = 'ab')#foreach($i in [1..60])#set($s = \"$s$s\")#end",
        none.clone(),
    ));
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($s = 'ab')#foreach($i in [1..60])#set($s = $s + $s)#end",
        none.clone(),
    ));
    // Ranges held in a list.
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($l = [])#foreach($i in [1..100])#set($x = $l.add([1..1000000]))#end",
        none.clone(),
    ));
    // Strings that turn into many values, or grow when replaced.
    let big = serde_json::json!({"s": ",".repeat(4 * MIB)});
    memory_limit(render_in_memory(32 * MIB, "$s.split(',', -1).size()", big.clone()));
    memory_limit(render_in_memory(32 * MIB, "$s.toCharArray().size()", big.clone()));
    memory_limit(render_in_memory(32 * MIB, "$s.getBytes().size()", big.clone()));
    memory_limit(render_in_memory(32 * MIB, "$s.replace(',', $s).length()", big.clone()));
    memory_limit(render_in_memory(32 * MIB, "$s.replaceAll(',', $s).length()", big.clone()));
    memory_limit(render_in_memory(32 * MIB, "$s.replace('', 'abcdefghij').length()", big.clone()));
    // A template as large as a string can be, evaluated.
    memory_limit(render_in_memory(
        32 * MIB,
        "#set($u = '$a ')#set($t = $u.repeat(2000000))#evaluate($t)",
        none,
    ));
}

#[test]
fn sizes_a_template_asks_for_are_checked_before_anything_is_allocated() {
    let render = |src: &str| render_in_memory(64 * MIB, src, serde_json::json!({"s": "x", "n": 1}));
    // An eleven-digit width or precision is no int: Java's Formatter refuses it.
    for src in [
        "$s.format('%099999999999d', 1)",
        "$s.format('%99999999999s', 'a')",
        "$s.format('%-99999999999999999999999999s', 'a')",
        "$s.format('%.99999999999f', 1.5)",
        "${s.format('%0999999999999999999999d', $n)}",
        "#set($f = '%099999999999d')$f.formatted(1)",
    ] {
        let e = render(src).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MethodInvocation, "{src}: {e}");
        assert!(e.message.contains("IllegalFormat"), "{src}: {e}");
    }
    // Within an int (Java runs out of memory): past the memory limit.
    for src in [
        "$s.format('%02147483647d', 1)",
        "$s.format('%.2147483647f', 1.5)",
        "$s.format('%.1999999999e', 1.5)",
        "$s.format('%999999999s', 'a')",
        "$s.repeat(2147483647)",
        "$s.indent(2147483647)",
    ] {
        memory_limit(render(src));
    }
    // The default output limit comes first.
    let e = render_with(Config::default(), "$s.format('%0999999999d', 1)", serde_json::json!({"s": ""}));
    assert_eq!(limit_of(e), Some(Limit::OutputSize));
}

#[test]
fn big_numbers_past_their_range_throw() {
    let data = serde_json::json!({"big": 12345678901234567890u64, "d": 2.5});
    let render = |src: &str| render_in_memory(64 * MIB, src, data.clone());
    for src in [
        "$big.pow(999999999)",
        "$big.shiftLeft(2147483647)",
        "$big.shiftRight(-2147483647)",
        "#set($x = $big)#foreach($i in [1..64])#set($x = $x.multiply($x))#end",
        "#set($b = $big + 0.5)$b.pow(999999999)",
        "#set($b = $big + 0.5)$b.scaleByPowerOfTen(-2000000000).add($b)",
        "#set($b = $big + 0.5)$b.scaleByPowerOfTen(2000000000).toBigInteger()",
    ] {
        let e = render(src).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MethodInvocation, "{src}: {e}");
        assert!(e.message.contains("java.lang.ArithmeticException"), "{src}: {e}");
    }
    let e = render("#set($x = $big)#foreach($i in [1..64])#set($x = $x * $x)#end").unwrap_err();
    assert!(e.message.contains("BigInteger would overflow supported range"), "{e}");
    // Printed without an exponent, a huge scale is a string past the limit.
    let e = render_with(
        Config::default(),
        "#set($b = $big + 0.5)$b.scaleByPowerOfTen(2000000000).toPlainString()",
        data.clone(),
    );
    assert_eq!(limit_of(e), Some(Limit::OutputSize));
    // Numbers as large as templates use still work.
    assert_eq!(
        render("$big.pow(3).bitLength() $big.modPow($big, $big.valueOf(1000007))").unwrap(),
        "191 240435"
    );
}

#[test]
fn values_that_contain_themselves_are_compared_printed_and_hashed_as_java_does() {
    let render = |src: &str| render_in_memory(64 * MIB, src, serde_json::json!({}));
    assert_eq!(render("#set($l = [1])#set($x = $l.add($l))$l").unwrap(), "[1, (this Collection)]");
    assert_eq!(
        render("#set($l = [1])#set($x = $l.add($l))$l.equals($l) $l.equals([1, 2])").unwrap(),
        "true false"
    );
    let e = render("#set($l = [1])#set($x = $l.add($l))$l.hashCode()").unwrap_err();
    assert!(e.message.contains("threw exception java.lang.StackOverflowError"), "{e}");
    let e = render("#set($m = {})#set($x = $m.put('a', $m))$m.hashCode()").unwrap_err();
    assert!(e.message.contains("java.lang.StackOverflowError"), "{e}");
    // Lists as map keys are looked up by value, as Java's HashMap does.
    let keys = "#set($m = {})#foreach($i in [1..20])#set($x = $m.put([$i, 'k'], $i))#end\
                $m.get([7, 'k']) $m.containsKey([21, 'k']) $m.size()";
    assert_eq!(render(keys).unwrap(), "7 false 20");
}

/// Values are reference-counted: what a render links into a cycle is freed when it ends, or every
/// render would leak it (a `#define` its whole context).
#[test]
fn cycles_a_render_makes_are_freed_when_it_ends() {
    let engine = Engine::new(Config::default());
    for src in [
        "#define($b)$a.length()#end$b",
        "#macro(m)#set($g = $bodyContent)#end#@m()x#end$g",
        "#macro(m)#define($d)in $d#end$d#end#m()",
        "#set($l = [$a])#set($x = $l.add($l))$l.size()",
        "#set($l = [$a])#set($m = {'l': $l})#set($x = $l.add($m))",
        "#set($m = {'a': $a})#foreach($e in $m.entrySet())#set($x = $e.setValue([$e]))#end",
        "#set($l = [$a])#set($x = $l.add($l.iterator()))",
        "#foreach($i in [1..2])#set($foreach.me = $foreach)#set($x = $a)#end",
        "#set($data.mine = $data)",
    ] {
        let prepared = engine.prepare("t", src, &NoLoader).unwrap();
        let render = || {
            let vars = engine.harness_vars(&serde_json::json!({"a": "x".repeat(100_000)}));
            engine.render(&prepared, vars, &NoLoader).unwrap();
        };
        render();
        let before = vtl::memory::held();
        for _ in 0..20 {
            render();
        }
        let leaked = vtl::memory::held().wrapping_sub(before) as isize;
        assert!(leaked < 100_000, "{leaked} bytes left by 20 renders of {src}");
    }
    // What the caller's data still holds stays whole.
    let vars = engine.json_vars(&serde_json::json!({"l": [1]}));
    let kept = vars.clone();
    engine.render_source("t", "#set($x = $l.add($l))", vars, &NoLoader).unwrap();
    let out = engine.render_source("t", "$l.size() $l.get(1).size()", kept, &NoLoader).unwrap();
    assert_eq!(out, "2 2");
}

static LOOP_CALLS: AtomicUsize = AtomicUsize::new(0);
static CONTAINS_CALLS: AtomicUsize = AtomicUsize::new(0);
static REGEX_CALLS: AtomicUsize = AtomicUsize::new(0);
static PARSE_CALLS: AtomicUsize = AtomicUsize::new(0);
static JSON_CALLS: AtomicUsize = AtomicUsize::new(0);

fn engine_with_hook(hook: fn()) -> Engine {
    let config = Config { max_output: usize::MAX / 2, max_memory: 1 << 30, ..Config::default() };
    let mut engine = Engine::new(config);
    engine.set_interrupt_hook(hook);
    engine
}

/// Calls of the interrupt hook while `f` runs (`calls` counts them).
fn hook_calls(calls: &AtomicUsize, f: impl FnOnce()) -> usize {
    let before = calls.load(Ordering::Relaxed);
    f();
    calls.load(Ordering::Relaxed) - before
}

#[test]
fn the_interrupt_hook_is_called_all_through_long_work() {
    // A long loop: at least every 1024 steps.
    let engine = engine_with_hook(|| {
        LOOP_CALLS.fetch_add(1, Ordering::Relaxed);
    });
    let calls = hook_calls(&LOOP_CALLS, || {
        engine.render_source("t", "#foreach($i in [1..1000000])#end", Default::default(), &NoLoader).unwrap();
    });
    assert!(calls >= 1_000_000 / 1100, "{calls}");

    // One method call comparing 20,000 elements with 20,000 others: a call per element compared
    // a few thousand times.
    let engine = engine_with_hook(|| {
        CONTAINS_CALLS.fetch_add(1, Ordering::Relaxed);
    });
    let n = 20_000;
    let vars = engine.json_vars(&serde_json::json!({"l": (0..n).collect::<Vec<_>>()}));
    let calls = hook_calls(&CONTAINS_CALLS, || {
        let out = engine.render_source("t", "$l.containsAll($l)", vars, &NoLoader).unwrap();
        assert_eq!(out, "true");
    });
    assert!(calls >= n * n / 2 / 8192, "{calls}");

    // A regular expression over long text.
    let engine = engine_with_hook(|| {
        REGEX_CALLS.fetch_add(1, Ordering::Relaxed);
    });
    let vars = engine.json_vars(&serde_json::json!({"s": "ab".repeat(1 << 20)}));
    let calls = hook_calls(&REGEX_CALLS, || {
        let out =
            engine.render_source("t", "$s.replaceAll('a(?=b)', 'x').length()", vars, &NoLoader).unwrap();
        assert_eq!(out, (2 << 20).to_string());
    });
    assert!(calls >= (1 << 20) / 8192, "{calls}");

    // Parsing a huge template, and converting big data.
    let engine = engine_with_hook(|| {
        PARSE_CALLS.fetch_add(1, Ordering::Relaxed);
    });
    let tokens = 200_000;
    let source = "$a ".repeat(tokens / 2);
    let calls = hook_calls(&PARSE_CALLS, || {
        engine.prepare("big", &source, &NoLoader).unwrap();
    });
    assert!(calls >= tokens / 8192, "{calls}");
    let engine = engine_with_hook(|| {
        JSON_CALLS.fetch_add(1, Ordering::Relaxed);
    });
    let data = serde_json::json!({"l": (0..200_000).collect::<Vec<_>>()});
    let calls = hook_calls(&JSON_CALLS, || {
        engine.json_vars(&data);
    });
    assert!(calls >= 200_000 / 8192, "{calls}");
}

static CANCEL_AFTER: AtomicUsize = AtomicUsize::new(usize::MAX);

/// A host's hook: cancels (unwinds) once told to.
fn cancelling_hook() {
    if CANCEL_AFTER.fetch_sub(1, Ordering::Relaxed) == 1 {
        panic!("canceled by the host");
    }
}

#[test]
fn a_hook_that_unwinds_stops_a_long_method_call_and_the_engine_renders_on() {
    let engine = engine_with_hook(cancelling_hook);
    let n = 40_000;
    let vars = engine.json_vars(&serde_json::json!({"l": (0..n).collect::<Vec<_>>()}));
    let src = "#set($m = {'k': 1})$l.containsAll($l) $m.k";
    let full = Instant::now();
    assert_eq!(engine.render_source("t", src, vars.clone(), &NoLoader).unwrap(), "true 1");
    let full = full.elapsed();
    CANCEL_AFTER.store(10, Ordering::Relaxed);
    let start = Instant::now();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine.render_source("t", src, vars.clone(), &NoLoader)
    }));
    let canceled = start.elapsed();
    assert!(unwound.is_err(), "the hook's panic reaches the host");
    assert!(canceled < full / 10 + Duration::from_millis(5), "canceled after {canceled:?} of {full:?}");
    CANCEL_AFTER.store(usize::MAX, Ordering::Relaxed);
    // Nothing is left borrowed or half-done: the same engine renders, the same template too.
    assert_eq!(engine.render_source("t", src, vars, &NoLoader).unwrap(), "true 1");
    assert_eq!(
        engine.render_source("u", "#set($l = [1, 2])$l.size()", Default::default(), &NoLoader).unwrap(),
        "2"
    );
}

#[test]
fn the_memory_limit_names_itself() {
    let e = render_with(
        Config { max_memory: 1 << 20, ..Config::default() },
        "#set($l = [1..100000])#set($m = [1..100000])",
        serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit(Limit::Memory));
    assert_eq!(Limit::Memory.name(), "max_memory");
    assert_eq!(e.message, "the template would use more than 1048576 bytes of memory (max_memory = 1048576)");
}

/// `#foreach` argument lists that are not `$var in list`, as Velocity 1.7 renders them (outputs
/// taken from the reference): it iterates over the third argument and renders the fourth as the
/// body, the second may be any word, two arguments render nothing, fewer fail when rendered.
#[test]
fn foreach_argument_lists_render_as_velocity_does() {
    let data = serde_json::json!({"list": [1, 2], "extra": [3], "m": {"k": "v"}});
    let cases = [
        ("#foreach($a in $list $extra)[$a]#end", Some("[3][3]")),
        ("#foreach($a in $list, $extra)[$a]#end", Some("[3][3]")),
        ("#foreach($a $list)[$a]#end", Some("")),
        ("#foreach($a, $list)[$a]#end", Some("")),
        ("#foreach($a in)[$a]#end", Some("")),
        ("#foreach($a IN $list)[$a]#end", Some("[1][2]")),
        ("#foreach($a foo $list)[$a]#end", Some("[1][2]")),
        ("#foreach($a.b in $list)[$a]#end", Some("[1][2]")),
        ("#foreach('x' in $list)[$a]#end", Some("[$a][$a]")),
        ("#foreach($a in [1..3] [4..5])[$a]#end", Some("")),
        ("#foreach($a)[$a]#end", None),
        ("#foreach()[$a]#end", None),
    ];
    for (template, expected) in cases {
        let out = render_with(Config::default(), template, data.clone());
        match expected {
            Some(text) => assert_eq!(out.as_deref().ok(), Some(text), "{template}"),
            None => assert!(out.is_err(), "{template} should fail when rendered"),
        }
    }
}

#[test]
fn properties_read_says_what_a_template_can_read_of_a_variable() {
    let engine = Engine::new(Config::default());
    let read = |src: &str| {
        let prepared = engine.prepare("t", src, &NoLoader).unwrap();
        prepared
            .template
            .properties_read("contact")
            .map(|set| set.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    };
    let names = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(read("Hello"), names(&[]));
    assert_eq!(
        read("Hi $!contact.firstName ${contact.lastName}, $data.total"),
        names(&["firstName", "lastName"])
    );
    assert_eq!(read("$contact.get('email') $contact.fields.vip.length()"), names(&["email", "fields"]));
    assert_eq!(read("#foreach($c in $contact.channels)$c.value#end"), names(&["channels"]));
    assert_eq!(
        read("#if($x)\"${contact.phone}\"#end#set($s = \"$contact.timeZone\")"),
        names(&["phone", "timeZone"])
    );
    // Used whole, asked something no property names, or reached by code this tree does not hold.
    for whole in [
        "$contact",
        "#set($c = $contact)$c.email",
        "#foreach($e in $contact)$e#end",
        "$contact.size()",
        "$contact.keySet()",
        "$contact.get($key)",
        "$contact.class",
        "#macro(m $x)$x#end#m($data)",
        "#parse('part')",
        "#evaluate('$contact')",
    ] {
        assert_eq!(read(whole), None, "{whole}");
    }
}
