//! `engage_internal.segment_diff(contact_id, stored)`: the aggregate a refresh compares a segment's
//! computed members with its stored ones through (the logic is `engage_segments::Collected`).
//! It is parallel safe, so Postgres can run the rule's statement in parallel workers and send
//! the leader sorted lists instead of rows.

use engage_segments::Collected;
use pgrx::prelude::*;
use pgrx::{Internal, PgMemoryContexts};

/// Runs `f` in the aggregate's memory context, where the state must live (the current context
/// is reset for every row).
///
/// # Safety
/// `fcinfo` must be the call's own.
unsafe fn in_aggregate_context<R>(fcinfo: pg_sys::FunctionCallInfo, f: impl FnOnce() -> R) -> R {
    let mut context = std::ptr::null_mut();
    if unsafe { pg_sys::AggCheckCallContext(fcinfo, &mut context) } == 0 {
        error!("engage_internal.segment_diff's support functions are called by the aggregate only");
    }
    unsafe { PgMemoryContexts::For(context).switch_to(|_| f()) }
}

/// The state an `internal` datum points to, created empty on first use.
///
/// # Safety
/// The datum must be null or come from these functions.
unsafe fn collected(state: &mut Internal) -> &mut Collected {
    unsafe { state.get_or_insert_default::<Collected>() }
}

/// The version-1 calling convention record of [`segment_diff_step`].
#[unsafe(no_mangle)]
pub extern "C" fn pg_finfo_segment_diff_step() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// Transition `(state, contact_id bigint, stored boolean)`: one contact, computed now or a
/// stored member. It runs once per row of every refresh, so it reads its arguments from the
/// call directly: pgrx's per-call argument handling costs more than the work itself.
///
/// # Safety
/// Called by Postgres as the aggregate's transition function, with those argument types.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn segment_diff_step(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    unsafe {
        let mut state = Internal::from(pgrx::fcinfo::pg_getarg_datum(fcinfo, 0));
        if !state.initialized() {
            in_aggregate_context(fcinfo, || {
                collected(&mut state);
            });
        }
        if !pgrx::fcinfo::pg_arg_is_null(fcinfo, 1) {
            // bigint and boolean are passed by value.
            let id = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 1).value() as i64;
            let stored = !pgrx::fcinfo::pg_arg_is_null(fcinfo, 2)
                && pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 2).value() != 0;
            collected(&mut state).push(id, stored);
        }
        state.unwrap().unwrap_or(pg_sys::Datum::from(0))
    }
}

/// Combine: the second part's IDs join the first's.
#[pg_extern(immutable, parallel_safe, schema = "engage_internal")]
fn segment_diff_combine(
    first: Option<Internal>,
    second: Option<Internal>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let mut first = first.unwrap_or_default();
    unsafe {
        in_aggregate_context(fcinfo, || {
            let target = collected(&mut first);
            if let Some(mut second) = second.filter(Internal::initialized) {
                target.absorb(collected(&mut second));
            }
        })
    };
    first
}

/// Serialize (in a parallel worker): the part, sorted, as bytes.
#[pg_extern(immutable, parallel_safe, strict, schema = "engage_internal")]
fn segment_diff_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { collected(&mut state) }.to_bytes()
}

/// Deserialize (in the leader): a worker's part back.
#[pg_extern(immutable, parallel_safe, strict, schema = "engage_internal")]
fn segment_diff_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    let part = Collected::from_bytes(bytes)
        .unwrap_or_else(|_| error!("a malformed engage_internal.segment_diff part"));
    Internal::new(part)
}

/// Final: `[entered count, members, entered IDs…, left IDs…]`, IDs ascending. One array, so
/// that the plpgsql reading it needs no composite type; `engage.refresh_segment` takes it apart.
#[pg_extern(immutable, parallel_safe, schema = "engage_internal")]
fn segment_diff_final(state: Option<Internal>) -> Vec<i64> {
    let mut state = state.unwrap_or_default();
    let diff = std::mem::take(unsafe { collected(&mut state) }).finish(&mut || {
        pgrx::check_for_interrupts!();
    });
    let mut out = Vec::with_capacity(2 + diff.entered.len() + diff.left.len());
    out.extend([diff.entered.len() as i64, diff.members]);
    out.extend(diff.entered);
    out.extend(diff.left);
    out
}

extension_sql!(
    r#"
CREATE FUNCTION engage_internal.segment_diff_step(internal, bigint, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'segment_diff_step' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE engage_internal.segment_diff(contact_id bigint, stored boolean) (
    STYPE = internal,
    SFUNC = engage_internal.segment_diff_step,
    COMBINEFUNC = engage_internal.segment_diff_combine,
    SERIALFUNC = engage_internal.segment_diff_serialize,
    DESERIALFUNC = engage_internal.segment_diff_deserialize,
    FINALFUNC = engage_internal.segment_diff_final,
    PARALLEL = SAFE
);
"#,
    name = "segment_diff_aggregate",
    requires = [segment_diff_combine, segment_diff_serialize, segment_diff_deserialize, segment_diff_final]
);
