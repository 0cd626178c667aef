//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `word` (ASCII case ignored), if it is close enough to be a likely
/// typo: one edit for short words, two for longer ones. A swap of neighbours counts as one edit.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = upper_case(word);
    if word.is_empty() || word.len() > 32 {
        return None;
    }
    let limit = if word.len() <= 3 { 1 } else { 2 };
    closest_within(&word, candidates, limit, usize::MAX)
}

/// `text`'s characters with ASCII letters in upper case, as [`closest_within`] compares them.
pub(crate) fn upper_case(text: &str) -> Vec<char> {
    text.chars().map(|it| it.to_ascii_uppercase()).collect()
}

/// The first candidate at the smallest distance from `word` (upper case, see [`upper_case`]),
/// ASCII case ignored, when that distance is at most `limit`; candidates longer than
/// `longest_candidate` characters are not compared.
pub(crate) fn closest_within<'a>(
    word: &[char],
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
    longest_candidate: usize,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    // Reused for every candidate: a file can ask this of hundreds of stage or variable names.
    let (mut upper, mut rows) = (Vec::new(), Vec::new());
    for candidate in candidates {
        // Every edit changes the length by at most one, so lengths further apart than the limit
        // cannot be close; most candidates end here, before any distance is computed.
        let length = candidate.chars().count();
        if length > longest_candidate || length.abs_diff(word.len()) > limit {
            continue;
        }
        upper.clear();
        upper.extend(candidate.chars().map(|it| it.to_ascii_uppercase()));
        let Some(distance) = distance_within(word, &upper, limit, &mut rows) else { continue };
        if best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|it| it.1)
}

/// The optimal string alignment distance (Levenshtein plus swaps of neighbours) of `a` and `b`
/// when it is at most `limit`, else `None`; `rows` is scratch space, reused across calls.
///
/// Stops as soon as the result must exceed the limit, so that ruling out a far candidate (most
/// of them) costs a few rows of the table, not all of it.
pub(crate) fn distance_within(a: &[char], b: &[char], limit: usize, rows: &mut Vec<usize>) -> Option<usize> {
    // Every edit changes the length by at most one.
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    rows.clear();
    rows.resize(width * 3, 0);
    let (mut prev2, mut prev, mut cur) = (0, width, 2 * width);
    for j in 0..width {
        rows[prev + j] = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[prev + j] + 1).min(rows[cur + j - 1] + 1).min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[prev2 + j - 2] + 1);
            }
            rows[cur + j] = value;
            row_min = row_min.min(value);
        }
        // A cell comes from the row above, or by a swap from two rows above plus one, and is at
        // most one more than the cell above it. So once a whole row is past the limit, the row
        // before it was at least at the limit, and every later row, the result too, is past it.
        if row_min > limit {
            return None;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    let distance = rows[prev + b.len()];
    (distance <= limit).then_some(distance)
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
        assert_eq!(distance_within(&['a', 'b'], &['b', 'a'], 1, &mut Vec::new()), Some(1));
        // Scratch space left over from a longer candidate does not leak into the next one.
        assert_eq!(closest("builder", ["runtime-stage", "buildr"]), Some("buildr"));
        assert_eq!(closest("abcd", ["abcdefg", "abxd"]), Some("abxd"));
    }

    /// The distance with the whole table, for comparison.
    fn full_distance(a: &[char], b: &[char]) -> usize {
        let mut table = vec![vec![0; b.len() + 1]; a.len() + 1];
        for (i, row) in table.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in table[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut value = (table[i - 1][j] + 1).min(table[i][j - 1] + 1).min(table[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    value = value.min(table[i - 2][j - 2] + 1);
                }
                table[i][j] = value;
            }
        }
        table[a.len()][b.len()]
    }

    #[test]
    fn stopping_early_never_changes_a_distance_within_the_limit() {
        // Every pair of words of up to five letters from a three-letter alphabet, at each limit.
        let mut words: Vec<Vec<char>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<char>> = words
                .iter()
                .filter(|it| it.len() == words.last().map_or(0, Vec::len))
                .flat_map(|word| "abc".chars().map(move |c| word.iter().copied().chain([c]).collect()))
                .collect();
            words.extend(longer);
        }
        let mut rows = Vec::new();
        for a in &words {
            for b in &words {
                let full = full_distance(a, b);
                for limit in 0..=4 {
                    let expected = (full <= limit).then_some(full);
                    assert_eq!(distance_within(a, b, limit, &mut rows), expected, "{a:?} {b:?} within {limit}");
                }
            }
        }
    }
}
