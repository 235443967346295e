//! `engage.smartsend` (Send prepared message, spec 002): the body is checked by
//! `engage_requests::smartsend`, the sends are rendered and stored by `engage_internal.store_smartsend`.

use crate::error::{EngageError, OrRaise};
use crate::json_body::JsonBody;
use engage_requests::channel::ChannelType;
use engage_requests::smartsend::parse_smartsend;
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use serde_json::{json, Value};

/// Queues message `message_id` for each recipient (`locator`, with `jsonParam` as `$data`),
/// rendered now, and returns `{"id", "results":[{"id","locator","status","requestId"}]}`, one
/// result per recipient in order (`id` is the recipient's position). All recipients or none: a
/// bad locator or a template that fails for one refuses the call, naming the recipient.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn smartsend(message_id: i32, body: JsonBody) -> JsonB {
    let (media, channel) = Spi::get_two_with_args::<String, String>(
        "SELECT m.media_type, engage_internal.media_channel(m.media_type)
         FROM (SELECT (SELECT media_type FROM engage.messages WHERE message_id = $1) AS media_type) m",
        &[message_id.into()],
    )
    .or_raise();
    let Some(media) = media else {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("message {message_id} does not exist"),
        )
        .with_detail("argument message_id")
        .raise()
    };
    let Some(channel) = channel.as_deref().and_then(ChannelType::parse) else {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("message {message_id} is a {media} message, which goes to no locator"),
        )
        .with_detail("argument message_id")
        .raise()
    };
    let request = parse_smartsend(&body.0, channel).or_raise();
    drop(body);
    let locators: Vec<&str> = request.recipients.iter().map(|r| r.locator.as_str()).collect();
    // As text, so that $data keeps the key order and number spelling jsonParam was written with.
    let data: Vec<String> = request.recipients.iter().map(|r| r.data.to_string()).collect();
    let rows: Vec<(Option<pgrx::Uuid>, Option<String>)> = Spi::connect_mut(|client| {
        client
            .update(
                "SELECT request_id, error FROM engage_internal.store_smartsend($1, $2, $3, $4)",
                None,
                &[
                    message_id.into(),
                    locators.clone().into(),
                    data.into(),
                    request.external_request_id.as_deref().into(),
                ],
            )?
            .map(|row| Ok((row.get(1)?, row.get(2)?)))
            .collect::<Result<Vec<_>, pgrx::spi::SpiError>>()
    })
    .or_raise();
    if let Some((i, error)) = rows.iter().enumerate().find_map(|(i, (_, e))| e.as_ref().map(|e| (i, e))) {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
            format!("message {message_id} failed to render"),
        )
        .with_detail(format!("at recipients[{i}]: {error}"))
        .with_hint("Nothing was sent; fix the template or the recipient's jsonParam.")
        .raise();
    }
    let results: Vec<Value> = rows
        .iter()
        .zip(&locators)
        .enumerate()
        .map(|(i, ((id, _), locator))| {
            json!({
                "id": i.to_string(),
                "locator": locator,
                "status": "OK",
                "requestId": id.map(|u| u.to_string()),
            })
        })
        .collect();
    JsonB(json!({ "id": request.external_request_id.unwrap_or_else(|| "0".into()), "results": results }))
}

extension_sql!(
    "COMMENT ON FUNCTION engage.smartsend(integer,jsonb) IS 'Sends message message_id, rendered now, to each recipient of body (the API FAQ: recipients with locator and jsonParam as $data, externalRequestId). All or none: a bad locator or failed render refuses the call. Returns a requestId per recipient.';",
    name = "comment_smartsend",
    requires = [smartsend]
);
