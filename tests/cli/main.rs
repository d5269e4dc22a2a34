//! Integration tests: the `patchplan` binary run on fixture inventories, the shipped example and
//! the real advisory data in `../shared/data`. One binary, one module per theme.

mod bad_input;
mod browser;
mod command_line;
mod common;
mod delivery;
mod example;
mod explain;
mod feeds;
mod fleet;
mod formats;
mod fuzz;
mod hostile;
mod inputs;
mod layering;
mod ledger;
mod notices;
mod os_packages;
mod plan_json;
mod readme;
mod real_feeds;
mod reference;
mod report;
mod risk;
mod schedule;
mod trust;
mod validate;
mod windows;
mod wording;
mod zz_real_data;
