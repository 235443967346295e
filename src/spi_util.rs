//! Small readers over SPI results that treat "no row" as `None` instead of an error.

use pgrx::datum::{FromDatum, IntoDatum};
use pgrx::spi::{SpiClient, SpiResult, SpiTupleTable};

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

/// `count` new values of `sequence`, ascending: IDs handed out before a set-based insert, so that
/// each input row's ID is known.
pub fn next_ids(client: &mut SpiClient, sequence: &str, count: usize) -> SpiResult<Vec<i64>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let ids = client
        .update(
            "SELECT array_agg(nextval($1::regclass)) FROM (SELECT generate_series(1, $2)) s",
            None,
            &[sequence.into(), (count as i64).into()],
        )?
        .first()
        .get_one::<Vec<i64>>()?;
    Ok(ids.unwrap_or_default())
}
