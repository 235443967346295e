//! Writes checked contacts set-based: one SPI statement per table for the whole request,
//! whatever its size, with every value bound as an array parameter. Matching and conflict rules
//! live in `engage_requests::batch`; this module only asks the database who owns what and writes.

use crate::error::{EngageError, Result};
use crate::spi_util::{first_two, next_ids};
use engage_requests::batch::{check_duplicates, check_required, resolve, ElementName, Owner, Owners};
use engage_requests::contact::ContactInput;
use engage_requests::field::{Catalog, Typed, TypedValue};
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode;

/// How a request creates contacts.
pub struct WriteOptions {
    /// `contacts.source` of new contacts (IMPORT, SUBSCRIPTION, …).
    pub source: &'static str,
    /// Status of channels a request adds: `active`, or `inactive` until confirmed.
    pub new_channel_status: &'static str,
    /// Whether a new value of a one-per-contact channel replaces the stored one (an import), or
    /// is refused (a public subscription form must not change someone's address).
    pub replace_channels: bool,
}

/// One written contact: its ID, and whether this request created it.
pub struct Written {
    pub contact_id: i64,
    pub created: bool,
}

/// The contact each (external ID, email, phone) triple names, found in that order and held FOR
/// KEY SHARE (`engage_internal.contacts_by_keys`); `None` where none exists. For requests that name a
/// contact without writing it (an order, a device).
pub fn contacts_by_keys<'a>(
    client: &mut SpiClient,
    keys: impl Iterator<Item = [Option<&'a str>; 3]>,
) -> Result<Vec<Option<i64>>> {
    let (mut external_ids, mut emails, mut phones) = (Vec::new(), Vec::new(), Vec::new());
    for [external_id, email, phone] in keys {
        external_ids.push(external_id);
        emails.push(email);
        phones.push(phone);
    }
    Ok(client
        .update(
            "SELECT engage_internal.contacts_by_keys($1, $2, $3)",
            None,
            &[external_ids.into(), emails.into(), phones.into()],
        )?
        .first()
        .get_one::<Vec<Option<i64>>>()?
        .unwrap_or_default())
}

/// Matches, checks and writes `inputs`. Every check runs before the first write.
pub fn write_contacts(
    client: &mut SpiClient,
    inputs: &[ContactInput],
    catalog: &Catalog,
    name: ElementName,
    opts: &WriteOptions,
) -> Result<Vec<Written>> {
    check_duplicates(inputs, name)?;
    let owners = lookup_owners(client, inputs)?;
    let matched = resolve(inputs, &owners, name)?;
    check_required(inputs, &matched, catalog, name)?;

    lock_contacts(client, &matched)?;

    let new_count = matched.iter().filter(|m| m.is_none()).count();
    let mut new_ids = next_ids(client, "engage.contacts_contact_id_seq", new_count)?.into_iter();
    let written: Vec<Written> = matched
        .iter()
        .map(|m| match m {
            Some(id) => Written { contact_id: *id, created: false },
            None => Written { contact_id: new_ids.next().unwrap_or_default(), created: true },
        })
        .collect();

    write_attributes(client, inputs, &written, opts)?;
    write_channels(client, inputs, &owners, &written, name, opts)?;
    write_fields(client, inputs, &written)?;
    Ok(written)
}

// The statements below bind every column as an array and read the arrays with set-returning
// functions in the select list, which Postgres zips row by row and streams; `FROM unnest(...)`
// would first copy all rows into a tuplestore that spills to disk past work_mem.

/// The 1-based position, owner and owner's external ID of each input external ID that exists.
const EXTERNAL_ID_OWNERS: &str = "
SELECT array_agg(i.n), array_agg(c.contact_id), array_agg(c.external_customer_id)
FROM (SELECT unnest($1::text[]) AS external_id, generate_subscripts($1::text[], 1) AS n) i
JOIN engage.contacts c ON c.external_customer_id = i.external_id";

/// The same for channel values that exist.
const CHANNEL_OWNERS: &str = "
SELECT array_agg(i.n), array_agg(ch.contact_id), array_agg(c.external_customer_id)
FROM (SELECT unnest($1::text[]) AS type, unnest($2::text[]) AS value, generate_subscripts($1::text[], 1) AS n) i
JOIN engage.channels ch ON ch.type = i.type AND ch.value = i.value
JOIN engage.contacts c ON c.contact_id = ch.contact_id";

/// Who owns each identifier of each input.
fn lookup_owners(client: &mut SpiClient, inputs: &[ContactInput]) -> Result<Vec<Owners>> {
    let external_ids: Vec<Option<String>> = inputs.iter().map(|c| c.external_id.clone()).collect();
    let ext = owner_list(client, EXTERNAL_ID_OWNERS, vec![external_ids.into()], inputs.len())?;

    let (types, values): (Vec<&str>, Vec<&str>) =
        inputs.iter().flat_map(|c| c.channels.iter().map(|ch| (ch.ty.as_str(), ch.value.as_str()))).unzip();
    let count = types.len();
    let mut chan = if count == 0 {
        Vec::new()
    } else {
        owner_list(client, CHANNEL_OWNERS, vec![types.into(), values.into()], count)?
    }
    .into_iter();

    Ok(inputs
        .iter()
        .zip(ext)
        .map(|(input, external_id)| Owners {
            external_id,
            channels: input.channels.iter().map(|_| chan.next().flatten()).collect(),
        })
        .collect())
}

/// Runs an owner query and places each found owner at its input's position (of `count`).
fn owner_list(
    client: &mut SpiClient,
    query: &str,
    args: Vec<pgrx::datum::DatumWithOid>,
    count: usize,
) -> Result<Vec<Option<Owner>>> {
    let table = client.select(query, None, &args)?.first();
    let positions: Vec<i32> = table.get(1)?.unwrap_or_default();
    let ids: Vec<i64> = table.get(2)?.unwrap_or_default();
    let exts: Vec<Option<String>> = table.get(3)?.unwrap_or_default();
    let mut owners = vec![None; count];
    for ((n, contact_id), external_id) in positions.into_iter().zip(ids).zip(exts) {
        if let Some(slot) = usize::try_from(n - 1).ok().and_then(|i| owners.get_mut(i)) {
            *slot = Some(Owner { contact_id, external_id });
        }
    }
    Ok(owners)
}

/// Locks the matched contacts FOR KEY SHARE until the transaction ends (what a foreign key check
/// of each written row would do), so none is deleted under the request.
fn lock_contacts(client: &mut SpiClient, matched: &[Option<i64>]) -> Result<()> {
    let ids: Vec<i64> = matched.iter().flatten().copied().collect();
    if ids.is_empty() {
        return Ok(());
    }
    let locked = client
        .update(
            "WITH locked AS (SELECT contact_id FROM engage.contacts WHERE contact_id = ANY ($1) FOR KEY SHARE)
             SELECT count(*) FROM locked",
            None,
            &[ids.clone().into()],
        )?
        .first()
        .get_one::<i64>()?;
    if locked != Some(ids.len() as i64) {
        return Err(EngageError::new(
            PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
            "a contact of this request was deleted while it ran",
        )
        .with_hint("retry the request"));
    }
    Ok(())
}

const INSERT_CONTACTS: &str = "
INSERT INTO engage.contacts (contact_id, external_customer_id, first_name, last_name, language_code, time_zone, source)
SELECT n.id, n.external_id, n.first_name, n.last_name, n.language_code, n.time_zone, $7
FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::text[]) AS external_id, unnest($3::text[]) AS first_name,
             unnest($4::text[]) AS last_name, unnest($5::text[]) AS language_code, unnest($6::text[]) AS time_zone) n";

/// `$7` is a bit set of the attributes a request states (1 first name, 2 last name, 4 language,
/// 8 time zone); attributes it does not state keep their stored values.
const UPDATE_CONTACTS: &str = "
UPDATE engage.contacts c SET
    external_customer_id = coalesce(u.external_id, c.external_customer_id),
    first_name    = CASE WHEN u.stated & 1 <> 0 THEN u.first_name ELSE c.first_name END,
    last_name     = CASE WHEN u.stated & 2 <> 0 THEN u.last_name ELSE c.last_name END,
    language_code = CASE WHEN u.stated & 4 <> 0 THEN u.language_code ELSE c.language_code END,
    time_zone     = CASE WHEN u.stated & 8 <> 0 THEN u.time_zone ELSE c.time_zone END,
    updated_at    = now()
FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::text[]) AS external_id, unnest($3::text[]) AS first_name,
             unnest($4::text[]) AS last_name, unnest($5::text[]) AS language_code, unnest($6::text[]) AS time_zone,
             unnest($7::int[]) AS stated) u
WHERE c.contact_id = u.id";

/// Attribute columns of the inputs that are new (`created`) or existing (`!created`).
#[derive(Default)]
struct Attributes {
    ids: Vec<i64>,
    external_ids: Vec<Option<String>>,
    first_names: Vec<Option<String>>,
    last_names: Vec<Option<String>>,
    languages: Vec<Option<String>>,
    time_zones: Vec<Option<String>>,
    stated: Vec<i32>,
}

impl Attributes {
    fn push(&mut self, id: i64, c: &ContactInput) {
        let patches = [&c.first_name, &c.last_name, &c.language, &c.time_zone];
        let stated = patches.iter().enumerate().filter(|(_, p)| !p.is_keep()).map(|(i, _)| 1 << i).sum();
        self.ids.push(id);
        self.external_ids.push(c.external_id.clone());
        self.first_names.push(c.first_name.value().cloned());
        self.last_names.push(c.last_name.value().cloned());
        self.languages.push(c.language.value().cloned());
        self.time_zones.push(c.time_zone.value().cloned());
        self.stated.push(stated);
    }

    fn args(self) -> Vec<pgrx::datum::DatumWithOid<'static>> {
        vec![
            self.ids.into(),
            self.external_ids.into(),
            self.first_names.into(),
            self.last_names.into(),
            self.languages.into(),
            self.time_zones.into(),
        ]
    }
}

fn write_attributes(
    client: &mut SpiClient,
    inputs: &[ContactInput],
    written: &[Written],
    opts: &WriteOptions,
) -> Result<()> {
    let (mut new, mut old) = (Attributes::default(), Attributes::default());
    for (c, w) in inputs.iter().zip(written) {
        if w.created {
            new.push(w.contact_id, c)
        } else {
            old.push(w.contact_id, c)
        }
    }
    // Devices registered before their contact existed wait for it by external ID.
    let linkable: Vec<i64> = new
        .ids
        .iter()
        .chain(&old.ids)
        .zip(new.external_ids.iter().chain(&old.external_ids))
        .filter(|(_, external_id)| external_id.is_some())
        .map(|(id, _)| *id)
        .collect();
    if !new.ids.is_empty() {
        let mut args = new.args();
        args.push(opts.source.into());
        client.update(INSERT_CONTACTS, None, &args)?;
    }
    if !old.ids.is_empty() {
        let stated = std::mem::take(&mut old.stated);
        let mut args = old.args();
        args.push(stated.into());
        client.update(UPDATE_CONTACTS, None, &args)?;
    }
    if !linkable.is_empty() {
        client.update("SELECT engage_internal.link_waiting_devices($1)", None, &[linkable.into()])?;
    }
    Ok(())
}

/// Channels a contact does not have yet: their values were checked free, so a plain insert.
const INSERT_CHANNELS: &str = "
INSERT INTO engage.channels (contact_id, type, value, status, confirmed_at)
SELECT unnest($1::bigint[]), unnest($2::text[]), unnest($3::text[]), $4, CASE WHEN $4 = 'active' THEN now() END";

/// The first channel of an existing contact that would replace a stored value, and that value.
const REPLACED_CHANNEL: &str = "
SELECT n.n, ch.value
FROM (SELECT unnest($1::bigint[]) AS contact_id, unnest($2::text[]) AS type, unnest($3::text[]) AS value,
             generate_subscripts($1::bigint[], 1) AS n) n
JOIN engage.channels ch ON ch.contact_id = n.contact_id AND ch.type = n.type AND ch.value <> n.value
WHERE n.type IN ('email', 'sms', 'viber', 'telegram')
ORDER BY n.n LIMIT 1";

/// A new value of a one-per-contact channel replaces the contact's old one.
const REPLACE_CHANNELS: &str = "
DELETE FROM engage.channels ch
USING (SELECT unnest($1::bigint[]) AS contact_id, unnest($2::text[]) AS type, unnest($3::text[]) AS value) n
WHERE ch.contact_id = n.contact_id AND ch.type = n.type AND ch.value <> n.value
  AND n.type IN ('email', 'sms', 'viber', 'telegram')";

/// Channel rows of a request, with where each came from (input, channel) for errors.
#[derive(Default)]
struct ChannelRows<'a> {
    ids: Vec<i64>,
    types: Vec<&'a str>,
    values: Vec<&'a str>,
    origin: Vec<(usize, usize)>,
}

impl ChannelRows<'_> {
    fn args(&self) -> Vec<pgrx::datum::DatumWithOid<'static>> {
        vec![self.ids.clone().into(), self.types.clone().into(), self.values.clone().into()]
    }

    fn insert(&self, client: &mut SpiClient, status: &str) -> Result<()> {
        if !self.ids.is_empty() {
            let mut args = self.args();
            args.push(status.into());
            client.update(INSERT_CHANNELS, None, &args)?;
        }
        Ok(())
    }
}

/// Writes the channels a contact does not have yet. One it already owns needs no statement: the
/// owner lookup found it, and `resolve` made sure the owner is this contact.
fn write_channels(
    client: &mut SpiClient,
    inputs: &[ContactInput],
    owners: &[Owners],
    written: &[Written],
    name: ElementName,
    opts: &WriteOptions,
) -> Result<()> {
    let (mut new, mut old) = (ChannelRows::default(), ChannelRows::default());
    for (i, ((c, own), w)) in inputs.iter().zip(owners).zip(written).enumerate() {
        let rows = if w.created { &mut new } else { &mut old };
        for (j, (ch, owner)) in c.channels.iter().zip(&own.channels).enumerate() {
            if owner.is_some() {
                continue;
            }
            rows.ids.push(w.contact_id);
            rows.types.push(ch.ty.as_str());
            rows.values.push(ch.value.as_str());
            rows.origin.push((i, j));
        }
    }
    new.insert(client, opts.new_channel_status)?;
    if old.ids.is_empty() {
        return Ok(());
    }
    if !opts.replace_channels {
        let (n, stored) = first_two::<i32, String>(client.select(REPLACED_CHANNEL, None, &old.args())?)?;
        if let Some(n) = n {
            let k = (n - 1) as usize;

            let (i, j) = old.origin[k];
            return Err(EngageError::new(
                PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION,
                format!(
                    "contact {} already has the {} channel \"{}\"; a subscription does not replace it",
                    old.ids[k],
                    old.types[k],
                    stored.unwrap_or_default()
                ),
            )
            .with_detail(format!("at {}.channels[{j}]", name(i)))
            .with_hint("engage.upsert_contacts changes a contact's channels"));
        }
    }
    client.update(REPLACE_CHANNELS, None, &old.args())?;
    old.insert(client, opts.new_channel_status)
}

/// Field values of new contacts: nothing to replace, so a plain insert.
const INSERT_FIELDS: &str = "
INSERT INTO engage.contact_fields (contact_id, field_id, value, value_number, value_date, value_boolean)
SELECT unnest($1::bigint[]), unnest($2::int[]), unnest($3::text[]), unnest($4::text[]::numeric[]),
       unnest($5::text[]::date[]), unnest($6::boolean[])";

/// Field values of existing contacts; an unchanged value is not rewritten.
const SET_FIELDS: &str = "
INSERT INTO engage.contact_fields AS f (contact_id, field_id, value, value_number, value_date, value_boolean)
SELECT unnest($1::bigint[]), unnest($2::int[]), unnest($3::text[]), unnest($4::text[]::numeric[]),
       unnest($5::text[]::date[]), unnest($6::boolean[])
ON CONFLICT (contact_id, field_id) DO UPDATE SET
    value = excluded.value, value_number = excluded.value_number, value_date = excluded.value_date,
    value_boolean = excluded.value_boolean, updated_at = now()
WHERE f.value IS DISTINCT FROM excluded.value";

const CLEAR_FIELDS: &str = "
DELETE FROM engage.contact_fields f
USING (SELECT unnest($1::bigint[]) AS contact_id, unnest($2::int[]) AS field_id) d
WHERE f.contact_id = d.contact_id AND f.field_id = d.field_id";

/// Field value rows: canonical text plus the one typed column each value fills.
#[derive(Default)]
struct FieldRows<'a> {
    ids: Vec<i64>,
    fields: Vec<i32>,
    texts: Vec<&'a str>,
    numbers: Vec<Option<&'a str>>,
    dates: Vec<Option<&'a str>>,
    booleans: Vec<Option<bool>>,
}

impl<'a> FieldRows<'a> {
    fn push(&mut self, contact_id: i64, field_id: i32, v: &'a TypedValue) {
        self.ids.push(contact_id);
        self.fields.push(field_id);
        self.texts.push(&v.text);
        self.numbers.push(match &v.typed {
            Typed::Number(n) => Some(n),
            _ => None,
        });
        self.dates.push(match &v.typed {
            Typed::Date(d) => Some(d),
            _ => None,
        });
        self.booleans.push(match &v.typed {
            Typed::Boolean(b) => Some(*b),
            _ => None,
        });
    }

    fn write(self, client: &mut SpiClient, query: &str) -> Result<()> {
        if !self.ids.is_empty() {
            let args = [
                self.ids.into(),
                self.fields.into(),
                self.texts.into(),
                self.numbers.into(),
                self.dates.into(),
                self.booleans.into(),
            ];
            client.update(query, None, &args)?;
        }
        Ok(())
    }
}

fn write_fields(client: &mut SpiClient, inputs: &[ContactInput], written: &[Written]) -> Result<()> {
    let (mut new, mut set) = (FieldRows::default(), FieldRows::default());
    let mut clear: (Vec<i64>, Vec<i32>) = Default::default();
    for (c, w) in inputs.iter().zip(written) {
        for f in &c.fields {
            match (&f.value, w.created) {
                (Some(v), true) => new.push(w.contact_id, f.field_id, v),
                (Some(v), false) => set.push(w.contact_id, f.field_id, v),
                (None, true) => {}
                (None, false) => {
                    clear.0.push(w.contact_id);
                    clear.1.push(f.field_id);
                }
            }
        }
    }
    new.write(client, INSERT_FIELDS)?;
    set.write(client, SET_FIELDS)?;
    if !clear.0.is_empty() {
        client.update(CLEAR_FIELDS, None, &[clear.0.into(), clear.1.into()])?;
    }
    Ok(())
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;
    use engage_requests::channel::ChannelType;
    use engage_requests::contact::Channel;
    use pgrx::prelude::*;

    fn input(ext: &str, email: &str) -> ContactInput {
        ContactInput {
            external_id: Some(ext.into()),
            channels: vec![Channel { ty: ChannelType::Email, value: email.into() }],
            ..Default::default()
        }
    }

    fn write(inputs: &[ContactInput], replace_channels: bool) -> Result<Vec<Written>> {
        let opts = WriteOptions { source: "MANUAL", new_channel_status: "inactive", replace_channels };
        Spi::connect_mut(|client| {
            write_contacts(client, inputs, &Catalog::default(), &|i| format!("c[{i}]"), &opts)
        })
    }

    #[pg_test]
    fn new_and_existing_contacts_are_written_in_one_pass() {
        let first = write(&[input("a", "a@x.io"), input("b", "b@x.io")], true).unwrap();
        assert!(first.iter().all(|w| w.created));
        let again = write(&[input("b", "b@x.io"), input("c", "c@x.io")], true).unwrap();
        assert_eq!((again[0].contact_id, again[0].created), (first[1].contact_id, false));
        assert!(again[1].created);
        let (contacts, inactive) = Spi::get_two::<i64, i64>(
            "SELECT (SELECT count(*) FROM engage.contacts WHERE source = 'MANUAL'),
                    (SELECT count(*) FROM engage.channels WHERE status = 'inactive')",
        )
        .unwrap();
        assert_eq!((contacts, inactive), (Some(3), Some(3)));
    }

    #[pg_test]
    fn a_replacement_is_refused_unless_the_request_may_replace() {
        write(&[input("a", "a@x.io")], true).unwrap();
        assert!(write(&[input("a", "new@x.io")], false).is_err());
        write(&[input("a", "new@x.io")], true).unwrap();
        let email = Spi::get_one::<String>("SELECT value FROM engage.channels WHERE type = 'email'").unwrap();
        assert_eq!(email.as_deref(), Some("new@x.io"));
    }
}
