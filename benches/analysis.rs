//! Analysis benchmark: parse, semantics and every rule on a generated 5,000-line multi-stage
//! Dockerfile, against the sample project. Run with `cargo bench --bench analysis`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

fn measure(iterations: usize, mut run: impl FnMut()) -> Vec<Duration> {
    // Warm caches and the allocator first so the figures describe the steady state.
    for _ in 0..iterations / 10 + 1 {
        run();
    }
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples
}

fn report(name: &str, samples: &[Duration]) {
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<28} min {:>9.3} ms   median {:>9.3} ms   p95 {:>9.3} ms",
        at(0.0).as_secs_f64() * 1e3,
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3
    );
}

/// A file being typed into: one character inserted in the middle and taken out again, each
/// version built from the one before, as the server builds it.
struct Typing<'t> {
    versions: [&'t str; 2],
    turn: usize,
    parse: Option<berth::syntax::Parse>,
    semantics: Option<berth::semantics::Semantics>,
    findings: Option<berth::rules::incremental::RuleFindings>,
}

impl<'t> Typing<'t> {
    fn new(versions: [&'t str; 2]) -> Typing<'t> {
        Typing { versions, turn: 0, parse: Some(berth::syntax::parse(versions[0])), semantics: None, findings: None }
    }

    /// The text before and after the next keystroke.
    fn keystroke(&mut self) -> (&'t str, &'t str) {
        self.turn += 1;
        (self.versions[(self.turn + 1) % 2], self.versions[self.turn % 2])
    }

    fn reparse(&mut self) {
        let (old, new) = self.keystroke();
        let previous = self.parse.take().expect("a parse");
        self.parse = Some(black_box(berth::syntax::reparse(previous, old, new)));
        // The model and the findings no longer describe the parse.
        self.semantics = None;
        self.findings = None;
    }

    fn analyze(&mut self, project: &berth::project::ProjectFacts, settings: &berth::config::Settings) {
        let (old, new) = self.keystroke();
        let parse = self.parse.take().expect("a parse");
        let previous = berth::analysis::PreviousVersion {
            text: old,
            parse,
            semantics: self.semantics.take(),
            findings: self.findings.take(),
        };
        let analysis = black_box(berth::analysis::analyze_edited(new, previous, project, settings));
        self.parse = Some(std::sync::Arc::try_unwrap(analysis.parse).expect("the only reference"));
        self.semantics = std::sync::Arc::try_unwrap(analysis.semantics).ok();
        self.findings = Some(analysis.rule_findings);
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fastapi-app");
    let dockerfile = root.join("Dockerfile");
    let project = berth::project::discover(&berth::project::OsFileSystem, &dockerfile, Some(&root));
    let iterations = 300;
    for lines in [50, 500, 5_000] {
        let text = berth::syntax::sample::sample_large_dockerfile(lines);
        let actual_lines = text.lines().count();
        println!("-- {actual_lines} lines, {} bytes", text.len());
        report("parse", &measure(iterations, || drop(black_box(berth::syntax::parse(black_box(&text))))));
        let parse = berth::syntax::parse(&text);
        report("semantics", &measure(iterations, || drop(black_box(berth::semantics::analyze(black_box(&parse))))));
        // The server builds it for every version of an open document.
        report("line index", &measure(iterations, || drop(black_box(berth::text::LineIndex::new(black_box(&text))))));
        let diagnostics = berth::analysis::analyze(&text, &project).diagnostics.len();
        report(
            &format!("parse+semantics+rules ({diagnostics} findings)"),
            &measure(iterations, || drop(black_box(berth::analysis::analyze(black_box(&text), &project)))),
        );
        let middle = text[..text.len() / 2].rfind('\n').map_or(0, |it| it + 1);
        let mut typed = text.clone();
        typed.insert(middle, 'x');
        let mut typing = Typing::new([&text, &typed]);
        report("re-parse after a keystroke", &measure(iterations, || typing.reparse()));
        let settings = &*berth::config::DEFAULT_SETTINGS;
        report("whole analysis after a keystroke", &measure(iterations, || typing.analyze(&project, settings)));
        if lines == 5_000 {
            // The same after evicting the caches, as a server meets each keystroke after the
            // editor and the rest of the machine ran for a while.
            let mut evict = vec![0u8; 64 << 20];
            let mut cold = Vec::with_capacity(iterations / 3);
            for round in 0..iterations / 3 {
                evict.iter_mut().step_by(64).for_each(|it| *it = it.wrapping_add(round as u8));
                black_box(&evict);
                let started = Instant::now();
                typing.analyze(&project, settings);
                cold.push(started.elapsed());
            }
            cold.sort_unstable();
            report("  the same, caches evicted", &cold);
            let semantics = berth::semantics::analyze(&parse);
            // Every rule once with a fresh context, so facts the rules share are built inside
            // the measurement (the per-rule lines below reuse one context and its facts).
            report(
                "rules (fresh context)",
                &measure(iterations, || {
                    let ctx = berth::rules::RuleContext::new(&text, &parse, &semantics, &project);
                    black_box(berth::rules::run_all(&ctx));
                }),
            );
            let ctx = berth::rules::RuleContext::new(&text, &parse, &semantics, &project);
            for (rule, check) in berth::rules::REGISTRY {
                let samples = measure(iterations / 3, || {
                    let mut acc = Vec::new();
                    check(&ctx, &mut acc);
                    black_box(acc);
                });
                report(&format!("  {} {}", rule.code, rule.name), &samples);
            }
        }
    }
}
