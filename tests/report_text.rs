//! What the human and Markdown reports say: findings ordered errors, warnings, info within a
//! chart; a banner that gives the reason for its verdict (one case per reason); info findings
//! summarised per rule unless `--verbose`; every finding linked to its rule's documentation.

mod common;

use std::path::Path;

use common::{Run, rollguard};

const SHOP: &str = "fixtures/examples/shop.yaml";
const WAREHOUSE: &str = "fixtures/examples/warehouse.yaml";

/// `check` at Kubernetes 1.29 without pipeline discovery (the repository's own pipeline
/// fixtures are not these releases'), with `extra` arguments.
fn check(input: &[&str], extra: &[&str]) -> Run {
    let mut args = vec!["check", "--no-pipelines", "--kube-version", "1.29"];
    args.extend(input);
    args.extend(extra);
    rollguard(&args)
}

/// Each verdict reason: the input, and the exit code it gives.
const CASES: &[(&str, &[&str], i32)] = &[
    (
        "NO-GO, api-removed only",
        &["--manifest", "fixtures/rules/api-removed.yaml"],
        1,
    ),
    ("NO-GO, mixed errors", &["--manifest", SHOP], 1),
    (
        "GO, a rollback-fails warning",
        &[
            "fixtures/charts/secret-regenerated-on-upgrade",
            "--config",
            "fixtures/examples/secret-rotation-accepted.rollguard.yaml",
        ],
        0,
    ),
    (
        "GO, an upgrade-fails warning",
        &["--manifest", "fixtures/rules/hook-failed-left-behind.yaml"],
        0,
    ),
    (
        "GO, a warning that leaves the rollback safe",
        &["--manifest", WAREHOUSE],
        0,
    ),
    (
        "GO, no findings",
        &["--manifest", "fixtures/rules/api-removed.safe.yaml"],
        0,
    ),
    // An input error (exit 2) for the second chart; the banner vouches for the first only.
    (
        "INCOMPLETE, a chart not checked",
        &[
            "fixtures/charts/kube-version-incompatible.safe",
            "fixtures/charts/missing-dependency",
        ],
        2,
    ),
];

/// The human report, then the Markdown one.
fn both(input: &[&str], extra: &[&str], code: i32) -> String {
    let human = check(input, extra);
    assert_eq!(human.code, code, "{}{}", human.stdout, human.stderr);
    let markdown = check(input, &[extra, &["--format", "markdown"]].concat());
    assert_eq!(markdown.code, code, "{}", markdown.stderr);
    format!(
        "{}\n──────── --format markdown\n\n{}",
        human.stdout, markdown.stdout
    )
}

fn banner(run: &Run) -> &str {
    run.stdout.lines().last().unwrap_or_default()
}

#[test]
fn the_banner_gives_the_reason_for_the_verdict() {
    let mut banners = String::new();
    for (case, input, code) in CASES {
        let human = check(input, &[]);
        assert_eq!(human.code, *code, "{case}: {}", human.stderr);
        let quiet = check(input, &["--quiet"]);
        let markdown = check(input, &["--format", "markdown"]);
        assert_eq!(banner(&quiet), banner(&human), "{case}");
        assert_eq!(
            markdown.stdout.lines().find(|l| l.starts_with("**")),
            Some(format!("**{}**", banner(&human)).as_str()),
            "{case}"
        );
        banners.push_str(&format!("{case}:\n  {}\n", banner(&human)));
    }
    insta::assert_snapshot!(banners);
}

#[test]
fn a_go_never_calls_a_rollback_safe_next_to_a_warning_that_breaks_it() {
    for (case, input, _) in CASES {
        let text = check(input, &[]).stdout;
        let safe = text
            .lines()
            .last()
            .is_some_and(|l| l.contains("rollback is safe"));
        let breaking = ["upgrade-fails", "rollback-fails"]
            .iter()
            .any(|effect| text.contains(&format!("── {effect}")));
        assert!(!(safe && breaking), "{case}:\n{text}");
    }
}

#[test]
fn api_removed_only() {
    insta::assert_snapshot!(both(CASES[0].1, &[], 1));
}

#[test]
fn go_with_a_rollback_fails_warning() {
    insta::assert_snapshot!(both(CASES[2].1, &[], 0));
}

#[test]
fn go_with_an_upgrade_fails_warning() {
    insta::assert_snapshot!(both(CASES[3].1, &[], 0));
}

#[test]
fn clean_go() {
    insta::assert_snapshot!(both(CASES[5].1, &[], 0));
}

#[test]
fn info_findings_are_summarised_per_rule() {
    let text = both(&["--manifest", WAREHOUSE], &[], 0);
    assert!(text.contains("pvc-no-keep-policy ×3"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn verbose_lists_every_info_finding() {
    let text = both(&["--manifest", WAREHOUSE], &["--verbose"], 0);
    assert_eq!(text.matches("\n  ☞ ").count(), 5, "{text}");
    assert!(!text.contains("--verbose lists them"), "{text}");
    insta::assert_snapshot!(text);
}

/// Within a chart: every error before every warning, every warning before every info.
#[test]
fn errors_come_first_then_warnings_then_info() {
    for input in [SHOP, WAREHOUSE] {
        let run = check(&["--manifest", input], &["--quiet", "--verbose"]);
        let rank = |line: &str| {
            ["error[", "warning[", "info["]
                .iter()
                .position(|s| line.contains(s))
        };
        let ranks: Vec<usize> = run.stdout.lines().filter_map(rank).collect();
        assert!(ranks.len() > 3, "{}", run.stdout);
        assert!(ranks.is_sorted(), "{input}:\n{}", run.stdout);
        // The file order is not already this order: the test would prove nothing.
        let json = check(&["--manifest", input], &["--format", "json"]).json();
        let severities: Vec<usize> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["suppressed"] == false)
            .map(|f| {
                ["error", "warning", "info"]
                    .iter()
                    .position(|s| f["severity"] == *s)
                    .unwrap()
            })
            .collect();
        assert!(!severities.is_sorted(), "{input}: {severities:?}");
    }
}

/// Every rule a report links to has its page where the link points.
#[test]
fn every_finding_links_to_its_rule_page() {
    let prefix = "https://github.com/rollguard/rollguard/blob/main/";
    // Human: the 6 findings listed (the info summary names `rollguard explain` per rule);
    // Markdown: those and the 3 rules of the info summary.
    for (extra, expected) in [(&[][..], 6), (&["--format", "markdown"], 6 + 3)] {
        let run = check(&["--manifest", SHOP], extra);
        let links: Vec<&str> = run
            .stdout
            .match_indices(prefix)
            .map(|(at, _)| {
                let rest = &run.stdout[at + prefix.len()..];
                &rest[..rest.find(['(', ')', ' ', '\n']).unwrap_or(rest.len())]
            })
            .collect();
        assert_eq!(links.len(), expected, "{extra:?}:\n{}", run.stdout);
        for link in links {
            assert!(
                link.starts_with("docs/rules/")
                    && Path::new(env!("CARGO_MANIFEST_DIR")).join(link).is_file(),
                "{link}"
            );
        }
    }
}

/// `--quiet`: one line per finding; an info rule's first finding says how many more there are,
/// unless `--verbose`.
#[test]
fn quiet_names_each_info_rule_once_unless_verbose() {
    let quiet = check(&["--manifest", WAREHOUSE], &["--quiet"]).stdout;
    let verbose = check(&["--manifest", WAREHOUSE], &["--quiet", "--verbose"]).stdout;
    assert_eq!(quiet.lines().count(), 1 + 2 + 1, "{quiet}");
    assert_eq!(verbose.lines().count(), 1 + 5 + 1, "{verbose}");
    insta::assert_snapshot!(format!("{quiet}\n──────── --verbose\n\n{verbose}"));
}
