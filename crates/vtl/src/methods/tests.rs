//! Method resolution as Velocity's MethodMap does it, and some implementations.

use super::*;
use crate::value::TestPrinter;

fn call(recv: &Value, name: &str, args: Vec<Value>) -> Result<Value, String> {
    let m = find_method(recv, name, &args).ok_or("no method")?;
    m.invoke(&mut TestPrinter, recv, &args).map_err(|f| match f {
        Fault::Java(e) | Fault::Reflection(e) => e.to_string(),
        Fault::Thrown(t) => format!("{t:?}"),
    })
}

fn text(v: Result<Value, String>) -> String {
    match v {
        Ok(v) => v.to_java_string(&mut TestPrinter).unwrap().unwrap_or_else(|| "null".into()),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn overloads_pick_the_most_specific_method() {
    let list = Value::list(vec![Value::str("a"), Value::str("b")]);
    // remove(int) beats remove(Object) for an Integer argument.
    assert_eq!(text(call(&list, "remove", vec![Value::Int(0)])), "a");
    let m = find_method(&Value::str("x"), "indexOf", &[Value::str("x")]).unwrap();
    assert_eq!(m.sig.params, ["java.lang.String"]);
    // A Character does not convert to int (Velocity only unboxes to the same primitive).
    assert!(find_method(&Value::str("x"), "indexOf", &[Value::Char(120)]).is_none());
}

#[test]
fn nulls_and_wrong_types_find_no_method() {
    // An Integer is not a String: no substring(String).
    assert!(find_method(&Value::str("x"), "substring", &[Value::str("1")]).is_none());
    // A Long is not an int.
    assert!(find_method(&Value::str("abc"), "substring", &[Value::Long(1)]).is_none());
    // null matches any reference parameter.
    assert!(find_method(&Value::str("abc"), "concat", &[Value::Null]).is_some());
}

#[test]
fn variable_arguments_are_packed() {
    let s = Value::str("");
    assert_eq!(text(call(&s, "format", vec![Value::str("%s-%s"), Value::Int(1), Value::str("b")])), "1-b");
    assert_eq!(text(call(&s, "format", vec![Value::str("x")])), "x");
}

#[test]
fn properties_try_getters_maps_and_is() {
    assert!(matches!(find_getter(&Value::str("abc"), "bytes"), Some(Getter::Method(_))));
    assert!(
        matches!(find_getter(&Value::str("abc"), "empty"), Some(Getter::Method(m)) if m.sig.name == "isEmpty")
    );
    assert!(matches!(
        find_getter(&Value::map(crate::value::JMap::default()), "anything"),
        Some(Getter::MapGet(_))
    ));
    assert!(find_getter(&Value::Int(1), "nothing").is_none());
}

#[test]
fn java_exceptions_come_back_as_errors() {
    let list = Value::list(vec![Value::Int(1)]);
    assert_eq!(
        text(call(&list, "get", vec![Value::Int(5)])),
        "error: java.lang.IndexOutOfBoundsException: Index 5 out of bounds for length 1"
    );
    assert_eq!(
        text(call(&Value::str("abc"), "substring", vec![Value::Int(5)])),
        "error: java.lang.StringIndexOutOfBoundsException: begin 5, end 3, length 3"
    );
    assert_eq!(
        text(call(&Value::Int(1), "parseInt", vec![Value::str("x1")])),
        "error: java.lang.NumberFormatException: For input string: \"x1\""
    );
}

#[test]
fn strings_count_utf16_units() {
    let s = Value::str("aé😀b");
    assert_eq!(text(call(&s, "length", vec![])), "5");
    assert_eq!(text(call(&s, "substring", vec![Value::Int(2)])), "😀b");
    assert_eq!(text(call(&s, "indexOf", vec![Value::str("b")])), "4");
    assert_eq!(text(call(&s, "charAt", vec![Value::Int(1)])), "é");
}

#[test]
fn format_follows_java() {
    let f = |fmt: &str, args: Vec<Value>| {
        let mut all = vec![Value::str(fmt)];
        all.extend(args);
        text(call(&Value::str(""), "format", all))
    };
    assert_eq!(f("%.2f", vec![Value::Double(1.005)]), "1.01");
    assert_eq!(f("%.2f", vec![Value::Double(0.125)]), "0.13");
    assert_eq!(f("%,d", vec![Value::Int(1234567)]), "1,234,567");
    assert_eq!(
        f("%05d|%-4s|%4s", vec![Value::Int(42), Value::str("ab"), Value::str("cd")]),
        "00042|ab  |  cd"
    );
    assert_eq!(f("%x %X %o", vec![Value::Int(255), Value::Int(-1), Value::Int(8)]), "ff FFFFFFFF 10");
    assert_eq!(f("%e", vec![Value::Double(12345.678)]), "1.234568e+04");
    assert_eq!(f("%.3g|%g", vec![Value::Double(0.0001234), Value::Double(123.0)]), "0.000123|123.000");
    assert_eq!(f("%s %2$s %<s", vec![Value::str("a"), Value::str("b")]), "a b b");
    assert_eq!(f("%b %c %%%n", vec![Value::Null, Value::Char(65)]), "false A %\n");
    assert!(f("%d", vec![Value::str("x")]).starts_with("error: java.util.IllegalFormatConversionException"));
}

#[test]
fn velocity_quirks_of_resolution() {
    // A method without parameters is "applicable" to any arguments; the call then fails.
    let result = call(&Value::str("abc"), "length", vec![Value::Int(5)]);
    assert!(matches!(result, Err(e) if e.contains("wrong number of arguments")));
    // toArray() loses to toArray(Object[]) with an empty array: the same elements.
    let list = Value::list(vec![Value::Int(1)]);
    assert_eq!(find_method(&list, "toArray", &[]).unwrap().sig.params, ["java.lang.Object[]"]);
    assert_eq!(text(call(&Value::Double(255.0), "toHexString", vec![Value::Int(255)])), "0x1.fep7");
    assert_eq!(
        text(call(&Value::Double(1.0), "toHexString", vec![Value::Double(-0.1)])),
        "-0x1.999999999999ap-4"
    );
    assert_eq!(
        text(call(&Value::Double(1.0), "toHexString", vec![Value::Double(4.9e-324)])),
        "0x0.0000000000001p-1022"
    );
}

#[test]
fn case_mapping_of_ascii_and_other_text() {
    let long = "abc".repeat(50);
    for (s, upper, lower) in [
        ("Linen shirt", "LINEN SHIRT", "linen shirt"),
        ("", "", ""),
        ("straße", "STRASSE", "straße"),
        ("ÀÉÎ x", "ÀÉÎ X", "àéî x"),
        (long.as_str(), &long.to_uppercase(), long.as_str()),
    ] {
        let v = Value::str(s);
        assert_eq!(text(call(&v, "toUpperCase", vec![])), upper);
        assert_eq!(text(call(&v, "toLowerCase", vec![])), lower);
    }
}
