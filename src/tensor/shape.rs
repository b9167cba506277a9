//! Shapes, row-major strides and NumPy broadcasting.

use std::fmt;

use crate::error::{ErrorKind, Result};

/// The largest number of axes a tensor may have.
pub const MAX_RANK: usize = 6;

/// A tensor's shape: up to [`MAX_RANK`] axis lengths, stored inline (`Copy`, no
/// allocation), so recording a node never allocates for its shape.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; MAX_RANK],
    rank: u8,
}

impl Shape {
    /// The shape of a scalar (rank 0, one element).
    pub const SCALAR: Shape = Shape {
        dims: [0; MAX_RANK],
        rank: 0,
    };

    /// A shape from axis lengths; errors past [`MAX_RANK`] axes.
    pub fn new(dims: &[usize]) -> Result<Shape> {
        if dims.len() > MAX_RANK {
            return Err(ErrorKind::RankTooHigh {
                max: MAX_RANK,
                got: dims.len(),
            }
            .into());
        }
        let mut s = Shape::SCALAR;
        s.dims[..dims.len()].copy_from_slice(dims);
        s.rank = dims.len() as u8;
        Ok(s)
    }

    /// The axis lengths.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }

    /// The number of axes.
    pub fn rank(&self) -> usize {
        self.rank as usize
    }

    /// The number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }

    /// The number of elements, or `None` if the product of the axis lengths
    /// overflows `usize` (no tensor of that shape can exist).
    pub fn checked_numel(&self) -> Option<usize> {
        self.dims()
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
    }

    /// Row-major strides, in elements.
    pub fn strides(&self) -> [usize; MAX_RANK] {
        let mut st = [0; MAX_RANK];
        let mut acc = 1;
        for i in (0..self.rank()).rev() {
            st[i] = acc;
            acc *= self.dims[i];
        }
        st
    }

    /// The shape with axis `axis` replaced by `len`.
    pub fn with_axis(&self, axis: usize, len: usize) -> Shape {
        let mut s = *self;
        s.dims[axis] = len;
        s
    }

    /// The shape with axis `axis` removed.
    pub fn without_axis(&self, axis: usize) -> Shape {
        let mut s = Shape::SCALAR;
        let mut r = 0;
        for (i, &d) in self.dims().iter().enumerate() {
            if i != axis {
                s.dims[r] = d;
                r += 1;
            }
        }
        s.rank = r as u8;
        s
    }

    /// Splits the shape around `axis` into `(outer, len, inner)`: the element at
    /// `(o, i, n)` sits at `(o * len + i) * inner + n`.
    pub fn split_at_axis(&self, axis: usize) -> (usize, usize, usize) {
        let d = self.dims();
        (
            d[..axis].iter().product(),
            d[axis],
            d[axis + 1..].iter().product(),
        )
    }

    /// The shape NumPy broadcasting gives `a` and `b`, or `None` if they do not broadcast:
    /// align trailing axes; each pair must be equal or contain a 1.
    pub fn broadcast(a: &Shape, b: &Shape) -> Option<Shape> {
        let rank = a.rank().max(b.rank());
        let mut s = Shape::SCALAR;
        s.rank = rank as u8;
        for i in 0..rank {
            let da = if i < rank - a.rank() {
                1
            } else {
                a.dims[i - (rank - a.rank())]
            };
            let db = if i < rank - b.rank() {
                1
            } else {
                b.dims[i - (rank - b.rank())]
            };
            s.dims[i] = match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return None,
            };
        }
        Some(s)
    }

    /// Whether `self` broadcasts to `target` (NumPy's rule, one direction).
    pub fn broadcasts_to(&self, target: &Shape) -> bool {
        self.rank() <= target.rank() && Shape::broadcast(self, target) == Some(*target)
    }

    /// Strides of `self` seen through `target`'s axes: 0 on every broadcast axis.
    pub(crate) fn broadcast_strides(&self, target: &Shape) -> [usize; MAX_RANK] {
        let own = self.strides();
        let off = target.rank() - self.rank();
        let mut st = [0; MAX_RANK];
        for i in 0..self.rank() {
            st[i + off] = if self.dims[i] == 1 { 0 } else { own[i] };
        }
        st
    }
}

/// Calls `f(out_index, in_index)` for every element of `target` in row-major order,
/// where `in_index` is the flat index of the broadcast source element (strides `src`).
pub(crate) fn for_each_broadcast(
    target: &Shape,
    src: &[usize; MAX_RANK],
    mut f: impl FnMut(usize, usize),
) {
    let rank = target.rank();
    let n = target.numel();
    if n == 0 {
        return;
    }
    if rank == 0 {
        f(0, 0);
        return;
    }
    let dims = target.dims();
    let last = rank - 1;
    let (len, step) = (dims[last], src[last]);
    let mut idx = [0usize; MAX_RANK];
    let mut base = 0usize;
    let mut out = 0usize;
    loop {
        for j in 0..len {
            f(out + j, base + j * step);
        }
        out += len;
        // Advance the multi-index over the leading axes.
        let mut ax = last;
        loop {
            if ax == 0 {
                return;
            }
            ax -= 1;
            idx[ax] += 1;
            base += src[ax];
            if idx[ax] < dims[ax] {
                break;
            }
            base -= src[ax] * dims[ax];
            idx[ax] = 0;
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.dims().iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(d: &[usize]) -> Shape {
        Shape::new(d).unwrap()
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(Shape::broadcast(&s(&[4, 1]), &s(&[3])), Some(s(&[4, 3])));
        assert_eq!(Shape::broadcast(&s(&[]), &s(&[2, 3])), Some(s(&[2, 3])));
        assert_eq!(
            Shape::broadcast(&s(&[2, 1, 5]), &s(&[7, 1])),
            Some(s(&[2, 7, 5]))
        );
        assert_eq!(Shape::broadcast(&s(&[2, 3]), &s(&[3, 2])), None);
        assert!(s(&[3]).broadcasts_to(&s(&[2, 3])));
        assert!(!s(&[2, 3]).broadcasts_to(&s(&[3])));
    }

    #[test]
    fn broadcast_walk_maps_indices() {
        let src = s(&[2, 1]);
        let target = s(&[2, 3]);
        let st = src.broadcast_strides(&target);
        let mut seen = vec![];
        for_each_broadcast(&target, &st, |o, i| seen.push((o, i)));
        assert_eq!(seen, vec![(0, 0), (1, 0), (2, 0), (3, 1), (4, 1), (5, 1)]);
    }

    #[test]
    fn rank_limit_is_an_error() {
        assert!(matches!(
            Shape::new(&[1; 7]),
            Err(e) if matches!(e.kind(), ErrorKind::RankTooHigh { max: 6, got: 7 })
        ));
    }
}
