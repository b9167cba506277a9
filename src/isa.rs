//! The instruction set the kernels use, chosen at run time.
//!
//! One binary runs on every x86-64 machine: nothing is compiled for a
//! particular `target-cpu`. The first product asks the CPU
//! (`is_x86_feature_detected!`) and takes the widest set it has:
//! [`Isa::Avx512`] (AVX-512F, with AVX2 and FMA), then [`Isa::Avx2`] (AVX2 and
//! FMA), then [`Isa::Scalar`] (portable code, the only set on other
//! architectures). The answer is cached for the life of the process.
//!
//! **The same bits on every set.** Every kernel accumulates each output
//! element in the same order with the same fused multiply-adds, so the
//! choice changes the speed and never the result: a model trained with
//! AVX-512 is bit for bit the model trained with AVX2 or portable code (for
//! the same seed and thread count).
//!
//! **Forcing a set.** The environment variable `BACKPROP_ISA`
//! (`avx512`, `avx2` or `scalar`) asks for a set, e.g. to compare them; it is
//! read once, and an empty value is the same as none. [`requested`] checks it: an unknown name, or a set this CPU
//! lacks, is an [`ErrorKind::Isa`] error, and the `backprop` binary refuses
//! to start with it. The library itself never runs a kernel the CPU lacks: if
//! the variable is bad, [`current`] ignores it and uses the detected set.
//! Within a process, [`with_isa`] forces a set for a closure (tests use it to
//! compare the sets).
//!
//! ```
//! use backprop::isa::{self, Isa};
//! let best = Isa::detected();
//! assert!(best.supported());
//! // Portable code runs everywhere, and gives the same bits.
//! let scalar = isa::with_isa(Isa::Scalar, || isa::current()).unwrap();
//! assert_eq!(scalar, Isa::Scalar);
//! ```

pub mod peak;

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::error::{ErrorKind, Result};

/// The environment variable that forces an instruction set.
pub const ENV_VAR: &str = "BACKPROP_ISA";

/// An instruction set the kernels are written for, widest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512F (512-bit vectors) with AVX2 and FMA, on x86-64.
    Avx512,
    /// AVX2 and FMA (256-bit vectors), on x86-64.
    Avx2,
    /// Portable code: runs on every CPU.
    Scalar,
}

/// What a CPU offers, as far as the choice of [`Isa`] goes (so the choice
/// can be tested with a CPU other than this one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    /// AVX-512 Foundation (with the OS saving the 512-bit registers).
    pub avx512f: bool,
    /// AVX2.
    pub avx2: bool,
    /// FMA3.
    pub fma: bool,
}

impl CpuFeatures {
    /// This CPU's features (all `false` off x86-64).
    pub fn detect() -> CpuFeatures {
        #[cfg(target_arch = "x86_64")]
        {
            CpuFeatures {
                avx512f: std::is_x86_feature_detected!("avx512f"),
                avx2: std::is_x86_feature_detected!("avx2"),
                fma: std::is_x86_feature_detected!("fma"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        CpuFeatures::default()
    }

    /// Whether a CPU with these features can run `isa`.
    pub fn supports(self, isa: Isa) -> bool {
        let x86 = cfg!(target_arch = "x86_64");
        match isa {
            Isa::Avx512 => x86 && self.avx512f && self.avx2 && self.fma,
            Isa::Avx2 => x86 && self.avx2 && self.fma,
            Isa::Scalar => true,
        }
    }

    /// The widest set these features run.
    pub fn best(self) -> Isa {
        Isa::ALL
            .into_iter()
            .find(|&isa| self.supports(isa))
            .unwrap_or(Isa::Scalar)
    }

    /// The sets these features run, widest first.
    pub fn available(self) -> Vec<Isa> {
        Isa::ALL
            .into_iter()
            .filter(|&isa| self.supports(isa))
            .collect()
    }

    /// The set `value` (a `BACKPROP_ISA` value) names, if a CPU with these
    /// features runs it; `None` is the widest set.
    ///
    /// # Errors
    /// [`ErrorKind::Isa`] if `value` names no set, or one these features lack.
    ///
    /// ```
    /// use backprop::isa::{CpuFeatures, Isa};
    /// let avx2_only = CpuFeatures { avx512f: false, avx2: true, fma: true };
    /// assert!(avx2_only.choose(Some("avx512")).is_err());
    /// assert!(avx2_only.choose(Some("bogus")).is_err());
    /// assert_eq!(avx2_only.choose(Some("scalar")).unwrap(), Isa::Scalar);
    /// ```
    pub fn choose(self, value: Option<&str>) -> Result<Isa> {
        let Some(value) = value else {
            return Ok(self.best());
        };
        let names = || {
            Isa::ALL
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let has = || {
            self.available()
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match Isa::from_name(value) {
            None => Err(ErrorKind::Isa {
                value: value.to_string(),
                why: format!("not an instruction set; expected one of {}", names()),
            }
            .into()),
            Some(isa) if !self.supports(isa) => Err(ErrorKind::Isa {
                value: value.to_string(),
                why: format!(
                    "this CPU lacks {}; it runs {} ({})",
                    isa.needs(),
                    has(),
                    std::env::consts::ARCH
                ),
            }
            .into()),
            Some(isa) => Ok(isa),
        }
    }
}

impl Isa {
    /// Every set, widest first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2, Isa::Scalar];

    /// The set's `BACKPROP_ISA` name: `avx512`, `avx2` or `scalar`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Scalar => "scalar",
        }
    }

    /// The set a `BACKPROP_ISA` name stands for (case and surrounding
    /// blanks ignored).
    pub fn from_name(name: &str) -> Option<Isa> {
        let name = name.trim().to_ascii_lowercase();
        Isa::ALL.into_iter().find(|i| i.name() == name)
    }

    /// The CPU features the set needs, for messages.
    fn needs(self) -> &'static str {
        match self {
            Isa::Avx512 => "AVX-512F",
            Isa::Avx2 => "AVX2 and FMA",
            Isa::Scalar => "nothing",
        }
    }

    /// The vector width in bits (64 for the scalar set: one `f64`).
    pub fn bits(self) -> usize {
        match self {
            Isa::Avx512 => 512,
            Isa::Avx2 => 256,
            Isa::Scalar => 64,
        }
    }

    /// Whether this CPU runs the set (cached after the first call).
    pub fn supported(self) -> bool {
        features().supports(self)
    }

    /// The widest set this CPU runs (cached after the first call).
    pub fn detected() -> Isa {
        features().best()
    }

    /// The sets this CPU runs, widest first.
    pub fn available() -> Vec<Isa> {
        features().available()
    }

    /// The set as stored in [`OVERRIDE`] (0 is "none").
    fn code(self) -> u8 {
        match self {
            Isa::Avx512 => 1,
            Isa::Avx2 => 2,
            Isa::Scalar => 3,
        }
    }

    /// The inverse of [`Isa::code`].
    fn from_code(code: u8) -> Option<Isa> {
        Isa::ALL.into_iter().find(|i| i.code() == code)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// This CPU's features, detected once.
fn features() -> CpuFeatures {
    static FEATURES: OnceLock<CpuFeatures> = OnceLock::new();
    *FEATURES.get_or_init(CpuFeatures::detect)
}

/// `BACKPROP_ISA` checked against this CPU, read once.
fn env_choice() -> &'static Result<Isa> {
    static CHOICE: OnceLock<Result<Isa>> = OnceLock::new();
    CHOICE.get_or_init(|| {
        // Unset and empty are the same: no choice made.
        let value = std::env::var_os(ENV_VAR)
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.trim().is_empty());
        features().choose(value.as_deref())
    })
}

/// The set `BACKPROP_ISA` asks for (the widest this CPU runs when it is
/// unset), checked: the binary calls this at start-up.
///
/// # Errors
/// [`ErrorKind::Isa`] if the variable names no set or one this CPU lacks.
pub fn requested() -> Result<Isa> {
    env_choice().clone()
}

/// A set forced by [`with_isa`] (0: none), process-wide: the products of a
/// training run happen on the pool's threads, not the caller's.
static OVERRIDE: AtomicU8 = AtomicU8::new(0);

/// Serialises [`with_isa`] calls, so two of them never interleave.
static FORCING: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread holds [`FORCING`] (a nested [`with_isa`]).
    static HOLDS: Cell<bool> = const { Cell::new(false) };
}

/// The set the kernels use now: one forced by [`with_isa`], else
/// `BACKPROP_ISA` if it is valid here, else the widest this CPU runs. Never
/// a set this CPU lacks (a bad `BACKPROP_ISA` is ignored here; see
/// [`requested`]).
pub fn current() -> Isa {
    if let Some(isa) = Isa::from_code(OVERRIDE.load(Ordering::Relaxed)) {
        return isa;
    }
    match env_choice() {
        Ok(isa) => *isa,
        Err(_) => Isa::detected(),
    }
}

/// Runs `f` with every kernel in this process using `isa` (products on
/// other threads too, e.g. a training run's on the rayon pool), then goes
/// back to the previous choice, also if `f` panics. Calls are serialised:
/// a `with_isa` on another thread waits for this one to return (one nested
/// in `f` on this thread does not).
///
/// # Errors
/// [`ErrorKind::Isa`] if this CPU lacks `isa` (then `f` is not run).
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> Result<R> {
    if !isa.supported() {
        return Err(features().choose(Some(isa.name())).unwrap_err());
    }
    /// Restores the previous choice (and, outermost, this thread's claim
    /// on the lock), also on a panic.
    struct Restore(u8, bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.store(self.0, Ordering::Relaxed);
            if self.1 {
                HOLDS.with(|h| h.set(false));
            }
        }
    }
    let outermost = !HOLDS.with(|h| h.get());
    // A panic inside an earlier `f` poisons the lock; the choice was restored.
    let _lock = outermost.then(|| FORCING.lock().unwrap_or_else(|e| e.into_inner()));
    HOLDS.with(|h| h.set(true));
    let _restore = Restore(OVERRIDE.swap(isa.code(), Ordering::Relaxed), outermost);
    Ok(f())
}

/// Slices shorter than this run the portable loop inline, without a
/// dispatch: their vectors would be mostly tails (the notebook's step has
/// eight elements), and the bits are the same either way.
pub(crate) const VECTOR_MIN: usize = 32;

/// Defines `fn name<T: Float>(args) -> R` that runs one loop `body`,
/// compiled three times: under `#[target_feature(enable =
/// "avx512f,avx2,fma")]`, under `"avx2,fma"` and plain, and picks the
/// variant for [`current`] (the plain one when `len` < [`VECTOR_MIN`]).
///
/// This is how element-wise kernels use the widest vectors the CPU has while
/// staying written once as scalar rows: the compiler vectorises the same
/// source for each set. Rust never fuses `a·b + c` into an FMA, and `+ − × ÷`,
/// `sqrt`, `min`/`max` and conversions round the same in every width, so the
/// three variants give the same bits (`tests/isa.rs` checks it).
macro_rules! per_isa {
    ($(#[$attr:meta])* $vis:vis fn $name:ident<T: Float>($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
        [len = $len:expr] $body:block) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name<T: $crate::float::Float>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body<T: $crate::float::Float>($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            fn avx512<T: $crate::float::Float>($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            fn avx2<T: $crate::float::Float>($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            if $len < $crate::isa::VECTOR_MIN {
                return body($($arg),*);
            }
            match $crate::isa::current() {
                // SAFETY: `current` never returns a set this CPU lacks, and
                // AVX-512F is only chosen with AVX2 and FMA.
                #[cfg(target_arch = "x86_64")]
                $crate::isa::Isa::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: as above: this CPU has AVX2 and FMA.
                #[cfg(target_arch = "x86_64")]
                $crate::isa::Isa::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}
pub(crate) use per_isa;

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: CpuFeatures = CpuFeatures {
        avx512f: false,
        avx2: false,
        fma: false,
    };
    const AVX2: CpuFeatures = CpuFeatures {
        avx512f: false,
        avx2: true,
        fma: true,
    };
    const AVX512: CpuFeatures = CpuFeatures {
        avx512f: true,
        avx2: true,
        fma: true,
    };

    #[test]
    fn the_widest_set_the_features_allow() {
        let x86 = cfg!(target_arch = "x86_64");
        assert_eq!(NONE.best(), Isa::Scalar);
        assert_eq!(AVX2.best(), if x86 { Isa::Avx2 } else { Isa::Scalar });
        assert_eq!(AVX512.best(), if x86 { Isa::Avx512 } else { Isa::Scalar });
        // AVX2 without FMA is not enough for the 256-bit kernels.
        let no_fma = CpuFeatures { fma: false, ..AVX2 };
        assert_eq!(no_fma.best(), Isa::Scalar);
        assert_eq!(NONE.choose(None).unwrap(), Isa::Scalar);
    }

    #[test]
    fn forcing_a_set_the_cpu_lacks_or_no_set_is_an_error() {
        let err = AVX2.choose(Some("avx512")).unwrap_err().to_string();
        assert!(err.contains("BACKPROP_ISA=avx512"), "{err}");
        assert!(err.contains("lacks AVX-512F"), "{err}");
        assert!(!err.contains('\n'));
        let err = NONE.choose(Some("avx2")).unwrap_err().to_string();
        assert!(err.contains("runs scalar"), "{err}");
        let err = AVX512.choose(Some("sse9")).unwrap_err().to_string();
        assert!(err.contains("avx512, avx2, scalar"), "{err}");
        assert_eq!(AVX512.choose(Some(" Scalar ")).unwrap(), Isa::Scalar);
        if cfg!(target_arch = "x86_64") {
            assert_eq!(AVX512.choose(Some("avx2")).unwrap(), Isa::Avx2);
            assert_eq!(AVX512.choose(Some("avx512")).unwrap(), Isa::Avx512);
        }
    }

    #[test]
    fn names_round_trip() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
            assert_eq!(Isa::from_code(isa.code()), Some(isa));
        }
        assert_eq!(Isa::from_code(0), None);
    }

    #[test]
    fn with_isa_forces_and_restores() {
        let inner = with_isa(Isa::Scalar, || {
            let nested = with_isa(Isa::Scalar, current).unwrap();
            (nested, current())
        });
        assert_eq!(inner.unwrap(), (Isa::Scalar, Isa::Scalar));
        for isa in Isa::ALL {
            match with_isa(isa, current) {
                Ok(got) => assert_eq!(got, isa),
                Err(_) => assert!(!isa.supported()),
            }
        }
    }
}
