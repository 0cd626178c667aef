//! Code action latency: the actions an editor asks for at a cursor or selection (quick fixes,
//! suppressions and refactorings; the registry lookup aside) at positions spread over the
//! generated 5,000-line Dockerfile, against the sample project, from one cached analysis as the
//! server answers them; and fix-all, which editors ask for separately (on save). Run with
//! `cargo bench --bench code_actions`; the target is p95 under 1 ms for the first two.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use berth::ide::code_actions;
use berth::text::TextRange;

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<40} min {:>8.3} ms   median {:>8.3} ms   p95 {:>8.3} ms   ({} requests)",
        at(0.0).as_secs_f64() * 1e3,
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fastapi-app");
    let dockerfile = root.join("Dockerfile");
    let project = berth::project::discover(&berth::project::OsFileSystem, &dockerfile, Some(&root));
    let text = berth::syntax::sample::sample_large_dockerfile(5_000);
    let analysis = berth::analysis::analyze(&text, &project);
    println!("-- {} lines, {} bytes, {} findings", text.lines().count(), text.len(), analysis.diagnostics.len());
    // Cursor positions at the start of every 7th line, and 3-line selections from them.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .filter(|&at| at < text.len())
        .collect();
    let cursors: Vec<TextRange> = line_starts.iter().step_by(7).map(|&at| TextRange::empty(at)).collect();
    let selections: Vec<TextRange> =
        line_starts.windows(4).step_by(7).map(|lines| TextRange::new(lines[0], lines[3])).collect();
    let mut offered = 0;
    for range in cursors.iter().chain(&selections) {
        offered += code_actions::actions_in(&analysis, &text, &project, *range, false).len();
    }
    println!("{offered} actions offered over {} requests", cursors.len() + selections.len());
    for (name, ranges) in [("codeAction at a cursor", &cursors), ("codeAction over a 3-line selection", &selections)] {
        // Warm-up pass, then one timed pass per range, three times over.
        for range in ranges.iter().take(50) {
            black_box(code_actions::actions_in(&analysis, &text, &project, *range, false));
        }
        let mut samples = Vec::with_capacity(ranges.len() * 3);
        for _ in 0..3 {
            for range in ranges {
                let started = Instant::now();
                black_box(code_actions::actions_in(black_box(&analysis), &text, &project, *range, false));
                samples.push(started.elapsed());
            }
        }
        report(name, &mut samples);
    }
    let whole = TextRange::new(0, text.len());
    let mut samples: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            black_box(code_actions::actions_in(&analysis, &text, &project, whole, false));
            started.elapsed()
        })
        .collect();
    report("codeAction over the whole file", &mut samples);
    let mut samples: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            black_box(code_actions::actions_in(&analysis, &text, &project, TextRange::empty(0), true));
            started.elapsed()
        })
        .collect();
    report("source.fixAll (every finding's fixes)", &mut samples);
}
