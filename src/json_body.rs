//! `JsonBody` and `TemplateData`: `jsonb` arguments read straight from their binary form by
//! `engage_jsonb`, instead of pgrx's `JsonB`, which prints the value as text and parses the text
//! back. For a 100,000-contact body that round trip cost more than a fifth of an upsert.

use crate::error::EngageError;
use pgrx::callconv::{Arg, ArgAbi};
use pgrx::datum::FromDatum;
use pgrx::{pg_sys, PgSqlErrorCode};
use serde_json::Value;

pub struct JsonBody(pub Value);

/// Decodes a `jsonb` datum in place with `builder`, which makes values of their own (the bytes
/// are freed after); malformed bytes raise an error.
///
/// # Safety
/// `datum` must be a non-null `jsonb` datum.
pub unsafe fn decode_datum<V, B: for<'a> engage_jsonb::Builder<'a, Value = V>>(
    datum: pg_sys::Datum,
    builder: &mut B,
) -> V {
    // SAFETY: detoasting gives a valid varlena whose payload we only read, before freeing a copy
    // we made.
    unsafe {
        let original = datum.cast_mut_ptr::<pg_sys::varlena>();
        let varlena = pg_sys::pg_detoast_datum_packed(original);
        let value = decode_bytes(payload(varlena), builder);
        if varlena != original {
            pg_sys::pfree(varlena.cast());
        }
        value
    }
}

/// The bytes of a detoasted varlena after its header.
///
/// # Safety
/// `varlena` must be a valid, detoasted varlena that outlives `'a`.
unsafe fn payload<'a>(varlena: *const pg_sys::varlena) -> &'a [u8] {
    unsafe {
        std::slice::from_raw_parts(
            pgrx::varlena::vardata_any(varlena) as *const u8,
            pgrx::varlena::varsize_any_exhdr(varlena),
        )
    }
}

/// Decodes `jsonb` bytes with `builder`, checking for interrupts; malformed bytes raise an error.
fn decode_bytes<'a, B: engage_jsonb::Builder<'a>>(bytes: &'a [u8], builder: &mut B) -> B::Value {
    engage_jsonb::decode_with(bytes, builder, &mut || {
        pgrx::check_for_interrupts!();
    })
    .unwrap_or_else(|e| {
        let code = match e {
            engage_jsonb::DecodeError::TooDeep => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            engage_jsonb::DecodeError::Malformed(_) => PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
        };
        EngageError::new(code, e.to_string()).raise()
    })
}

/// A `jsonb` argument kept as its detoasted bytes, for a function that reads a large body once
/// ([`JsonbBytes::node`]: strings borrowed, nothing copied). The bytes are the datum itself or
/// a copy made in the call's memory context, so they live as long as the call.
pub struct JsonbBytes(*const pg_sys::varlena);

impl JsonbBytes {
    pub fn node(&self) -> engage_jsonb::Node<'_> {
        // SAFETY: the varlena was detoasted when the argument was read and lives for the call,
        // which outlives `self`.
        decode_bytes(unsafe { payload(self.0) }, &mut engage_jsonb::Borrowed)
    }
}

impl FromDatum for JsonbBytes {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _: pg_sys::Oid) -> Option<Self> {
        // SAFETY: the datum is a jsonb, the function's declared argument type.
        (!is_null).then(|| JsonbBytes(unsafe { pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr()) }))
    }
}

unsafe impl<'fcx> ArgAbi<'fcx> for JsonbBytes {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

pgrx::impl_sql_translatable!(JsonbBytes, arg_only = "jsonb");

/// Makes `$name` a `jsonb` argument type whose value `$builder` decodes.
macro_rules! jsonb_argument {
    ($name:ident, $builder:expr) => {
        impl FromDatum for $name {
            unsafe fn from_polymorphic_datum(
                datum: pg_sys::Datum,
                is_null: bool,
                _: pg_sys::Oid,
            ) -> Option<Self> {
                // SAFETY: the datum is a jsonb, the function's declared argument type.
                (!is_null).then(|| $name(unsafe { decode_datum(datum, &mut $builder) }))
            }
        }

        unsafe impl<'fcx> ArgAbi<'fcx> for $name {
            unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
                let index = arg.index();
                unsafe { arg.unbox_arg_using_from_datum() }
                    .unwrap_or_else(|| panic!("argument {index} must not be null"))
            }
        }

        pgrx::impl_sql_translatable!($name, arg_only = "jsonb");
    };
}

jsonb_argument!(JsonBody, engage_jsonb::SerdeJson);

/// A `jsonb` argument decoded straight into the template engine's values, for the functions that
/// render one per row.
pub struct TemplateData(pub vtl::Value);

jsonb_argument!(TemplateData, engage_jsonb::VtlValues);

/// A `json` argument as its text (`json` is stored as written), for the caller to parse with its
/// key order and number spelling, and to refuse with an error of its own.
pub struct JsonText(pub String);

impl FromDatum for JsonText {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _: pg_sys::Oid) -> Option<Self> {
        // SAFETY: a json datum is a text varlena, the function's declared argument type.
        unsafe { String::from_polymorphic_datum(datum, is_null, pg_sys::TEXTOID) }.map(JsonText)
    }
}

unsafe impl<'fcx> ArgAbi<'fcx> for JsonText {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

pgrx::impl_sql_translatable!(JsonText, arg_only = "json");

/// JSON text parsed as written: object keys in their order, numbers with their digits. Text that
/// is not JSON is refused (22P02), JSON nested deeper than serde_json's limit of 128 too (54000).
pub fn parse_json_text(text: &str, what: &str) -> Result<Value, EngageError> {
    serde_json::from_str(text).map_err(|e| {
        let code = if e.to_string().contains("recursion limit") {
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED
        } else {
            PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION
        };
        EngageError::new(code, format!("{what} is not JSON the engine can read: {e}"))
    })
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;
    use pgrx::prelude::*;

    /// Decodes through `JsonBody` what Postgres stored for `text`, and compares with parsing the
    /// text Postgres prints for it; and the same through `JsonbBytes` (borrowed), whose keys must
    /// come in the stored order its lookups rely on.
    fn same_as_jsonb_out(text: &str) {
        let (printed, body, borrowed) = Spi::connect(|client| {
            let row =
                client.select("SELECT $1::jsonb::text, $1::jsonb", None, &[text.into()]).unwrap().first();
            let printed: String = row.get(1).unwrap().unwrap();
            let datum = row.get_datum_by_ordinal(2).unwrap().unwrap();
            let bytes = unsafe { JsonbBytes::from_datum(datum, false) }.unwrap();
            let borrowed: Value = serde_json::from_str(&bytes.node().to_json()).unwrap();
            (printed, unsafe { JsonBody::from_datum(datum, false) }.unwrap(), borrowed)
        });
        let expected: Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(body.0, expected, "{text}");
        assert_eq!(serde_json::to_string(&body.0).unwrap(), serde_json::to_string(&expected).unwrap());
        assert_eq!(serde_json::to_string(&borrowed).unwrap(), serde_json::to_string(&expected).unwrap());
    }

    #[pg_test]
    fn borrowed_objects_find_their_keys() {
        Spi::connect(|client| {
            let row = client
                .select(r#"SELECT '{"zz": 1, "a": 2, "bb": {"k": [true]}, "b": null}'::jsonb"#, None, &[])
                .unwrap()
                .first();
            let datum = row.get_datum_by_ordinal(1).unwrap().unwrap();
            let bytes = unsafe { JsonbBytes::from_datum(datum, false) }.unwrap();
            let node = bytes.node();
            for (key, expected) in [("zz", "1"), ("a", "2"), ("bb", r#"{"k":[true]}"#), ("b", "null")] {
                assert_eq!(node.get(key).map(|v| v.to_json()).as_deref(), Some(expected), "{key}");
            }
            assert_eq!(node.get("c"), None);
        });
    }

    #[pg_test]
    fn decoding_matches_parsing_jsonb_out() {
        for doc in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "1e3",
            "-123.4500",
            "3.14159265358979323846264338327950288",
            "1e-30",
            "12345678901234567890123456789",
            "0.000001",
            "\"\"",
            "\"é ✓ \\\\ \\\" \\n\"",
            "[]",
            "{}",
            "[1, [2, [3, [4]]]]",
            r#"{"b": 1, "a": 2, "aa": {"z": [], "y": {}}}"#,
            r#"{"contacts": [{"channels": [{"type": "email", "value": "A@x.io"}], "fields": [{"id": 1, "value": 2.50}]}]}"#,
        ] {
            same_as_jsonb_out(doc);
        }
        // Past the 32-entry stride of stored offsets, and long strings in big containers.
        let long: Vec<String> =
            (0..300).map(|i| format!("{{\"k{i}\": [{i}, \"{}\", {i}.5]}}", "x".repeat(i % 50))).collect();
        same_as_jsonb_out(&format!("[{}]", long.join(",")));
        let wide: Vec<String> = (0..100).map(|i| format!("\"key{i:03}\": {}", i * 7)).collect();
        same_as_jsonb_out(&format!("{{{}}}", wide.join(",")));
    }

    #[pg_test]
    fn a_toasted_body_decodes() {
        Spi::run("CREATE TEMP TABLE big AS SELECT jsonb_agg(jsonb_build_object('i', i, 's', repeat('y', 100))) AS b FROM generate_series(1, 5000) i").unwrap();
        let n = Spi::connect(|client| {
            let row = client.select("SELECT b FROM big", None, &[]).unwrap().first();
            let datum = row.get_datum_by_ordinal(1).unwrap().unwrap();
            unsafe { JsonBody::from_datum(datum, false) }.unwrap().0.as_array().map(Vec::len)
        });
        assert_eq!(n, Some(5000));
    }
}
