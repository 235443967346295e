//! The extension's settings (`engage.*`), registered once at load, read through typed accessors.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::{CStr, CString};

static ORGANISATION_NAME: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

static TIME_ZONE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"UTC"));
static JOB_RUN_RETENTION: GucSetting<i32> = GucSetting::<i32>::new(30 * 24 * 60);
static DATABASE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"postgres"));
static DATABASES: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static SCHEDULER_ENABLED: GucSetting<bool> = GucSetting::<bool>::new(true);
static WORKFLOWS_ENABLED: GucSetting<bool> = GucSetting::<bool>::new(true);
static EVENT_BATCH_SIZE: GucSetting<i32> = GucSetting::<i32>::new(1000);
/// Read in SQL (`engage_internal.revenue_attribution_window()`), so it has no accessor here.
static REVENUE_ATTRIBUTION_WINDOW: GucSetting<i32> = GucSetting::<i32>::new(7 * 24 * 60);

/// Read in SQL (`engage_internal.list_sync_next_batch`), so it has no accessor here.
static LIST_API_URL: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static LIST_SYNC_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(30_000);
static LIST_SYNC_MAX_RETRIES: GucSetting<i32> = GucSetting::<i32>::new(5);
static LIST_SYNC_RETRY_DELAY: GucSetting<i32> = GucSetting::<i32>::new(1_000);

static TEMPLATE_MAX_OUTPUT: GucSetting<i32> = GucSetting::<i32>::new(16 << 20);
static TEMPLATE_MAX_LOOP_ITERATIONS: GucSetting<i32> = GucSetting::<i32>::new(1_000_000);
static TEMPLATE_MAX_MACRO_DEPTH: GucSetting<i32> = GucSetting::<i32>::new(20);
static TEMPLATE_MAX_STEPS: GucSetting<i32> = GucSetting::<i32>::new(50_000_000);
static TEMPLATE_MAX_PARSE_DEPTH: GucSetting<i32> = GucSetting::<i32>::new(10);
static TEMPLATE_MAX_MEMORY: GucSetting<i32> = GucSetting::<i32>::new(vtl::DEFAULT_MAX_MEMORY as i32);

pub fn init() {
    GucRegistry::define_string_guc(
        c"engage.organisation_name",
        c"Organisation name shown by engage.account_info().",
        c"Defaults to the name of the current database.",
        &ORGANISATION_NAME,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"engage.time_zone",
        c"Time zone of schedules and date rules that do not name their own (an IANA name).",
        c"Jobs scheduled without a time zone take this one when they are scheduled.",
        &TIME_ZONE,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"engage.job_run_retention",
        c"How long finished job runs stay in engage.job_runs; 0 keeps them forever.",
        c"Older runs are deleted whenever due jobs are claimed.",
        &JOB_RUN_RETENTION,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_MIN,
    );
    // A server-start setting can only be defined while the server starts (preloading).
    if unsafe { pgrx::pg_sys::process_shared_preload_libraries_in_progress } {
        GucRegistry::define_string_guc(
            c"engage.database",
            c"The database pg_engage serves when engage.databases is empty.",
            c"Read when the server starts; pg_engage must be in shared_preload_libraries.",
            &DATABASE,
            GucContext::Postmaster,
            GucFlags::default(),
        );
    }
    GucRegistry::define_string_guc(
        c"engage.databases",
        c"The databases pg_engage serves, comma-separated: each gets a scheduler and a workflow worker.",
        c"Read again on reload (SIGHUP); empty: the one named by engage.database.",
        &DATABASES,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"engage.scheduler_enabled",
        c"Whether the scheduler starts due jobs; read again on reload (SIGHUP).",
        c"",
        &SCHEDULER_ENABLED,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"engage.workflows_enabled",
        c"Whether the workflow worker processes events and resumes waits; read again on reload (SIGHUP).",
        c"",
        &WORKFLOWS_ENABLED,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"engage.revenue_attribution_window",
        c"How far before an order a click or open on a message earns it the order's revenue.",
        c"Set it for the database (ALTER DATABASE ... SET) so that every session attributes alike.",
        &REVENUE_ATTRIBUTION_WINDOW,
        1,
        366 * 24 * 60,
        GucContext::Userset,
        GucFlags::UNIT_MIN,
    );
    GucRegistry::define_int_guc(
        c"engage.event_batch_size",
        c"Most events the workflow worker processes in one transaction.",
        c"Smaller batches commit sends sooner; larger ones cost less per event.",
        &EVENT_BATCH_SIZE,
        1,
        1_000_000,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"engage.list_api_url",
        c"Base URL of the list API for every list sync without its own api_url (instead of its region's).",
        c"For a proxy or a test server; empty: https://api.iterable.com (region us) or https://api.eu.iterable.com (eu).",
        &LIST_API_URL,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"engage.list_sync_timeout",
        c"Longest a list sync waits for one request to the list API (connecting, sending, the answer).",
        c"A request that takes longer is retried like a 5xx answer.",
        &LIST_SYNC_TIMEOUT,
        100,
        600_000,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"engage.list_sync_max_retries",
        c"How often a list sync sends a batch again after a 429, a 5xx, a timeout or a lost connection.",
        c"When they are used up the run fails; its unsent rows go with the next run.",
        &LIST_SYNC_MAX_RETRIES,
        0,
        100,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"engage.list_sync_retry_delay",
        c"Wait before a list sync's first retry of a batch; it doubles at each retry, up to a minute.",
        c"A Retry-After header asks for longer waits, up to a minute.",
        &LIST_SYNC_RETRY_DELAY,
        10,
        60_000,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    let limit = |name: &'static CStr, short: &'static CStr, setting: &'static GucSetting<i32>, min, flags| {
        GucRegistry::define_int_guc(
            name,
            short,
            c"Exceeding it aborts the render with an error that names the limit.",
            setting,
            min,
            i32::MAX,
            GucContext::Userset,
            flags,
        )
    };
    limit(
        c"engage.template_max_output",
        c"Largest output one template render may produce.",
        &TEMPLATE_MAX_OUTPUT,
        1,
        GucFlags::UNIT_BYTE,
    );
    limit(
        c"engage.template_max_loop_iterations",
        c"Most #foreach iterations (and largest range) in one template render.",
        &TEMPLATE_MAX_LOOP_ITERATIONS,
        0,
        GucFlags::default(),
    );
    limit(
        c"engage.template_max_macro_depth",
        c"Deepest macro nesting in a template render.",
        &TEMPLATE_MAX_MACRO_DEPTH,
        1,
        GucFlags::default(),
    );
    limit(
        c"engage.template_max_steps",
        c"Most evaluation steps in one template render.",
        &TEMPLATE_MAX_STEPS,
        1,
        GucFlags::default(),
    );
    limit(
        c"engage.template_max_memory",
        c"Most memory one template render may hold (its values and output), in bytes.",
        &TEMPLATE_MAX_MEMORY,
        1 << 20,
        GucFlags::UNIT_BYTE,
    );
    limit(
        c"engage.template_max_parse_depth",
        c"Deepest #parse nesting; deeper #parse renders nothing, as in Velocity.",
        &TEMPLATE_MAX_PARSE_DEPTH,
        1,
        GucFlags::default(),
    );
}

fn string(setting: &GucSetting<Option<CString>>) -> Option<String> {
    setting.get().map(|s| s.to_string_lossy().into_owned()).filter(|s| !s.trim().is_empty())
}

/// `engage.organisation_name`, if set.
pub fn organisation_name() -> Option<String> {
    string(&ORGANISATION_NAME)
}

/// `engage.database`: the one database served when `engage.databases` is empty.
fn database() -> String {
    string(&DATABASE).unwrap_or_else(|| "postgres".to_string())
}

/// The databases pg_engage serves: `engage.databases` (names separated by commas, each once), or
/// when that is empty the one `engage.database` names.
pub fn databases() -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in string(&DATABASES).unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    if names.is_empty() {
        names.push(database());
    }
    names
}

/// `engage.scheduler_enabled`.
pub fn scheduler_enabled() -> bool {
    SCHEDULER_ENABLED.get()
}

/// `engage.workflows_enabled`.
pub fn workflows_enabled() -> bool {
    WORKFLOWS_ENABLED.get()
}

/// `engage.event_batch_size`.
pub fn event_batch_size() -> i32 {
    EVENT_BATCH_SIZE.get()
}

/// How a list sync talks to the list API: `engage.list_sync_timeout`, `engage.list_sync_max_retries`
/// and `engage.list_sync_retry_delay`.
pub struct ListSyncSettings {
    pub timeout: std::time::Duration,
    pub max_retries: u32,
    pub retry_delay: std::time::Duration,
}

pub fn list_sync_settings() -> ListSyncSettings {
    let ms = |s: &GucSetting<i32>| std::time::Duration::from_millis(s.get().max(0) as u64);
    ListSyncSettings {
        timeout: ms(&LIST_SYNC_TIMEOUT),
        max_retries: LIST_SYNC_MAX_RETRIES.get().max(0) as u32,
        retry_delay: ms(&LIST_SYNC_RETRY_DELAY),
    }
}

/// The template engine's settings: Velocity's defaults with the `engage.template_max_*` limits.
pub fn template_config() -> vtl::Config {
    let get = |s: &GucSetting<i32>| s.get().max(0) as u64;
    vtl::Config {
        max_output: get(&TEMPLATE_MAX_OUTPUT) as usize,
        max_loop_iterations: get(&TEMPLATE_MAX_LOOP_ITERATIONS),
        max_macro_depth: get(&TEMPLATE_MAX_MACRO_DEPTH) as usize,
        max_steps: get(&TEMPLATE_MAX_STEPS),
        max_parse_depth: get(&TEMPLATE_MAX_PARSE_DEPTH) as usize,
        max_memory: get(&TEMPLATE_MAX_MEMORY) as usize,
        ..vtl::Config::default()
    }
}
