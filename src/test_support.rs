//! Helpers shared by unit tests in several modules.

/// `count` texts, each a concatenation of fewer than `max_pieces` pieces of `alphabet`, drawn from
/// a xorshift sequence started at `seed` (not zero): the same texts on every run, so a failure
/// always reproduces.
pub(crate) fn random_texts(alphabet: &[&str], count: usize, max_pieces: u64, seed: u64) -> Vec<String> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = next() % max_pieces;
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
        })
        .collect()
}
