//! Small readers over SPI results that treat "no row" as `None` instead of an error.

use pgrx::datum::{FromDatum, IntoDatum};
use pgrx::spi::{SpiResult, SpiTupleTable};

/// The first column of the first row, or `None` when there is no row (or it is NULL).
pub fn first<A: FromDatum + IntoDatum>(table: SpiTupleTable) -> SpiResult<Option<A>> {
    if table.is_empty() {
        Ok(None)
    } else {
        table.first().get_one()
    }
}

/// The first two columns of the first row; both `None` when there is no row.
pub fn first_two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    table: SpiTupleTable,
) -> SpiResult<(Option<A>, Option<B>)> {
    if table.is_empty() {
        Ok((None, None))
    } else {
        table.first().get_two()
    }
}
