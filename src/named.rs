//! Enums with a name: one table gives each variant its name (the spelling on
//! the command line, in model files, checkpoints and the playground's
//! requests) and its aliases.
//!
//! [`named_enum!`] writes the enum from that table, with
//! - `name()`, [`Display`](std::fmt::Display) (the name) and
//!   [`FromStr`](std::str::FromStr) (the name or an alias; otherwise the error
//!   `unknown <what> "x": expected a, b or c`), which the library uses
//!   without clap (model metadata, the playground's configuration);
//! - `ALL`, every variant in table order;
//! - with the `cli` feature, `#[derive(clap::ValueEnum)]` whose
//!   `#[value(name = …, alias = …)]` come from the same table, so that the
//!   command line accepts exactly what `FromStr` accepts and lists the names
//!   (the variants' doc comments are their help in `--help`).

/// Defines a fieldless enum whose variants have names (see the [module
/// docs](self)):
///
/// ```ignore
/// named_enum! {
///     /// A hidden-layer activation.
///     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
///     pub enum Activation("activation") {
///         /// `max(x, 0)`.
///         Relu = "relu",
///         /// `x` or `0.01·x`.
///         LeakyRelu = "leaky-relu" | "leaky_relu",
///     }
/// }
/// ```
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident($what:literal) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $vname:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[cfg_attr(feature = "cli", value(name = $vname $(, alias = $alias)*))]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in the order of the table.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used on the command line and in model files.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $vname,)+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            /// The variant named `s` or one of its aliases; otherwise an error
            /// listing the names.
            fn from_str(s: &str) -> ::std::result::Result<Self, String> {
                match s {
                    $($vname $(| $alias)* => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} {s:?}: expected {}",
                        $what,
                        $crate::named::one_of(&[$($vname),+])
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

pub(crate) use named_enum;

/// `a`, `a or b`, `a, b or c`: the names an error expects.
pub(crate) fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::nn::{Activation, Init, Loss};
    use crate::optim::OptimKind;

    #[test]
    fn names_and_their_errors_read_as_before() {
        assert_eq!(
            "x".parse::<Activation>().unwrap_err(),
            "unknown activation \"x\": expected sigmoid, tanh, relu, leaky-relu or gelu"
        );
        assert_eq!(
            "x".parse::<Loss>().unwrap_err(),
            "unknown loss \"x\": expected mse, bce or cross-entropy"
        );
        assert_eq!(
            "x".parse::<OptimKind>().unwrap_err(),
            "unknown optimizer \"x\": expected sgd, momentum, adam or adamw"
        );
        assert_eq!(
            "x".parse::<Init>().unwrap_err(),
            "unknown init \"x\": expected torch, xavier, he or uniform01"
        );
        assert_eq!("leaky_relu".parse(), Ok(Activation::LeakyRelu));
        for alias in ["cross_entropy", "ce"] {
            assert_eq!(alias.parse(), Ok(Loss::CrossEntropy));
        }
        assert_eq!("kaiming".parse(), Ok(Init::He));
        assert_eq!(Loss::CrossEntropy.to_string(), "cross-entropy");
        assert_eq!(OptimKind::AdamW.name(), "adamw");
        // Checkpoints store the kind by serde, which must spell it the same.
        for &k in OptimKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
    }

    /// Every name and alias parses back to its variant, by `FromStr` and (with
    /// the `cli` feature) by clap's `ValueEnum`, which lists the same names.
    #[test]
    fn from_str_and_clap_accept_the_same_names() {
        fn check<E>(all: &[E], aliases: &[&str])
        where
            E: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr,
        {
            for &v in all {
                assert_eq!(v.to_string().parse::<E>().ok(), Some(v));
            }
            for a in aliases {
                assert!(a.parse::<E>().is_ok(), "{a}");
            }
        }
        check(Activation::ALL, &["leaky_relu"]);
        check(Loss::ALL, &["cross_entropy", "ce"]);
        check(OptimKind::ALL, &[]);
        check(Init::ALL, &["kaiming"]);
        #[cfg(feature = "cli")]
        {
            use clap::ValueEnum;
            fn clap_names<E: ValueEnum + std::fmt::Display + PartialEq + std::fmt::Debug>(
                all: &[E],
                aliases: &[&str],
            ) {
                let names: Vec<String> = E::value_variants()
                    .iter()
                    .map(|v| v.to_possible_value().unwrap().get_name().to_string())
                    .collect();
                let ours: Vec<String> = all.iter().map(|v| v.to_string()).collect();
                assert_eq!(names, ours);
                for v in all {
                    assert_eq!(E::from_str(&v.to_string(), false).as_ref(), Ok(v));
                }
                for a in aliases {
                    assert!(E::from_str(a, false).is_ok(), "{a}");
                }
            }
            clap_names(Activation::ALL, &["leaky_relu"]);
            clap_names(Loss::ALL, &["cross_entropy", "ce"]);
            clap_names(OptimKind::ALL, &[]);
            clap_names(Init::ALL, &["kaiming"]);
        }
    }
}
