//! `unused-suppression`: not a check over the model but a judgement of the other rules'
//! findings, made where suppressions are applied ([`crate::suppress`]). Its entry is here so
//! the catalog lists it like any rule.

use crate::finding::{Category, Effect, RuleMeta, Severity};

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    category: Category::Tool,
    severity: Severity::Info,
    effect: Effect::None,
    summary: "a suppression that matched nothing, or names an unknown rule",
    doc: "A `rollguard.dev/ignore` annotation (or SQL comment, or config entry) names a rule that \
          reported nothing on that resource, or a rule id rollguard does not know. Stale \
          suppressions hide the next real finding; unknown ids are usually typos.",
    fix: "Remove the id from the suppression, or correct its spelling (`rollguard rules` lists them).",
};
