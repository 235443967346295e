//! Templates in the database: `engage.render` and `engage.check_template` over the Velocity engine
//! (`vtl`), with `#parse`/`#include` targets and the global macro library read from
//! `engage.templates`; `engage.render_message` renders a stored message for a contact.
//!
//! Each backend keeps one engine, whose compiled templates outlive statements, and per statement
//! the templates it read and the templates it prepared: within one statement a STABLE function
//! sees the same rows, so a million-row `SELECT engage.render(…)` reads the library once and
//! parses its template once.

use crate::error::{required, EngageError, OrRaise, Result};
use crate::json_body::{parse_json_text, JsonText, TemplateData};
use crate::spi_util::first;
use pgrx::prelude::*;
use pgrx::spi::OwnedPreparedStatement;
use pgrx::{JsonB, PgSqlErrorCode};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Templates prepared in one statement are forgotten past this many (a statement that renders a
/// different text on every row must not grow without bound).
const PREPARED_PER_STATEMENT: usize = 256;

/// What identifies one statement's view of the tables.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Statement {
    transaction_start: i64,
    statement_start: i64,
    command: u32,
}

fn current_statement() -> Statement {
    // SAFETY: plain reads of the current transaction's state, always set inside a function call.
    unsafe {
        Statement {
            transaction_start: pg_sys::GetCurrentTransactionStartTimestamp(),
            statement_start: pg_sys::GetCurrentStatementStartTimestamp(),
            command: pg_sys::GetCurrentCommandId(false),
        }
    }
}

/// Reads templates by name from `engage.templates`, each name at most once per statement.
#[derive(Default)]
struct TableLoader {
    rows: RefCell<HashMap<String, Option<String>>>,
}

impl vtl::Loader for TableLoader {
    fn load(&self, name: &str) -> std::result::Result<Option<String>, String> {
        if let Some(row) = self.rows.borrow().get(name) {
            return Ok(row.clone());
        }
        let body = Spi::connect(|client| {
            first::<String>(client.select(
                "SELECT body FROM engage.templates WHERE name = $1",
                None,
                &[name.into()],
            )?)
        })
        .map_err(|e| e.to_string())?;
        self.rows.borrow_mut().insert(name.to_owned(), body.clone());
        Ok(body)
    }
}

/// The backend's engine and what the current statement has read and prepared.
struct Templates {
    engine: vtl::Engine,
    statement: Statement,
    loader: TableLoader,
    /// By name, then source.
    prepared: HashMap<String, HashMap<String, Rc<vtl::Prepared>>>,
}

impl Templates {
    /// `source` compiled under `name` (errors and `#parse` name it), once per statement.
    fn prepare(&mut self, name: &str, source: &str) -> std::result::Result<Rc<vtl::Prepared>, vtl::Error> {
        if let Some(p) = self.prepared.get(name).and_then(|by_source| by_source.get(source)) {
            return Ok(p.clone());
        }
        let prepared = Rc::new(self.engine.prepare(name, source, &self.loader)?);
        if self.prepared.values().map(HashMap::len).sum::<usize>() >= PREPARED_PER_STATEMENT {
            self.prepared.clear();
        }
        self.prepared.entry(name.to_owned()).or_default().insert(source.to_owned(), prepared.clone());
        Ok(prepared)
    }

    fn render(&mut self, name: &str, source: &str, vars: vtl::Vars) -> Result<String> {
        let prepared = self.prepare(name, source).map_err(template_error)?;
        self.engine.render(&prepared, vars, &self.loader).map_err(template_error)
    }
}

thread_local! {
    static TEMPLATES: RefCell<Option<Templates>> = const { RefCell::new(None) };
}

/// Runs `f` with the backend's templates brought up to this statement and the current settings.
/// The state is taken out while `f` runs, so a render that reaches SQL which renders again gets
/// a fresh one instead of a double borrow; errors are raised after it is put back.
fn with_templates<T>(f: impl FnOnce(&mut Templates) -> Result<T>) -> T {
    try_with_templates(f).or_raise()
}

/// `with_templates` returning the error instead of raising it.
fn try_with_templates<T>(f: impl FnOnce(&mut Templates) -> Result<T>) -> Result<T> {
    let statement = current_statement();
    let config = crate::guc::template_config();
    let mut state = TEMPLATES.with(|t| t.borrow_mut().take()).unwrap_or_else(|| Templates {
        engine: engine(config.clone()),
        statement,
        loader: TableLoader::default(),
        prepared: HashMap::new(),
    });
    if state.statement != statement {
        state.statement = statement;
        state.loader = TableLoader::default();
        state.prepared.clear();
    }
    if *state.engine.config() != config {
        state.engine.set_config(config);
    }
    let result = f(&mut state);
    TEMPLATES.with(|t| *t.borrow_mut() = Some(state));
    result
}

/// A new engine: a query cancel or statement timeout stops its render (or compile) at once, as a
/// PostgreSQL error raised from inside the engine's work.
fn engine(config: vtl::Config) -> vtl::Engine {
    let mut engine = vtl::Engine::new(config);
    engine.set_interrupt_hook(|| {
        pgrx::check_for_interrupts!();
    });
    engine
}

/// The `engage.template_*` setting behind an engine limit.
fn limit_setting(limit: vtl::Limit) -> &'static str {
    match limit {
        vtl::Limit::OutputSize => "engage.template_max_output",
        vtl::Limit::LoopIterations => "engage.template_max_loop_iterations",
        vtl::Limit::MacroDepth => "engage.template_max_macro_depth",
        vtl::Limit::Steps => "engage.template_max_steps",
        vtl::Limit::ParseDepth => "engage.template_max_parse_depth",
        vtl::Limit::Memory => "engage.template_max_memory",
    }
}

/// Where a template error happened: template, line and column, and the line with a caret.
fn error_place(e: &vtl::Error) -> Option<String> {
    if e.line == 0 {
        return None;
    }
    let mut place = format!("{}, line {}, column {}", e.template, e.line, e.column);
    if let Some(line) = &e.source_line {
        let (shown, caret) = vtl::caret_window(line, e.column);
        place.push_str(&format!(":\n{shown}\n{}^", " ".repeat(caret)));
    }
    Some(place)
}

/// A template error as the SQL error a user sees.
fn template_error(e: vtl::Error) -> EngageError {
    let (code, hint) = match e.kind {
        vtl::ErrorKind::Parse => (
            PgSqlErrorCode::ERRCODE_SYNTAX_ERROR,
            Some("engage.check_template(text) lists a template's problems without rendering it.".to_owned()),
        ),
        vtl::ErrorKind::ResourceNotFound => (
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            Some("#parse and #include read templates by name from engage.templates.".to_owned()),
        ),
        vtl::ErrorKind::Limit(limit) => (
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            Some(format!("Raise the setting {} or make the template do less.", limit_setting(limit))),
        ),
        vtl::ErrorKind::MethodInvocation | vtl::ErrorKind::Runtime => {
            (PgSqlErrorCode::ERRCODE_DATA_EXCEPTION, None)
        }
    };
    let mut err = EngageError::new(code, format!("template error: {}", e.message));
    if let Some(place) = error_place(&e) {
        err = err.with_detail(place);
    }
    if let Some(hint) = hint {
        err = err.with_hint(hint);
    }
    err
}

/// The error for a render context that is not a JSON object.
fn not_an_object(kind: &str) -> EngageError {
    EngageError::new(
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        "template context must be a JSON object",
    )
    .with_detail(format!("context is {kind}"))
    .with_hint("Each top-level key is a variable: pass {\"data\": …} to use $data.")
}

/// A render context decoded into template values: an object, or nothing (an empty one).
fn template_context(value: Option<TemplateData>) -> Result<vtl::Value> {
    match value.map(|c| c.0) {
        None | Some(vtl::Value::Null) => Ok(vtl::Value::map(Default::default())),
        Some(map @ vtl::Value::Map(_)) => Ok(map),
        Some(vtl::Value::Bool(_)) => Err(not_an_object("a boolean")),
        Some(vtl::Value::Str(_)) => Err(not_an_object("a string")),
        Some(vtl::Value::List(_)) => Err(not_an_object("an array")),
        Some(_) => Err(not_an_object("a number")),
    }
}

/// Forgets the templates read in this statement: called by a trigger after each write to
/// `engage.templates`, so a later read in the same statement (possible from read-only SPI, which
/// does not advance the command counter) sees the write.
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn forget_loaded_templates() {
    TEMPLATES.with(|t| {
        if let Some(state) = t.borrow_mut().as_mut() {
            state.loader = TableLoader::default();
            state.prepared.clear();
        }
    });
}

/// Renders a Velocity template; each top-level key of `context` with a non-null value is a
/// variable. STABLE: it reads `engage.templates` for `#parse`, `#include` and the macro library.
#[pg_extern(stable, parallel_safe)]
fn render(template: Option<&str>, context: Option<TemplateData>) -> Option<String> {
    let template = template?;
    let context = template_context(context).unwrap_or_else(|e| e.raise());
    Some(with_templates(|t| t.render("template", template, t.engine.vars_of(&context))))
}

extension_sql!(
    "COMMENT ON FUNCTION engage.render(text,jsonb) IS 'Renders a Velocity template; each top-level key of the context object with a non-null value is a variable (NULL: none). Reads engage.templates for #parse, #include and macros. NULL for a NULL template.';",
    name = "comment_render",
    requires = [render]
);

/// `engage.render` with the context as JSON text (a literal): its keys keep the order they are
/// written in and numbers their spelling (`-0.0`, `1.0E21`), as Velocity sees JSON the platform
/// parses; a `jsonb` context comes in jsonb's order (keys sorted, numbers normalized).
#[pg_extern(stable, parallel_safe, name = "render")]
fn render_text(template: Option<&str>, context: Option<&str>) -> Option<String> {
    let template = template?;
    Some(render_json_text(template, context))
}

extension_sql!(
    "COMMENT ON FUNCTION engage.render(text,text) IS 'engage.render with the context as JSON text: keys keep their written order and numbers their spelling, as the platform parses JSON (a jsonb context is sorted and normalized).';",
    name = "comment_render_text",
    requires = [render_text]
);

/// `engage.render` with a `json` context: as with text, its key order and number spelling are kept.
#[pg_extern(stable, parallel_safe, name = "render")]
fn render_json(template: Option<&str>, context: Option<JsonText>) -> Option<String> {
    let template = template?;
    Some(render_json_text(template, context.as_ref().map(|c| c.0.as_str())))
}

extension_sql!(
    "COMMENT ON FUNCTION engage.render(text,json) IS 'engage.render with a json context: keys keep their written order and numbers their spelling, as the platform parses JSON.';",
    name = "comment_render_json",
    requires = [render_json]
);

/// Renders `template` with the variables of a JSON object given as text (none for NULL).
fn render_json_text(template: &str, context: Option<&str>) -> String {
    let json = context.map(|text| parse_json_text(text, "template context")).transpose().or_raise();
    with_templates(|t| {
        let context = match json {
            None | Some(serde_json::Value::Null) => vtl::Value::map(Default::default()),
            Some(ref value @ serde_json::Value::Object(_)) => t.engine.from_json(value),
            Some(serde_json::Value::Array(_)) => return Err(not_an_object("an array")),
            Some(serde_json::Value::String(_)) => return Err(not_an_object("a string")),
            Some(serde_json::Value::Bool(_)) => return Err(not_an_object("a boolean")),
            Some(serde_json::Value::Number(_)) => return Err(not_an_object("a number")),
        };
        t.render("template", template, t.engine.vars_of(&context))
    })
}

/// The problems that keep a template from compiling: line, column (1-based) and message. No
/// rows means it compiles.
#[pg_extern(stable, parallel_safe)]
fn check_template(
    template: &str,
) -> TableIterator<'static, (name!(line, i32), name!(column, i32), name!(message, String))> {
    let problem = with_templates(|t| match t.prepare("template", template) {
        Ok(_) => Ok(None),
        Err(e) if e.kind == vtl::ErrorKind::Parse || e.kind == vtl::ErrorKind::Runtime => {
            let message = if e.template == "template" {
                e.message
            } else {
                format!("in {}: {}", e.template, e.message)
            };
            Ok(Some((e.line as i32, e.column as i32, message)))
        }
        Err(e) => Err(template_error(e)),
    });
    TableIterator::new(problem)
}

extension_sql!(
    "COMMENT ON FUNCTION engage.check_template(text) IS 'Lists the problems that keep a template from compiling: line, column (from 1) and message. No rows means it compiles.';",
    name = "comment_check_template",
    requires = [check_template]
);

/// The first-level properties of `$variable` that any of `templates` can read (sorted), or NULL
/// when one of them can read more than its text shows or does not compile (see
/// `vtl::compile::Template::properties_read`). The sends of workflows and broadcasts build only
/// those parts of `$contact`: a contact's channels and fields cost more to gather than the
/// render that reads its first name. NULL elements (a message without subject) read nothing.
#[pg_extern(stable, parallel_safe, schema = "engage_internal")]
pub fn properties_read(variable: &str, templates: Vec<Option<String>>) -> Option<Vec<String>> {
    let mut read = std::collections::BTreeSet::new();
    for (i, source) in templates.iter().enumerate() {
        pgrx::check_for_interrupts!();
        let Some(source) = source else { continue };
        let name = format!("template {}", i + 1);
        let props = try_with_templates(|t| {
            Ok(t.prepare(&name, source).ok().and_then(|p| p.template.properties_read(variable)))
        })
        .or_raise()?;
        read.extend(props.iter().map(|p| p.to_string()));
    }
    Some(read.into_iter().collect())
}

/// The message version and contact a render needs, in one statement: the language version
/// asked for (`$3`), else the contact's, else the main one (`engage_internal.message_version`; no row
/// when the message does not exist), whether an asked-for version exists, and the others.
const MESSAGE_AND_CONTACT: &str = "
SELECT v.language, v.subject, v.body, $3 IS NULL OR v.language = lower($3),
       engage.contact_context($2),
       (SELECT string_agg(language, ', ' ORDER BY language) FROM engage.message_translations
         WHERE message_id = $1)
FROM (SELECT 1) one
LEFT JOIN engage_internal.message_version($1, coalesce($3, (SELECT language_code FROM engage.contacts WHERE contact_id = $2))) v
    ON true";

thread_local! {
    /// `MESSAGE_AND_CONTACT`, planned once per backend: `render_message` is called once per row
    /// of a query over contacts.
    static MESSAGE_AND_CONTACT_PLAN: OnceCell<OwnedPreparedStatement> = const { OnceCell::new() };
}

/// What a message sees: `$data` and `$contact`.
fn message_context(data: vtl::Value, contact: vtl::Value) -> vtl::Value {
    let mut context = vtl::value::JMap::with_capacity(2);
    context.put(vtl::Value::str("data"), data);
    context.put(vtl::Value::str("contact"), contact);
    vtl::Value::map(context)
}

/// Renders message `message_id` for a contact: subject, body and the language version used.
fn render_message_for(
    message_id: i64,
    contact_id: i64,
    data: vtl::Value,
    language: Option<&str>,
) -> Result<(Option<String>, String, String)> {
    type Row = (Option<String>, Option<String>, Option<String>, Option<bool>, Option<JsonB>, Option<String>);
    let row: Row = Spi::connect(|client| {
        MESSAGE_AND_CONTACT_PLAN.with(|cell| {
            let plan = match cell.get() {
                Some(plan) => plan,
                None => {
                    use pgrx::pg_sys::{PgOid, INT8OID, TEXTOID};
                    let args = [PgOid::from(INT8OID), PgOid::from(INT8OID), PgOid::from(TEXTOID)];
                    let plan = client.prepare(MESSAGE_AND_CONTACT, &args)?.keep();
                    cell.get_or_init(|| plan)
                }
            };
            let tuple =
                client.select(plan, None, &[message_id.into(), contact_id.into(), language.into()])?.first();
            Ok::<_, pgrx::spi::SpiError>((
                tuple.get(1)?,
                tuple.get(2)?,
                tuple.get(3)?,
                tuple.get(4)?,
                tuple.get(5)?,
                tuple.get(6)?,
            ))
        })
    })?;
    let (version, subject, body, language_found, contact, others) = row;
    let Some(version) = version else {
        return Err(EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("message {message_id} does not exist"),
        ));
    };
    let Some(JsonB(contact)) = contact else {
        return Err(EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("contact {contact_id} does not exist"),
        ));
    };
    if language_found != Some(true) {
        return Err(EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("message {message_id} has no \"{}\" version", language.unwrap_or_default()),
        )
        .with_detail(match others {
            Some(others) => format!("Its main language is \"{version}\"; other versions: {others}."),
            None => format!("Its main language is \"{version}\" and it has no other versions."),
        })
        .with_hint("Leave language NULL to use the contact's language or the main version."));
    }
    let context = message_context(data, vtl::from_json(&contact));
    let (subject, body) = try_with_templates(|t| {
        render_version(t, message_id, subject.as_deref(), body.as_deref().unwrap_or_default(), &context)
    })?;
    Ok((subject, body, version))
}

/// Renders a message version's subject and body with `context` (`$data`, `$contact`).
fn render_version(
    t: &mut Templates,
    message_id: i64,
    subject: Option<&str>,
    body: &str,
    context: &vtl::Value,
) -> Result<(Option<String>, String)> {
    let name = |part| format!("message {message_id} {part}");
    let subject = match subject {
        Some(s) => Some(t.render(&name("subject"), s, t.engine.vars_of(context))?),
        None => None,
    };
    Ok((subject, t.render(&name("body"), body, t.engine.vars_of(context))?))
}

/// Renders message `message_id` for contact `contact_id`: subject and body see `$data` (the
/// given object) and `$contact` (names, language, email, phone, channels, additional fields by
/// name). The language version is `language` if given, else the contact's language if the
/// message has that version, else the main one.
#[pg_extern(stable, parallel_safe)]
fn render_message(
    message_id: Option<i64>,
    contact_id: Option<i64>,
    data: default!(Option<TemplateData>, "'{}'"),
    language: default!(Option<&str>, "NULL"),
) -> TableIterator<'static, (name!(subject, Option<String>), name!(body, String), name!(language, String))> {
    let (message_id, contact_id) = (required(message_id, "message_id"), required(contact_id, "contact_id"));
    let data = template_context(data).or_raise();
    TableIterator::once(render_message_for(message_id, contact_id, data, language).or_raise())
}

extension_sql!(
    "COMMENT ON FUNCTION engage.render_message(bigint,bigint,jsonb,text) IS 'Renders a message for a contact: subject and body see $data (data) and $contact. The version is language if given (an error if missing), else the contact''s if it exists, else the main one. Returns subject, body, language.';",
    name = "comment_render_message",
    requires = [render_message]
);

/// The `$data` a send renders with: the event param `json_source` names (its JSON text parsed,
/// or the value itself), or all the params; and, when it was parsed from text, the JSON to store
/// as the send's data (otherwise the caller stores what it passed in).
fn send_data(
    params: vtl::Value,
    json_source: Option<&str>,
) -> Result<(vtl::Value, Option<serde_json::Value>), String> {
    let Some(name) = json_source else { return Ok((params, None)) };
    let value = match &params {
        vtl::Value::Map(map) => map.borrow().get(&vtl::Value::str(name)).cloned(),
        _ => None,
    };
    match value {
        None | Some(vtl::Value::Null) => Err(format!("the event has no param \"{name}\" (the JSON source)")),
        Some(vtl::Value::Str(text)) => serde_json::from_str::<serde_json::Value>(&text)
            .map(|json| (vtl::from_json(&json), Some(json)))
            .map_err(|e| format!("param \"{name}\" (the JSON source) is not JSON: {e}")),
        Some(value) => Ok((value, None)),
    }
}

/// Renders a message version (`engage_internal.message_version`) for one send without raising: a
/// template that fails, or `$data` that is missing or malformed, comes back as `error` (the send
/// is then recorded as failed), so that one recipient's bad data cannot stop a batch. The
/// renderer of `engage_internal.send_statement`, the one statement that makes sends, which passes
/// everything in, so that a batch of sends runs no query per send. `$contact` is `contact`
/// (`engage.contact_context`). `$data` is `data` when given, JSON text parsed here so that it
/// keeps its key order and number spelling (a broadcast member's data object, smartsend's
/// jsonParam); else the event param `json_source` names (its JSON text parsed, or the value
/// itself), or all the `params`, decoded straight into template values. The `data` returned is
/// the JSON source's value when it was JSON text, also when the template then failed.
// The named columns must stay in the signature: pgrx reads them from it for the SQL.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe, schema = "engage_internal")]
pub fn render_for_send(
    message_id: Option<i32>,
    subject: Option<&str>,
    body: Option<&str>,
    contact: Option<TemplateData>,
    data: Option<JsonText>,
    params: Option<TemplateData>,
    json_source: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(subject, Option<String>),
        name!(body, Option<String>),
        name!(data, Option<JsonB>),
        name!(error, Option<String>),
    ),
> {
    let (message_id, body) = (required(message_id, "message_id"), required(body, "body"));
    let data = match data {
        Some(text) => SendData::Text(text),
        None => SendData::Params(required(params, "params"), json_source),
    };
    TableIterator::once(render_one_send(message_id, subject, body, contact, data))
}

/// Where a send's `$data` comes from: JSON text, or event params with the name of the param
/// that holds it (the JSON source), if any.
enum SendData<'a> {
    Text(JsonText),
    Params(TemplateData, Option<&'a str>),
}

/// A rendered send: subject, body, the JSON source's value when it was parsed, and the error.
type RenderedSend = (Option<String>, Option<String>, Option<JsonB>, Option<String>);

/// What `render_for_send` returns.
fn render_one_send(
    message_id: i32,
    subject: Option<&str>,
    body: &str,
    contact: Option<TemplateData>,
    data: SendData,
) -> RenderedSend {
    let data = match data {
        SendData::Text(text) => {
            parse_json_text(&text.0, "the data").map(|d| (vtl::from_json(&d), None)).map_err(|e| e.describe())
        }
        SendData::Params(params, json_source) => send_data(params.0, json_source),
    };
    match data {
        Err(error) => (None, None, None, Some(error)),
        Ok((data, json)) => match render_subject_and_body(message_id, subject, body, data, contact) {
            Ok((subject, body)) => (subject, Some(body), json.map(JsonB), None),
            Err(error) => (None, None, json.map(JsonB), Some(error)),
        },
    }
}

/// `render_for_send` with `$data` from event params: what workflows and smartsend rendered with
/// in 0.1.0. No SQL of this version calls it; the symbol stays for 0.1.0's install script (DESIGN
/// amendment 43), and 0.2.0 drops the function.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe, schema = "engage_internal", sql = false)]
pub fn prepare_send(
    message_id: Option<i32>,
    subject: Option<&str>,
    body: Option<&str>,
    contact: Option<TemplateData>,
    params: Option<TemplateData>,
    json_source: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(subject, Option<String>),
        name!(body, Option<String>),
        name!(data, Option<JsonB>),
        name!(error, Option<String>),
    ),
> {
    let (message_id, body) = (required(message_id, "message_id"), required(body, "body"));
    let (subject, body, data, error) = render_one_send(
        message_id,
        subject,
        body,
        contact,
        SendData::Params(required(params, "params"), json_source),
    );
    // As in 0.1.0: no data when the render failed.
    TableIterator::once((subject, body, data.filter(|_| error.is_none()), error))
}

/// `render_for_send` with `$data` as JSON text (NULL is `{}`): what broadcasts rendered with in
/// 0.1.0. No SQL of this version calls it; the symbol stays for 0.1.0's install script (DESIGN
/// amendment 43), and 0.2.0 drops the function.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe, schema = "engage_internal", sql = false)]
pub fn render_send(
    message_id: Option<i32>,
    subject: Option<&str>,
    body: Option<&str>,
    contact: Option<TemplateData>,
    data: Option<JsonText>,
) -> TableIterator<
    'static,
    (name!(subject, Option<String>), name!(body, Option<String>), name!(error, Option<String>)),
> {
    let (message_id, body) = (required(message_id, "message_id"), required(body, "body"));
    let data = data.unwrap_or_else(|| JsonText("{}".to_owned()));
    let (subject, body, _, error) = render_one_send(message_id, subject, body, contact, SendData::Text(data));
    TableIterator::once((subject, body, error))
}

/// Subject and body of one send, or why they could not be rendered.
fn render_subject_and_body(
    message_id: i32,
    subject: Option<&str>,
    body: &str,
    data: vtl::Value,
    contact: Option<TemplateData>,
) -> std::result::Result<(Option<String>, String), String> {
    let context = message_context(data, contact.map_or(vtl::Value::Null, |c| c.0));
    try_with_templates(|t| render_version(t, i64::from(message_id), subject, body, &context))
        .map_err(|e| e.describe())
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use super::*;

    fn render_sql(sql: &str) -> Option<String> {
        Spi::get_one::<String>(sql).unwrap()
    }

    #[pg_test]
    fn a_template_written_earlier_in_the_transaction_is_seen_by_the_next_statement() {
        Spi::run("INSERT INTO engage.templates (name, body) VALUES ('part', 'one')").unwrap();
        assert_eq!(render_sql("SELECT engage.render('#parse(''part'')', '{}')").as_deref(), Some("one"));
        Spi::run("UPDATE engage.templates SET body = 'two' WHERE name = 'part'").unwrap();
        assert_eq!(render_sql("SELECT engage.render('#parse(''part'')', '{}')").as_deref(), Some("two"));
    }

    #[pg_test]
    fn one_statement_prepares_its_template_once_and_reads_the_library_once() {
        Spi::run("INSERT INTO engage.templates (name, body) VALUES ('VM_global_library.vm', '#macro(m $x)<$x>#end')")
            .unwrap();
        let sample = render_sql("SELECT engage.render('#m($i)', '{\"i\": 7}')");
        assert_eq!(sample.as_deref(), Some("<7>"));
        let n = Spi::get_one::<i64>(
            "SELECT count(DISTINCT engage.render('#m($i)', jsonb_build_object('i', i))) FROM generate_series(1, 500) i",
        )
        .unwrap();
        assert_eq!(n, Some(500));
        TEMPLATES.with(|t| {
            let state = t.borrow();
            let state = state.as_ref().expect("the backend keeps its templates");
            let prepared: Vec<usize> = state.prepared.values().map(HashMap::len).collect();
            assert_eq!(prepared, vec![1], "one template prepared");
            let loaded: Vec<String> = state.loader.rows.borrow().keys().cloned().collect();
            assert_eq!(loaded, vec![vtl::LIBRARY.to_owned()], "one read of engage.templates");
        });
    }

    #[pg_test]
    fn render_for_send_from_params_returns_what_went_wrong_instead_of_raising() {
        let row = |body: &str, params: &str, source: &str| {
            Spi::get_two_with_args::<pgrx::JsonB, String>(
                "SELECT data, coalesce(error, body) FROM engage_internal.render_for_send(1, NULL, $1, NULL, NULL, $2::jsonb, $3)",
                &[body.into(), params.into(), (!source.is_empty()).then_some(source).into()],
            )
            .unwrap()
        };
        let (data, out) = row("$data.get('x').get(3)", r#"{"x": [1]}"#, "");
        assert!(data.is_none() && out.unwrap().contains("IndexOutOfBoundsException"));
        let (data, out) = row("$data.code", r#"{"jsonParam": "{\"code\": 7}"}"#, "jsonParam");
        assert_eq!((data.map(|d| d.0), out.as_deref()), (Some(serde_json::json!({"code": 7})), Some("7")));
        let (_, out) = row("x", r#"{"other": 1}"#, "jsonParam");
        assert_eq!(out.as_deref(), Some("the event has no param \"jsonParam\" (the JSON source)"));
        let (_, out) = row("x", r#"{"jsonParam": "{nope"}"#, "jsonParam");
        assert!(out.unwrap().starts_with("param \"jsonParam\" (the JSON source) is not JSON"));
    }

    #[pg_test]
    fn render_for_send_reads_data_and_sources_as_written() {
        let row = |body: &str, data: Option<&str>, params: Option<&str>| {
            Spi::get_three_with_args::<String, pgrx::JsonB, String>(
                "SELECT body, data, error FROM engage_internal.render_for_send(1, NULL, $1, '{\"firstName\": \"Ann\"}',
                                                                              $2::json, $3::jsonb, 'src')",
                &[body.into(), data.into(), params.into()],
            )
            .unwrap()
        };
        // $data as JSON text: key order and number spelling as written; nothing to return for it.
        let (out, data, error) = row("$contact.firstName: $data", Some(r#"{"b": 1.0E21, "a": -0.0}"#), None);
        assert_eq!((out.as_deref(), data.is_none(), error), (Some("Ann: {b=1.0E21, a=-0.0}"), true, None));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let (out, _, error) = row("$data", Some(&deep), None);
        assert!(
            out.is_none()
                && error.unwrap().starts_with("the data is not JSON the engine can read: recursion limit")
        );
        // A JSON source parsed from text is returned as what $data was, also when the template fails.
        let (out, data, error) = row("$data.get('x').get(3)", None, Some(r#"{"src": "{\"x\": [1]}"}"#));
        assert!(out.is_none() && error.unwrap().contains("IndexOutOfBoundsException"));
        assert_eq!(
            data.map(|d| d.0),
            Some(serde_json::json!({"x": [1]})),
            "what $data was, for the FAILED send"
        );
    }

    #[pg_test]
    fn the_renderers_0_1_0_binds_still_render() {
        Spi::run(
            "CREATE FUNCTION pg_temp.prepare_send(integer, text, text, jsonb, jsonb, text)
             RETURNS TABLE (subject text, body text, data jsonb, error text)
             LANGUAGE c AS '$libdir/pg_engage', 'prepare_send_wrapper';
             CREATE FUNCTION pg_temp.render_send(integer, text, text, jsonb, json)
             RETURNS TABLE (subject text, body text, error text)
             LANGUAGE c AS '$libdir/pg_engage', 'render_send_wrapper'",
        )
        .unwrap();
        let prepared = Spi::get_one::<String>(
            "SELECT body FROM pg_temp.prepare_send(1, NULL, '$data.a', NULL, '{\"s\": \"{\\\"a\\\": 7}\"}', 's')",
        );
        assert_eq!(prepared.unwrap().as_deref(), Some("7"));
        let (data, error) = Spi::get_two::<pgrx::JsonB, String>(
            "SELECT data, error FROM pg_temp.prepare_send(1, NULL, '$data.get(''a'').get(3)', NULL,
                                                          '{\"s\": \"{\\\"a\\\": [7]}\"}', 's')",
        )
        .unwrap();
        assert!(data.is_none(), "0.1.0 stored the params when the render failed, so no data comes back");
        assert!(error.unwrap().contains("IndexOutOfBoundsException"));
        let rendered =
            Spi::get_one::<String>("SELECT body FROM pg_temp.render_send(1, NULL, '$data', NULL, NULL)");
        assert_eq!(rendered.unwrap().as_deref(), Some("{}"));
    }

    #[pg_test]
    fn settings_reach_the_engine_in_the_same_session() {
        Spi::run("SET engage.template_max_steps = 5").unwrap();
        Spi::run("SET engage.template_max_output = '1kB'").unwrap();
        let config = with_templates(|t| Ok(t.engine.config().clone()));
        assert_eq!((config.max_steps, config.max_output), (5, 1024));
        Spi::run("RESET engage.template_max_steps").unwrap();
        let config = with_templates(|t| Ok(t.engine.config().clone()));
        assert_eq!(config.max_steps, vtl::Config::default().max_steps);
    }
}
