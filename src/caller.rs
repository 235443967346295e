//! Who called. A `SECURITY DEFINER` function runs as the extension's owner and cannot see the
//! role that called it, yet some steps must act with exactly that role's rights: registering a
//! relation as a data source, connecting as a connector's owner, running another role's job
//! early. Such a function is split in two: a `SECURITY INVOKER` wrapper takes a voucher with
//! `engage_internal.vouch()`, which records the role the wrapper runs as, and passes it to the internal
//! definer step, which redeems it with `engage_internal.vouched_role(voucher)`. A voucher is a random
//! number that is valid once, in the transaction that made it, so a role can only ever present
//! itself: calling the internal step directly needs a voucher, and every voucher names its maker.

use crate::error::EngageError;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode::*;
use std::cell::RefCell;

/// A voucher: its number, the role that made it and the transaction it is valid in.
struct Voucher {
    number: i64,
    role: pg_sys::Oid,
    transaction: pg_sys::LocalTransactionId,
}

thread_local! {
    /// Vouchers not yet redeemed in the current transaction (older ones are dropped on use).
    static VOUCHERS: RefCell<Vec<Voucher>> = const { RefCell::new(Vec::new()) };
}

fn current_transaction() -> pg_sys::LocalTransactionId {
    // SAFETY: MyProc is set for every backend and background worker that runs SQL.
    unsafe { (*pg_sys::MyProc).lxid }
}

/// A voucher for the role this runs as (the caller of the SECURITY INVOKER function that calls
/// it), to pass to an internal step that must know who asked.
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn vouch() -> i64 {
    let mut bytes = [0u8; 8];
    // SAFETY: the buffer is 8 writable bytes.
    if !unsafe { pg_sys::pg_strong_random(bytes.as_mut_ptr().cast(), bytes.len()) } {
        EngageError::new(ERRCODE_INTERNAL_ERROR, "could not generate a random voucher").raise();
    }
    let transaction = current_transaction();
    let voucher =
        Voucher { number: i64::from_le_bytes(bytes), role: unsafe { pg_sys::GetUserId() }, transaction };
    let number = voucher.number;
    VOUCHERS.with_borrow_mut(|v| {
        v.retain(|x| x.transaction == transaction);
        v.push(voucher);
    });
    number
}

/// The role that made `voucher`, which is used up; an error when no such voucher was made in this
/// transaction (or it was used already).
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn vouched_role(voucher: Option<i64>) -> pg_sys::Oid {
    let transaction = current_transaction();
    let found = VOUCHERS.with_borrow_mut(|v| {
        v.retain(|x| x.transaction == transaction);
        let at = v.iter().position(|x| Some(x.number) == voucher)?;
        Some(v.swap_remove(at).role)
    });
    found.unwrap_or_else(|| {
        EngageError::new(
            ERRCODE_INSUFFICIENT_PRIVILEGE,
            "this step acts only for the role that called the public function",
        )
        .with_detail("It was called without a valid voucher from engage_internal.vouch().")
        .with_hint("Call the documented function instead of its internal step.")
        .raise()
    })
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn a_voucher_names_its_maker_once() {
        let role = Spi::get_one::<bool>(
            "SELECT engage_internal.vouched_role(engage_internal.vouch()) = current_user::regrole::oid",
        );
        assert_eq!(role, Ok(Some(true)));
        Spi::run("CREATE TEMP TABLE v AS SELECT engage_internal.vouch() AS n").unwrap();
        assert_eq!(
            Spi::get_one::<bool>("SELECT engage_internal.vouched_role(n) IS NOT NULL FROM v"),
            Ok(Some(true))
        );
    }

    #[pg_test(error = "this step acts only for the role that called the public function")]
    fn a_voucher_is_used_up() {
        Spi::run("CREATE TEMP TABLE v AS SELECT engage_internal.vouch() AS n").unwrap();
        Spi::run("SELECT engage_internal.vouched_role(n) FROM v").unwrap();
        Spi::run("SELECT engage_internal.vouched_role(n) FROM v").unwrap();
    }

    #[pg_test(error = "this step acts only for the role that called the public function")]
    fn a_made_up_voucher_is_refused() {
        Spi::run("SELECT engage_internal.vouched_role(42)").unwrap();
    }
}
