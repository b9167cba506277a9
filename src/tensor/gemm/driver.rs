//! The GEMM driver: the direct loop for tiny products, and the packed,
//! blocked product split into many rayon tasks for work stealing.
//!
//! Every element of C is accumulated in the same order whatever the path
//! below the size thresholds, the thread count or the task split: depth in
//! blocks of `kc` (fixed by `k` alone), each block a fused multiply-add chain
//! in order from zero, folded into C as `fma(c, β, α·acc)` (β = 1 after the
//! first block). The direct loop does the same with a single block, which is
//! also what the packed path does when `k ≤ KC`.
//!
//! The instruction set ([`crate::isa::current`]) picks the micro-kernel and
//! with it the tile shape (`MR×NR`), the row blocking and whether A is
//! packed, but not the depth blocking, which depends on `k` and
//! [`Element::KC`] alone: so the order above, and the bits, are the same on
//! every instruction set.

use super::buffer::{Scratch, A_BUF, B_BUF};
use super::element::{Element, Isa, Micro, TILE_MAX};
use super::pack::{pack_a, pack_b, Strided};

/// Products with fewer multiply-adds than this use the direct loop.
pub(super) const DIRECT_MAX_MADDS: usize = 4096;
/// Products with fewer multiply-adds than this stay on the calling thread.
/// Measured (`gemm_vs -- threshold`, idle, 2 threads against 1): even at
/// 262K (128×16×128), 15% faster at 524K (128×32×128), 25% at 1M.
pub(super) const PARALLEL_MIN_MADDS: usize = 1 << 19;
/// Smallest task worth a rayon job, in multiply-adds.
const MIN_TASK_MADDS: usize = 1 << 17;
/// The packed-B buffer a thread keeps holds at least this many bytes' worth
/// of whole column panels at the full depth block (1024 f32 or 512 f64
/// columns).
const B_MIN_BYTES: usize = 1 << 20;
/// Tasks per thread aimed at, so a descheduled thread's unstarted share can
/// be stolen. Measured on 2 cores (`gemm_vs -- loop`, MLP shapes): 2 beat 4
/// both idle (1.18 against 1.25 ms a pass) and beside busy processes, and 16
/// was slower still, so more, smaller tasks did not pay here.
const TASKS_PER_THREAD: usize = 2;

/// A mutable pointer handed to tasks that write disjoint parts of its target.
#[derive(Clone, Copy)]
struct SharedMut<E>(*mut E);

// SAFETY: tasks write disjoint regions only (distinct C tiles, distinct B
// panels), and the writes finish before the owning call returns.
unsafe impl<E: Send> Send for SharedMut<E> {}
// SAFETY: as above.
unsafe impl<E: Send> Sync for SharedMut<E> {}

impl<E> SharedMut<E> {
    /// The pointer (a method, so closures capture the `Sync` wrapper whole).
    fn get(&self) -> *mut E {
        self.0
    }
}

/// The product to compute: `C ← α·A·B + β·C`, A `m×k`, B `k×n`, C row-major `m×n`.
#[derive(Clone, Copy)]
pub(super) struct Problem<E> {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Depth.
    pub k: usize,
    /// Scale of the product.
    pub alpha: E,
    /// Scale of the old C.
    pub beta: E,
    /// Left operand.
    pub a: Strided<E>,
    /// Right operand.
    pub b: Strided<E>,
}

/// Runs the product (`m, n, k ≥ 1`).
///
/// # Safety
/// A and B are valid for their strided reads; `c` is valid for `m·n` reads
/// and writes and aliases neither.
pub(super) unsafe fn run<E: Element>(pr: Problem<E>, c: *mut E) {
    // SAFETY: forwarded from the caller; `current` is a set this CPU runs.
    unsafe { run_isa(crate::isa::current(), pr, c) }
}

/// [`run`] with a given instruction set (tests force the scalar one).
///
/// # Safety
/// As [`run`], and this CPU supports `isa`.
pub(super) unsafe fn run_isa<E: Element>(isa: Isa, pr: Problem<E>, c: *mut E) {
    let madds = pr.m * pr.n * pr.k;
    if madds < DIRECT_MAX_MADDS {
        // SAFETY: forwarded from the caller.
        unsafe { direct(isa, pr, c) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { blocked(E::micro(isa), pr, c) }
    }
}

/// The direct loop, with FMA instructions inlined when the CPU has them.
///
/// # Safety
/// As [`run`].
unsafe fn direct<E: Element>(isa: Isa, pr: Problem<E>, c: *mut E) {
    match isa {
        // SAFETY: both sets include AVX2 and FMA, which the CPU has; the rest
        // is forwarded. (512-bit vectors would not help these few columns.)
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 | Isa::Avx2 => unsafe { direct_fma(pr, c) },
        // SAFETY: forwarded from the caller.
        _ => unsafe { direct_body(pr, c) },
    }
}

/// [`direct_body`] compiled with FMA.
///
/// # Safety
/// As [`run`], and the CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn direct_fma<E: Element>(pr: Problem<E>, c: *mut E) {
    // SAFETY: forwarded from the caller.
    unsafe { direct_body(pr, c) }
}

/// Columns accumulated side by side in the direct loop (independent chains).
const DIRECT_COLS: usize = 8;

/// The direct loop: no packing, no threads, each element one in-order FMA
/// chain, a few columns at a time so the chains overlap.
///
/// # Safety
/// As [`run`].
#[inline(always)]
unsafe fn direct_body<E: Element>(pr: Problem<E>, c: *mut E) {
    let Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a,
        b,
    } = pr;
    for i in 0..m {
        let mut j0 = 0;
        while j0 < n {
            let w = DIRECT_COLS.min(n - j0);
            let mut acc = [E::ZERO; DIRECT_COLS];
            for p in 0..k {
                // SAFETY: i < m, p < k.
                let aip = unsafe { a.at(i, p) };
                for (j, s) in acc.iter_mut().enumerate().take(w) {
                    // SAFETY: p < k, j0 + j < n.
                    *s = aip.fma(unsafe { b.at(p, j0 + j) }, *s);
                }
            }
            for (j, s) in acc.iter().enumerate().take(w) {
                let t = alpha * *s;
                // SAFETY: (i, j0 + j) is inside C.
                unsafe {
                    let cij = c.add(i * n + j0 + j);
                    *cij = if beta == E::ZERO {
                        t
                    } else {
                        (*cij).fma(beta, t)
                    };
                }
            }
            j0 += w;
        }
    }
}

/// Depth blocking fixed by `k` alone: `(blocks, kc)` with `kc ≤ KC` and the
/// blocks as even as possible (the last may be shorter).
fn depth_blocks<E: Element>(k: usize) -> (usize, usize) {
    let blocks = k.div_ceil(E::KC);
    (blocks, k.div_ceil(blocks))
}

/// Splits `m_panels × n_panels` micro-panels into `(row blocks, column
/// blocks)` of tasks: about `TASKS_PER_THREAD` per thread, none smaller than
/// `MIN_TASK_MADDS`, as square (in elements) as the count allows, since a
/// task reads rows + columns of operands for rows × columns of work.
fn task_grid(
    (mr, nr): (usize, usize),
    m: usize,
    n: usize,
    k: usize,
    threads: usize,
) -> (usize, usize) {
    let madds = m * n * k;
    if threads <= 1 || madds < PARALLEL_MIN_MADDS {
        return (1, 1);
    }
    let (m_panels, n_panels) = (m.div_ceil(mr), n.div_ceil(nr));
    let want = (threads * TASKS_PER_THREAD)
        .min(madds / MIN_TASK_MADDS)
        .max(threads);
    // Columns alone when there are enough: A is read in place, so column
    // tasks share it for free, while every row block would pack the same B
    // panels again (128×256×128: 150 → 167 GFLOP/s; the larger MLP shapes
    // and 1024² unchanged).
    if n_panels >= want {
        return (1, want);
    }
    let mut best = (1, 1, f64::INFINITY);
    for rb in 1..=m_panels.min(want) {
        let cb = want.div_ceil(rb).min(n_panels);
        let (rows, cols) = ((m as f64 / rb as f64), (n as f64 / cb as f64));
        // Operand traffic per unit of work, with a mild penalty for missing
        // the task count (fewer tasks steal worse).
        let cost = (rows + cols) / (rows * cols)
            * (1.0 + want.saturating_sub(rb * cb) as f64 / want as f64);
        if cost < best.2 {
            best = (rb, cb, cost);
        }
    }
    (best.0, best.1)
}

/// The `index`-th of `parts` even ranges of `0..len`.
fn part(len: usize, parts: usize, index: usize) -> (usize, usize) {
    (index * len / parts, (index + 1) * len / parts)
}

/// Runs `f(0..tasks)`, in parallel through recursive `rayon::join` (on the
/// current pool) when `parallel`, so idle threads steal what remains.
fn for_tasks<F: Fn(usize) + Sync>(parallel: bool, lo: usize, hi: usize, f: &F) {
    if !parallel {
        (lo..hi).for_each(f);
    } else if hi - lo == 1 {
        f(lo);
    } else {
        let mid = lo + (hi - lo) / 2;
        rayon::join(
            || for_tasks(true, lo, mid, f),
            || for_tasks(true, mid, hi, f),
        );
    }
}

/// The packed product as row-block × column-block tasks; each task packs the
/// B panels of its columns, depth block by depth block, into its thread's
/// buffer, so tasks share nothing but the read-only operands and no task
/// waits for another's packing.
///
/// # Safety
/// As [`run`]; `micro`'s kernel runs on this CPU.
unsafe fn blocked<E: Element>(micro: Micro<E>, pr: Problem<E>, c: *mut E) {
    let (m, n, k) = (pr.m, pr.n, pr.k);
    let (mr, nr) = (micro.mr, micro.nr);
    let (_, kc) = depth_blocks::<E>(k);
    let m_panels = m.div_ceil(mr);
    let n_panels = n.div_ceil(nr);
    let threads = if super::parallel_allowed() {
        rayon::current_num_threads()
    } else {
        1
    };
    let (rb, cb) = task_grid((mr, nr), m, n, k, threads);
    let parallel = rb * cb > 1;
    let cp = SharedMut(c);
    let task = |t: usize| {
        let (r0, r1) = part(m_panels, rb, t / cb);
        let (j0, j1) = part(n_panels, cb, t % cb);
        let rows = (r0 * mr, (r1 * mr).min(m));
        // SAFETY: this task owns rows × column panels of C, disjoint from
        // every other task's; the operands are only read.
        unsafe { compute_block(&micro, &pr, kc, rows, (j0, j1), cp.get()) };
    };
    if parallel && rayon::current_thread_index().is_none() {
        // Called from outside the pool: enter it once, as one job.
        rayon::join(|| for_tasks(true, 0, rb * cb, &task), || ());
    } else {
        for_tasks(parallel, 0, rb * cb, &task);
    }
}

/// One task: rows `rows.0..rows.1` of C over column panels `jps.0..jps.1`.
/// Depth block by depth block, it packs those B panels (they stay in L2),
/// then runs `MC` rows at a time over them. Full `MR`-row panels of A are
/// read in place through their strides, unless the kernel wants them packed;
/// a partial last one is always packed, zero-padded. Each C element still
/// receives the depth blocks in order.
///
/// # Safety
/// The rows and panels are inside C and owned by this task; the kernel runs
/// on this CPU.
unsafe fn compute_block<E: Element>(
    micro: &Micro<E>,
    pr: &Problem<E>,
    kc: usize,
    rows: (usize, usize),
    jps: (usize, usize),
    c: *mut E,
) {
    let (m, n, k) = (pr.m, pr.n, pr.k);
    let (mr, nr, kernel) = (micro.mr, micro.nr, micro.kernel);
    let avx = matches!(micro.isa, Isa::Avx512 | Isa::Avx2);
    let a = pr.a;
    let size = core::mem::size_of::<E>();
    // Sized for the deepest block and at least B_MIN_BYTES, so the buffer a
    // thread keeps fits every task of every product up to that width
    // (whichever tasks work stealing hands it): a steady state allocates
    // nothing even when threads trade tasks of different shapes.
    let panels = (jps.1 - jps.0).max(B_MIN_BYTES / (E::KC * nr * size));
    let mut bbuf = Scratch::take(&B_BUF, kc.max(E::KC) * panels * nr * size);
    let bp = bbuf.as_mut_ptr::<E>();
    // Packed A: a whole MC block for kernels that read A packed, else at
    // most one partial panel.
    let a_rows = if micro.packed_a { micro.mc } else { mr };
    let mut abuf = None;
    let mut p0 = 0;
    while p0 < k {
        let kq = kc.min(k - p0);
        let beta = if p0 == 0 { pr.beta } else { E::ONE };
        // SAFETY: rows p0..p0+kq lie inside B; the buffer holds
        // kc·(jps.1 − jps.0)·NR elements; nr ≤ NR_MAX (the kernels' widths);
        // the AVX2 and AVX-512 sets include AVX, and the CPU runs `isa`.
        unsafe { pack_b(pr.b, avx, nr, n, p0, kq, jps.0, jps.1, bp) };
        let mut ic = rows.0;
        while ic < rows.1 {
            let mc = micro.mc.min(rows.1 - ic);
            let panels = mc.div_ceil(mr);
            let last_live = mc - (panels - 1) * mr;
            // Panels from `first_packed` on are read packed.
            let first_packed = if micro.packed_a {
                0
            } else if last_live < mr {
                panels - 1
            } else {
                panels
            };
            let packed = if first_packed < panels {
                let buf = abuf.get_or_insert_with(|| Scratch::take(&A_BUF, a_rows * E::KC * size));
                let ptr = buf.as_mut_ptr::<E>();
                // SAFETY: the rows are inside A (mc rows from ic); the buffer
                // holds a_rows·KC elements, at least the ceil(rows/mr)·mr·kq
                // packed (mc ≤ MC, a multiple of mr; one panel otherwise).
                unsafe {
                    pack_a(
                        a,
                        mr,
                        ic + first_packed * mr,
                        mc - first_packed * mr,
                        p0,
                        kq,
                        ptr,
                    )
                };
                ptr
            } else {
                core::ptr::null_mut()
            };
            for jp in jps.0..jps.1 {
                // SAFETY: panel jp of this depth block in the task's packed B.
                let b_panel = unsafe { bp.add((jp - jps.0) * kq * nr) };
                let live_n = nr.min(n - jp * nr);
                for ir in 0..panels {
                    let i0 = ic + ir * mr;
                    let live_m = mr.min(m - i0);
                    let (ap, rsa, csa) = if ir < first_packed {
                        (a.ptr.wrapping_add(i0 * a.rs + p0 * a.cs), a.rs, a.cs)
                    } else {
                        (
                            packed
                                .wrapping_add((ir - first_packed) * kq * mr)
                                .cast_const(),
                            1,
                            mr,
                        )
                    };
                    // SAFETY: (i0, jp·NR) is inside C.
                    let ct = unsafe { c.add(i0 * n + jp * nr) };
                    if live_m == mr && live_n == nr {
                        // SAFETY: a full tile inside C; the A rows i0..i0+MR
                        // and depth p0..p0+kq are inside A (or their packed
                        // copy); B̃ holds kq steps.
                        unsafe { kernel(kq, ap, rsa, csa, b_panel, ct, n, pr.alpha, beta) };
                    } else {
                        // SAFETY: as above, the edge tile through a full-size
                        // temporary, copying only the live part.
                        unsafe {
                            edge_tile(
                                micro,
                                kq,
                                (ap, rsa, csa),
                                b_panel,
                                ct,
                                n,
                                (live_m, live_n),
                                pr.alpha,
                                beta,
                            )
                        };
                    }
                }
            }
            ic += mc;
        }
        p0 += kq;
    }
    drop(abuf);
    drop(bbuf);
}

/// A partial tile (`live_m × live_n` of `MR×NR`) through a temporary, with
/// the same kernel and so the same arithmetic as a full tile.
///
/// # Safety
/// As the kernel's, with `c` valid for the live part only.
#[allow(clippy::too_many_arguments)]
unsafe fn edge_tile<E: Element>(
    micro: &Micro<E>,
    kq: usize,
    a: (*const E, usize, usize),
    b: *const E,
    c: *mut E,
    rsc: usize,
    (live_m, live_n): (usize, usize),
    alpha: E,
    beta: E,
) {
    let nr = micro.nr;
    debug_assert!(micro.mr * nr <= TILE_MAX);
    let mut tmp = [E::ZERO; TILE_MAX];
    for i in 0..live_m {
        for j in 0..live_n {
            // SAFETY: (i, j) is in the live part.
            tmp[i * nr + j] = unsafe { *c.add(i * rsc + j) };
        }
    }
    // SAFETY: tmp holds an MR×NR tile at stride NR; the panels are the caller's.
    unsafe { (micro.kernel)(kq, a.0, a.1, a.2, b, tmp.as_mut_ptr(), nr, alpha, beta) };
    for i in 0..live_m {
        for j in 0..live_n {
            // SAFETY: (i, j) is in the live part.
            unsafe { *c.add(i * rsc + j) = tmp[i * nr + j] };
        }
    }
}
