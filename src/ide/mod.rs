//! Editor features over one analysed Dockerfile: hover, code actions, completion, signature help,
//! navigation and structure.
//!
//! Pure functions of an [`Analysis`](crate::analysis::Analysis), its text and the project facts;
//! they speak byte offsets and plain types, and the server converts them to LSP at the edge.

pub mod code_actions;
pub mod completion;
pub mod hints;
pub mod hover;
pub mod navigation;
pub mod rewrite;
pub mod signature;
pub mod symbols;
pub mod tokens;

use crate::syntax::{Dockerfile, Instruction};

/// The instruction whose range touches `offset`, and its index.
pub(crate) fn instruction_at(file: &Dockerfile, offset: usize) -> Option<(usize, &Instruction)> {
    let idx = file.instructions.partition_point(|it| it.range.end < offset);
    let instruction = file.instructions.get(idx)?;
    instruction.range.touches(offset).then_some((idx, instruction))
}
