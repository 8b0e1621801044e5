//! Parsing a chart's templates on two threads: the render thread parses the files ahead while
//! the calling thread loads the chart ([`parse_ahead`]); once loaded, the files still unparsed
//! are split between the render thread (from the front) and the thread that loaded (from the
//! back, [`Split::help`]), which would otherwise only wait for the render. A parse depends on
//! the text and the engine's function names alone, so whichever thread parses a file, its
//! trees are the same; a file that fails to parse is parsed again, in order, when the render
//! adds it, and fails there with the same error as on one thread.

use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use gotmpl::{Engine, FuncNames, ParsedAhead};
use rustc_hash::FxHashMap;

use crate::chart::{LoadedRelease, RenderChart, Template};

/// A template file of a chart as read (its path in the chart, its text).
type File = (String, Arc<str>);

/// The chart's template files in the order they are parsed ahead: the chart's own first (a
/// subchart may be disabled).
pub(super) fn ahead_order(texts: &[File]) -> Vec<&File> {
    let (own, subcharts): (Vec<_>, Vec<_>) = texts
        .iter()
        .partition(|(name, _)| name.starts_with("templates/"));
    own.into_iter().chain(subcharts).collect()
}

/// Parses `files` ahead on `engine`'s thread until `loaded` says the loading ended: files of
/// subcharts the values disable (parsed for nothing) never make the render wait longer than
/// the loading did. Returns how many it parsed.
pub(super) fn parse_ahead(
    engine: &Engine,
    files: &[&File],
    mut loaded: impl FnMut() -> bool,
) -> usize {
    for (done, (name, text)) in files.iter().enumerate() {
        if loaded() {
            return done;
        }
        engine.parse_ahead(name, text);
    }
    files.len()
}

/// What the render thread offers the thread that loaded the chart: files to parse, and where
/// to send their trees.
pub(super) type Offer = (Arc<Split>, Sender<ParsedAhead>);

/// How the render thread finds the files left to parse once the chart is loaded, and offers
/// the thread that loaded it to parse some.
pub(super) struct Beside<'a> {
    /// The chart's files in [`ahead_order`].
    pub(super) files: &'a [&'a File],
    /// How many of `files` were parsed ahead.
    pub(super) ahead: usize,
    pub(super) offer: SyncSender<Offer>,
}

impl Beside<'_> {
    /// Parses, on this thread and the one that loaded, the files of `templates` (the release's,
    /// in parse order) not parsed ahead, for `engine` to take as it adds them. Files read
    /// from no file of the chart (in a packaged subchart) are left to the render.
    pub(super) fn parse_rest<'t>(
        self,
        engine: &Engine,
        loaded: &LoadedRelease,
        templates: impl Iterator<Item = (&'t RenderChart, &'t Template)>,
    ) {
        let by_name: FxHashMap<&str, &Arc<str>> = self.files[self.ahead.min(self.files.len())..]
            .iter()
            .map(|(name, text)| (name.as_str(), text))
            .collect();
        let rest: Vec<File> = templates
            .filter_map(|(chart, t)| {
                let name = file_name(loaded, chart, t)?;
                let text = by_name.get(name.as_str())?;
                Some((t.path.clone(), Arc::clone(text)))
            })
            .collect();
        // One file is parsed here sooner than handed over.
        if rest.len() < 2 {
            return;
        }
        let split = Arc::new(Split {
            names: engine.func_names(),
            claims: Mutex::new((0, rest.len())),
            files: rest,
        });
        let (give, given): (_, Receiver<ParsedAhead>) = std::sync::mpsc::channel();
        // Refused (the other thread is gone), the offer takes its sender along: nothing comes.
        let _ = self.offer.send((split.clone(), give));
        drop(self.offer);
        while let Some((name, text)) = split.claim(Side::Front) {
            engine.parse_ahead(name, text);
        }
        // Ends when the other thread has parsed its last file.
        for parsed in given {
            parsed.keep();
        }
    }
}

/// The path of template `t` of `chart` among the chart's files as read: `templates/x.yaml`,
/// `charts/db/templates/y.yaml`.
fn file_name(loaded: &LoadedRelease, chart: &RenderChart, t: &Template) -> Option<String> {
    let in_chart = t.path.strip_prefix(&chart.full_path)?.strip_prefix('/')?;
    let dir = chart.origin.strip_prefix(&loaded.root.origin)?;
    Some(match dir.strip_prefix('/') {
        Some(dir) => format!("{dir}/{in_chart}"),
        None => in_chart.to_string(),
    })
}

/// Files left to parse, claimed one at a time from either end.
pub(super) struct Split {
    names: FuncNames,
    /// The unclaimed files: `files[front..back]`.
    claims: Mutex<(usize, usize)>,
    files: Vec<File>,
}

#[derive(Clone, Copy)]
enum Side {
    Front,
    Back,
}

impl Split {
    fn claim(&self, side: Side) -> Option<&File> {
        let mut claims = self.claims.lock().ok()?;
        let (front, back) = &mut *claims;
        if front >= back {
            return None;
        }
        let at = match side {
            Side::Front => {
                *front += 1;
                *front - 1
            }
            Side::Back => {
                *back -= 1;
                *back
            }
        };
        self.files.get(at)
    }

    /// Parses files from the back until none is left, sending each parse to the render thread.
    pub(super) fn help(&self, give: &Sender<ParsedAhead>) {
        while let Some((name, text)) = self.claim(Side::Back) {
            if let Some(parsed) = self.names.parse_ahead(name, text) {
                // Refused only if the render thread is gone.
                let _ = give.send(parsed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{ValueOptions, load_read, read_chart_with};
    use crate::engine::{ReleaseOptions, engine_for, render_on, render_release};

    /// Renders the chart at `dir` with every file parsed after loading, split between this
    /// thread and a helper, against a render on one thread.
    fn split_renders_as_alone(dir: &std::path::Path) -> Result<String, String> {
        let values = ValueOptions::default();
        let options = ReleaseOptions::default();
        let read = read_chart_with(dir, &Default::default()).unwrap();
        let texts = read.template_texts();
        let files = ahead_order(&texts);
        let loaded = load_read(read, &values).unwrap();
        let alone = render_release(&loaded, &options).map_err(|e| e.to_string());
        let split = gotmpl::run_with_stack(64 << 20, |stack| {
            let engine = engine_for(&options, stack);
            let (offer, offered) = std::sync::mpsc::sync_channel::<Offer>(1);
            std::thread::scope(|scope| {
                let helper = scope.spawn(move || {
                    let (split, give) = offered.recv().ok()?;
                    let before = split.claims.lock().ok().map(|c| c.1 - c.0);
                    split.help(&give);
                    before
                });
                let beside = Beside {
                    files: &files,
                    ahead: 0,
                    offer,
                };
                let rendered = render_on(engine, &loaded, &options, Some(beside));
                gotmpl::clear_parsed_ahead();
                (rendered.map_err(|e| e.to_string()), helper.join().unwrap())
            })
        })
        .unwrap();
        assert_eq!(split.0, alone);
        // Every file the release parses was offered: none was parsed ahead.
        assert!(split.1.is_some());
        split.0.map(|r| {
            r.into_iter()
                .map(|(k, v)| format!("{k}={}", v.text))
                .collect::<Vec<_>>()
                .join(";")
        })
    }

    #[test]
    fn files_parsed_on_two_threads_render_and_fail_as_on_one() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
        write("values.yaml", "port: 2\ngone: {enabled: false}\n");
        write(
            "templates/_h.tpl",
            "{{ define \"h\" }}[{{ .Values.port | default \"none\" }}]{{ end }}",
        );
        for n in 0..6 {
            write(
                &format!("templates/t{n}.yaml"),
                &format!("t{n}: {{{{ include \"h\" . }}}} {{{{ printf \"%s-%d\" \"x\" {n} }}}}"),
            );
        }
        write(
            "charts/s/Chart.yaml",
            "apiVersion: v2\nname: s\nversion: 1.0.0\n",
        );
        write(
            "charts/s/templates/b.yaml",
            "b: {{ template \"h\" . }} {{ \"lit\" }}",
        );
        // Disabled: its files are not parsed.
        write(
            "Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- {name: gone, version: 1.0.0, condition: gone.enabled}\n- {name: s, version: 1.0.0}\n",
        );
        write(
            "charts/gone/Chart.yaml",
            "apiVersion: v2\nname: gone\nversion: 1.0.0\n",
        );
        write("charts/gone/templates/x.yaml", "{{ if }}");
        let out = split_renders_as_alone(dir.path()).unwrap();
        assert!(out.contains("c/templates/t5.yaml=t5: [2] x-5"), "{out}");
        assert!(
            out.contains("c/charts/s/templates/b.yaml=b: [none] lit"),
            "{out}"
        );
        // The first file that does not parse, in parse order, fails the render on both.
        write("templates/t1.yaml", "{{ end }}");
        write("templates/t4.yaml", "{{ nofunc }}");
        let failed = split_renders_as_alone(dir.path()).unwrap_err();
        assert!(failed.contains("c/templates/t4.yaml"), "{failed}");
    }
}
