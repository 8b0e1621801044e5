//! `rollguard server`: a language server over standard input and output. Editors open a chart's
//! files; on open, on change (debounced) and on save the chart is checked against its baseline
//! with the unsaved texts of open documents, and its findings are published as diagnostics on
//! the lines that produced them.
//!
//! Built on `lsp-server` (the message types and protocol constants rust-analyzer uses) with
//! `lsp-types`; the framing is read by `transport` so that malformed input is answered, not
//! fatal. Checks run on a worker thread (`worker`) so the editor's requests are answered
//! while a large chart renders.

mod actions;
mod check;
mod documents;
mod text;
mod transport;
mod worker;
mod yaml_lines;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, Diagnostic,
    ExecuteCommandOptions, Hover, HoverContents, HoverProviderCapability, InitializeParams,
    InitializeResult, MarkupContent, MarkupKind, NumberOrString, PublishDiagnosticsParams,
    SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::baseline::cache::BaselineCache;
use check::Checker;
use documents::Documents;
use text::{path_to_uri, uri_to_path};
use worker::{Checked, Job};

/// How long after the last keystroke a chart is checked: typing does not start a check per
/// character, and a pause shows the result.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// The command that re-checks every chart of the workspace.
pub const CHECK_COMMAND: &str = "rollguard.check";

/// Options of `rollguard server`.
#[derive(Debug, Default)]
pub struct Options {
    /// Where the rule pages are, as a URI prefix (`<prefix><rule>.md`).
    pub docs_url: Option<String>,
}

/// Serves one client on standard input and output until it says `exit` (or the input ends).
/// Returns the exit code: 0 after an orderly `shutdown`, else 1, as the protocol asks.
pub fn run(options: &Options) -> u8 {
    let (connection, io) = transport::stdio();
    let checker = Checker {
        baselines: Arc::new(BaselineCache::default()),
        docs: options.docs_url.clone().or_else(default_docs),
    };
    let (jobs, results) = worker::spawn(checker);
    let mut server = Server {
        sender: connection.sender.clone(),
        jobs,
        state: State::Uninitialized,
        documents: Documents::default(),
        workspace: BTreeSet::new(),
        due: BTreeMap::new(),
        published: BTreeMap::new(),
    };
    let code = server.serve(&connection.receiver, &results);
    drop(server);
    drop(connection);
    io.join();
    code
}

/// The rule pages of the source tree rollguard was built from, when they are still there
/// (`cargo install --path`, a checkout).
fn default_docs() -> Option<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let uri = text::path_to_uri(&dir)?;
    dir.is_dir().then(|| format!("{}/", uri.as_str()))
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

struct Server {
    sender: Sender<Message>,
    jobs: Sender<Job>,
    state: State,
    documents: Documents,
    /// Every chart of the workspace folders (and of the documents opened), for `rollguard.check`
    /// and for files that belong to no chart (pipelines, `.rollguard.yaml`).
    workspace: BTreeSet<PathBuf>,
    /// Charts waiting to be checked, and when.
    due: BTreeMap<PathBuf, Instant>,
    /// What is published on each file, by the chart whose check found it.
    published: BTreeMap<PathBuf, BTreeMap<PathBuf, Vec<Diagnostic>>>,
}

impl Server {
    fn serve(&mut self, messages: &Receiver<Message>, results: &Receiver<Checked>) -> u8 {
        loop {
            let wait = self
                .due
                .values()
                .min()
                .map(|at| at.saturating_duration_since(Instant::now()));
            let timeout = crossbeam_channel::after(wait.unwrap_or(Duration::from_secs(3600)));
            select! {
                recv(messages) -> message => match message {
                    Ok(Message::Notification(n)) if n.method == note::Exit::METHOD => {
                        return u8::from(self.state != State::ShutDown);
                    }
                    Ok(message) => self.handle(message),
                    Err(_) => return 1,
                },
                recv(results) -> checked => {
                    if let Ok(checked) = checked {
                        self.publish(checked);
                    }
                }
                recv(timeout) -> _ => {}
            }
            self.start_due_checks();
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Request(request) => {
                let id = request.id.clone();
                let response = match self.state {
                    State::Uninitialized if request.method != req::Initialize::METHOD => Err((
                        ErrorCode::ServerNotInitialized,
                        "initialize first".to_string(),
                    )),
                    State::ShutDown => Err((
                        ErrorCode::InvalidRequest,
                        "the server is shut down".to_string(),
                    )),
                    _ => self.request(request),
                };
                let response = match response {
                    Ok(value) => Response::new_ok(id, value),
                    Err((code, message)) => Response::new_err(id, code as i32, message),
                };
                self.send(Message::Response(response));
            }
            Message::Notification(notification) if self.state == State::Running => {
                self.notification(notification);
            }
            // Before `initialize`, after `shutdown`, and replies to requests never sent.
            Message::Notification(_) | Message::Response(_) => {}
        }
    }

    fn request(&mut self, request: Request) -> Result<Value, (ErrorCode, String)> {
        match request.method.as_str() {
            req::Initialize::METHOD => {
                if self.state != State::Uninitialized {
                    return Err((ErrorCode::InvalidRequest, "already initialized".into()));
                }
                let params: InitializeParams = params(request.params)?;
                self.initialize(&params);
                self.state = State::Running;
                to_value(initialize_result())
            }
            req::Shutdown::METHOD => {
                self.state = State::ShutDown;
                Ok(Value::Null)
            }
            req::ExecuteCommand::METHOD => {
                let params: lsp_types::ExecuteCommandParams = params(request.params)?;
                if params.command != CHECK_COMMAND {
                    return Err((
                        ErrorCode::InvalidParams,
                        format!("unknown command {:?}", params.command),
                    ));
                }
                let now = Instant::now();
                for chart in &self.workspace {
                    self.due.insert(chart.clone(), now);
                }
                Ok(Value::Null)
            }
            req::HoverRequest::METHOD => {
                let params: lsp_types::HoverParams = params(request.params)?;
                to_value(self.hover(&params.text_document_position_params))
            }
            req::CodeActionRequest::METHOD => {
                let params: lsp_types::CodeActionParams = params(request.params)?;
                to_value(self.code_actions(&params))
            }
            other => Err((ErrorCode::MethodNotFound, format!("{other} is not served"))),
        }
    }

    /// The explanation of every rule whose finding covers the position.
    fn hover(&self, at: &lsp_types::TextDocumentPositionParams) -> Option<Hover> {
        let path = uri_to_path(&at.text_document.uri)?;
        let position = (at.position.line, at.position.character);
        let mut found: Vec<&Diagnostic> = self
            .published
            .get(&path)?
            .values()
            .flatten()
            .filter(|d| {
                let (start, end) = (d.range.start, d.range.end);
                (start.line, start.character) <= position && position <= (end.line, end.character)
            })
            .collect();
        found.sort_by_key(|d| (d.range.start.line, d.range.start.character));
        let mut pages: Vec<String> = Vec::new();
        for diagnostic in &found {
            let Some(NumberOrString::String(rule)) = &diagnostic.code else {
                continue;
            };
            if let Ok(page) = crate::commands::rules::explain(rule, true)
                && !pages.contains(&page)
            {
                pages.push(page);
            }
        }
        if pages.is_empty() {
            return None;
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: pages.join("\n---\n\n"),
            }),
            range: found.first().map(|d| d.range),
        })
    }

    fn code_actions(&self, params: &lsp_types::CodeActionParams) -> Vec<lsp_types::CodeAction> {
        let Some(path) = uri_to_path(&params.text_document.uri) else {
            return Vec::new();
        };
        let Some(text) = self.documents.text(&path) else {
            return Vec::new();
        };
        let read = |file: &std::path::Path| self.documents.text(file);
        actions::actions(&path, &text, &params.context.diagnostics, &read)
    }

    fn initialize(&mut self, params: &InitializeParams) {
        let folders = params.workspace_folders.iter().flatten().map(|f| &f.uri);
        #[allow(deprecated)] // Clients that predate workspace folders send only the root.
        let root = params.root_uri.iter();
        for folder in folders.chain(root).filter_map(uri_to_path) {
            self.workspace.extend(crate::inputs::select::under(&folder));
        }
    }

    fn notification(&mut self, notification: Notification) {
        let now = Instant::now();
        let changed = match notification.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidOpenTextDocumentParams>(notification.params)
                else {
                    return;
                };
                let doc = p.text_document;
                self.documents.open(&doc.uri, doc.version, doc.text);
                Some((doc.uri, now))
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidChangeTextDocumentParams>(notification.params)
                else {
                    return;
                };
                let doc = p.text_document;
                self.documents
                    .change(&doc.uri, doc.version, p.content_changes);
                Some((doc.uri, now + DEBOUNCE))
            }
            note::DidSaveTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidSaveTextDocumentParams>(notification.params)
                else {
                    return;
                };
                Some((p.text_document.uri, now))
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) = params::<lsp_types::DidCloseTextDocumentParams>(notification.params)
                else {
                    return;
                };
                self.documents.close(&p.text_document.uri);
                Some((p.text_document.uri, now))
            }
            _ => None,
        };
        if let Some((uri, at)) = changed {
            self.schedule(&uri, at);
        }
    }

    /// Checks the chart `uri` belongs to at `at`; a file of no chart (a pipeline, the config)
    /// concerns every chart of the workspace.
    fn schedule(&mut self, uri: &Uri, at: Instant) {
        let Some(path) = uri_to_path(uri) else {
            return;
        };
        let charts = match documents::chart_of(&path) {
            Some(chart) => {
                self.workspace.insert(chart.clone());
                vec![chart]
            }
            None => self.workspace.iter().cloned().collect(),
        };
        for chart in charts {
            self.due.insert(chart, at);
        }
    }

    fn start_due_checks(&mut self) {
        let now = Instant::now();
        let ready: Vec<PathBuf> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(chart, _)| chart.clone())
            .collect();
        for chart in ready {
            self.due.remove(&chart);
            let job = Job {
                overlay: self.documents.overlay(),
                versions: self.documents.versions(),
                chart,
            };
            // The worker outlives the loop; a send fails only when it died, and then there
            // is nothing to check with.
            let _ = self.jobs.send(job);
        }
    }

    /// Replaces what the chart published before with what its check found, file by file;
    /// files it no longer concerns are cleared.
    fn publish(&mut self, checked: Checked) {
        let mut touched: BTreeSet<PathBuf> = BTreeSet::new();
        for (path, by_chart) in &mut self.published {
            if by_chart.remove(&checked.chart).is_some() {
                touched.insert(path.clone());
            }
        }
        // The chart's open documents are published even when clean: the editor learns that
        // the check of its version is done.
        touched.extend(
            checked
                .versions
                .keys()
                .filter(|path| path.starts_with(&checked.chart))
                .cloned(),
        );
        for (path, diagnostics) in checked.diagnostics {
            touched.insert(path.clone());
            self.published
                .entry(path)
                .or_default()
                .insert(checked.chart.clone(), diagnostics);
        }
        for path in touched {
            let diagnostics: Vec<Diagnostic> = self
                .published
                .get(&path)
                .into_iter()
                .flat_map(|by_chart| by_chart.values().flatten().cloned())
                .collect();
            if diagnostics.is_empty() {
                self.published.remove(&path);
            }
            let Some(uri) = path_to_uri(&path) else {
                continue;
            };
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: checked.versions.get(&path).copied(),
            };
            self.send(Message::Notification(Notification::new(
                note::PublishDiagnostics::METHOD.to_string(),
                params,
            )));
        }
    }

    fn send(&self, message: Message) {
        // Fails only once the writer is gone (the client closed the connection); the loop
        // ends at the next read.
        let _ = self.sender.send(message);
    }
}

fn initialize_result() -> InitializeResult {
    let sync = TextDocumentSyncOptions {
        open_close: Some(true),
        change: Some(TextDocumentSyncKind::INCREMENTAL),
        save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
            include_text: Some(false),
        })),
        ..TextDocumentSyncOptions::default()
    };
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..CodeActionOptions::default()
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![CHECK_COMMAND.to_string()],
                ..ExecuteCommandOptions::default()
            }),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "rollguard".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}

fn params<P: DeserializeOwned>(value: Value) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(value)
        .map_err(|e| (ErrorCode::InvalidParams, format!("invalid params: {e}")))
}

fn to_value(value: impl serde::Serialize) -> Result<Value, (ErrorCode, String)> {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}
