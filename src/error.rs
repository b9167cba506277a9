//! The engine's error type: every op returns `Result<_, Error>`.

use std::panic::Location;

use crate::tensor::Shape;

/// An engine error: what went wrong in a tensor op or on the tape.
///
/// It holds its [`ErrorKind`] behind one box, so a `Result<Var, Error>` stays
/// two words wide however much an error carries.
///
/// ```
/// use backprop::{error::ErrorKind, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let a = tape.param(&Tensor::zeros(&[2, 3]).unwrap());
/// let err = a.matmul(a).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::ShapeMismatch { op: "matmul", .. }));
/// assert!(err.to_string().starts_with("matmul: shapes [2, 3] and [2, 3] do not fit"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<ErrorKind>);

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

/// The kinds of [`Error`].
///
/// Every kind that an op can raise carries the op's name and the caller's
/// source location (`#[track_caller]`), so the message points at the user's line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// Two operands whose shapes do not fit the op.
    #[error("{op}: shapes {lhs} and {rhs} do not fit ({why}) at {location}")]
    ShapeMismatch {
        /// The op that refused the shapes, e.g. `"matmul"`.
        op: &'static str,
        /// The first operand's shape.
        lhs: Shape,
        /// The second operand's shape.
        rhs: Shape,
        /// What the op expected.
        why: &'static str,
        /// The caller's source line.
        location: &'static Location<'static>,
    },
    /// One operand whose shape does not fit the op (wrong rank, bad axis…).
    #[error("{op}: shape {shape} is not valid here ({why}) at {location}")]
    BadShape {
        /// The op.
        op: &'static str,
        /// The operand's shape.
        shape: Shape,
        /// What the op expected.
        why: String,
        /// The caller's source line.
        location: &'static Location<'static>,
    },
    /// A buffer whose length does not match the shape it is given.
    #[error("tensor of shape {shape} needs {expected} elements, got {got}")]
    LengthMismatch {
        /// The requested shape.
        shape: Shape,
        /// The number of elements the shape holds.
        expected: usize,
        /// The number of elements supplied.
        got: usize,
    },
    /// A shape with more axes than [`crate::tensor::MAX_RANK`].
    #[error("a tensor may have at most {max} axes, got {got}")]
    RankTooHigh {
        /// The largest supported rank.
        max: usize,
        /// The requested rank.
        got: usize,
    },
    /// Class labels that are not integers in `0..classes`.
    #[error(
        "{op}: label {value} at position {index} is not a class in 0..{classes} at {location}"
    )]
    BadLabel {
        /// The op.
        op: &'static str,
        /// Position of the bad label.
        index: usize,
        /// Its value.
        value: f64,
        /// The number of classes.
        classes: usize,
        /// The caller's source line.
        location: &'static Location<'static>,
    },
    /// `backward` was asked for a value that is not a scalar and given no seed.
    #[error("backward needs a scalar loss (one element), got shape {shape}; use backward_seeded for a vector-Jacobian product")]
    NonScalarLoss {
        /// The shape of the value.
        shape: Shape,
    },
    /// A replay was asked to set or read a value it does not hold that way.
    #[error("replay: node {node} ({op}): {why}")]
    ReplayAccess {
        /// The node's position on the tape.
        node: usize,
        /// The node's op.
        op: &'static str,
        /// What was wrong.
        why: String,
    },
    /// `BACKPROP_ISA` (or a forced [`crate::isa::Isa`]) names no instruction
    /// set, or one this CPU lacks.
    #[error("{var}={value}: {why}", var = crate::isa::ENV_VAR)]
    Isa {
        /// The value asked for.
        value: String,
        /// What is wrong with it and what is allowed here.
        why: String,
    },
    /// A value was used on a tape other than the one that holds it.
    #[error("{op}: operands belong to different tapes at {location}")]
    ForeignVar {
        /// The op.
        op: &'static str,
        /// The caller's source line.
        location: &'static Location<'static>,
    },
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
