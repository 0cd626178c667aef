//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `word` (ASCII case ignored), if it is close enough to be a likely
/// typo: one edit for short words, two for longer ones. A swap of neighbours counts as one edit.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.chars().map(|it| it.to_ascii_uppercase()).collect();
    if word.is_empty() || word.len() > 32 {
        return None;
    }
    let limit = if word.len() <= 3 { 1 } else { 2 };
    let mut best: Option<(usize, &str)> = None;
    // Reused for every candidate: a file can ask this of hundreds of stage or variable names.
    let (mut upper, mut rows) = (Vec::new(), Vec::new());
    for candidate in candidates {
        // Every edit changes the length by at most one, so lengths further apart than the limit
        // cannot be close; most candidates end here, before any distance is computed.
        if candidate.chars().count().abs_diff(word.len()) > limit {
            continue;
        }
        upper.clear();
        upper.extend(candidate.chars().map(|it| it.to_ascii_uppercase()));
        let distance = distance(&word, &upper, &mut rows);
        if distance > limit {
            continue;
        }
        if best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|it| it.1)
}

/// Optimal string alignment distance (Levenshtein plus transpositions); `rows` is scratch space.
fn distance(a: &[char], b: &[char], rows: &mut Vec<usize>) -> usize {
    let width = b.len() + 1;
    rows.clear();
    rows.resize(width * 3, 0);
    let (mut prev2, mut prev, mut cur) = (0, width, 2 * width);
    for j in 0..width {
        rows[prev + j] = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[prev + j] + 1).min(rows[cur + j - 1] + 1).min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[prev2 + j - 2] + 1);
            }
            rows[cur + j] = value;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    rows[prev + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keywords = ["FROM", "RUN", "COPY", "CMD", "ADD"];
        assert_eq!(closest("FORM", keywords), Some("FROM"));
        assert_eq!(closest("ru", keywords), Some("RUN"));
        assert_eq!(closest("COPPY", keywords), Some("COPY"));
        assert_eq!(closest("xyz", keywords), None);
        assert_eq!(closest("run", keywords), Some("RUN"));
        assert_eq!(distance(&['a', 'b'], &['b', 'a'], &mut Vec::new()), 1);
        // Scratch space left over from a longer candidate does not leak into the next one.
        assert_eq!(closest("builder", ["runtime-stage", "buildr"]), Some("buildr"));
        assert_eq!(closest("abcd", ["abcdefg", "abxd"]), Some("abxd"));
    }
}
