//! Helm's layer over the template engine ([`gotmpl`]): Sprig's and Helm's functions
//! ([`funcs::register`]), `.Files` and `.Capabilities` ([`objects`]), the loop over a
//! release's templates ([`chart`]), a loaded chart's root objects ([`release::render_release`]),
//! Helm's wording of engine errors ([`error`]) and the `helm template` stream ([`stream`]).

pub mod chart;
pub mod error;
pub mod funcs;
pub mod objects;
pub mod release;
pub mod stream;
