//! `account_info()`: who is calling, and for which organisation.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::json;

/// `{"userEmail": <the calling role>, "organisationName": <engage.organisation_name, or the
/// database name>}`, the shape of the platform's "Get account info".
#[pg_extern(stable)]
fn account_info() -> JsonB {
    let (user, database) =
        Spi::get_two::<String, String>("SELECT current_user::text, current_database()::text")
            .unwrap_or_default();
    let organisation = crate::guc::organisation_name().or(database).unwrap_or_default();
    JsonB(json!({"userEmail": user.unwrap_or_default(), "organisationName": organisation}))
}

extension_sql!(
    r#"COMMENT ON FUNCTION engage.account_info() IS 'Returns {"userEmail": the calling role, "organisationName": the setting engage.organisation_name, else the database name}, as the platform''s "Get account info".';"#,
    name = "comment_account_info",
    requires = [account_info]
);
