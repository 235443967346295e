//! Building the statement: identifiers quoted here, every value an element of one text array
//! parameter, cast in the SQL to a type from a fixed list.

/// The types a parameter is cast to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cast {
    Text,
    Numeric,
    Date,
    Integer,
    Bigint,
    Jsonb,
}

impl Cast {
    fn name(self) -> &'static str {
        match self {
            Cast::Text => "text",
            Cast::Numeric => "numeric",
            Cast::Date => "date",
            Cast::Integer => "integer",
            Cast::Bigint => "bigint",
            Cast::Jsonb => "jsonb",
        }
    }
}

/// `$1`: the instant the rule is evaluated at; `$2`: the time zone of contacts without one.
pub const AT: &str = "$1::timestamptz";
/// Today's date for the contact being tested, in the contact's time zone.
pub const TODAY: &str = "(($1::timestamptz) AT TIME ZONE coalesce(c.time_zone, $2::text))::date";

/// The parameters gathered while compiling: one `text[]` bound as `$3`, so that the statement
/// always takes three parameters (a plpgsql `EXECUTE … USING` has a fixed list).
#[derive(Default)]
pub struct Params(pub Vec<String>);

impl Params {
    /// A new parameter holding `value`, as `(($3::text[])[n])::type`.
    pub fn bind(&mut self, value: impl Into<String>, cast: Cast) -> String {
        self.0.push(value.into());
        format!("(($3::text[])[{}])::{}", self.0.len(), cast.name())
    }
}

/// An identifier in double quotes, quotes inside doubled (as PostgreSQL's quote_ident does for
/// any name; a NUL cannot be quoted and is refused before it gets here).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table`, both quoted.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}
