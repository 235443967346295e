//! The extension's settings (`engage.*`), registered once at load, read through typed accessors.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

static ORGANISATION_NAME: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

pub fn init() {
    GucRegistry::define_string_guc(
        c"engage.organisation_name",
        c"Organisation name shown by engage.account_info().",
        c"Defaults to the name of the current database.",
        &ORGANISATION_NAME,
        GucContext::Userset,
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
