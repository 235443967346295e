//! The extension's settings (`engage.*`), registered once at load, read through typed accessors.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::{CStr, CString};

static ORGANISATION_NAME: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

static TEMPLATE_MAX_OUTPUT: GucSetting<i32> = GucSetting::<i32>::new(16 << 20);
static TEMPLATE_MAX_LOOP_ITERATIONS: GucSetting<i32> = GucSetting::<i32>::new(1_000_000);
static TEMPLATE_MAX_MACRO_DEPTH: GucSetting<i32> = GucSetting::<i32>::new(20);
static TEMPLATE_MAX_STEPS: GucSetting<i32> = GucSetting::<i32>::new(50_000_000);
static TEMPLATE_MAX_PARSE_DEPTH: GucSetting<i32> = GucSetting::<i32>::new(10);

pub fn init() {
    GucRegistry::define_string_guc(
        c"engage.organisation_name",
        c"Organisation name shown by engage.account_info().",
        c"Defaults to the name of the current database.",
        &ORGANISATION_NAME,
        GucContext::Userset,
        GucFlags::default(),
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

/// The template engine's settings: Velocity's defaults with the `engage.template_max_*` limits.
pub fn template_config() -> vtl::Config {
    let get = |s: &GucSetting<i32>| s.get().max(0) as u64;
    vtl::Config {
        max_output: get(&TEMPLATE_MAX_OUTPUT) as usize,
        max_loop_iterations: get(&TEMPLATE_MAX_LOOP_ITERATIONS),
        max_macro_depth: get(&TEMPLATE_MAX_MACRO_DEPTH) as usize,
        max_steps: get(&TEMPLATE_MAX_STEPS),
        max_parse_depth: get(&TEMPLATE_MAX_PARSE_DEPTH) as usize,
        ..vtl::Config::default()
    }
}
