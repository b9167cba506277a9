//! Tests of the data layer: the real files, every error message, splits,
//! standardisation, epoch orders, batches and the generated sets.

use std::io::Write;
use std::path::PathBuf;

use super::*;

const MNIST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/mnist-10k-images-idx3-ubyte.gz"
);
const MNIST_LABELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/mnist-10k-labels-idx1-ubyte.gz"
);
const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz");
const IRIS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/iris.csv");

/// A fresh temporary directory for one test, removed when dropped.
struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tmp_dir(test: &str) -> TmpDir {
    let dir = std::env::temp_dir().join(format!("backprop-data-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TmpDir(dir)
}

/// Writes `bytes` to `dir/name` and returns the path as a string.
fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// Gzips `bytes`.
fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn class_opts() -> LoadOptions {
    LoadOptions::default()
}

fn values_opts(k: usize) -> LoadOptions {
    LoadOptions {
        target: TargetKind::Values { k },
        ..LoadOptions::default()
    }
}

/// The error message of loading `spec`.
fn err(spec: &str, opts: &LoadOptions) -> String {
    Dataset::load(spec, opts).unwrap_err().to_string()
}

/// Asserts that `msg` names `file:line` and contains `what`.
fn assert_names(msg: &str, file: &str, line: Option<usize>, what: &str) {
    let at = match line {
        Some(l) => format!("{file}:{l}: "),
        None => format!("{file}: "),
    };
    assert!(msg.starts_with(&at), "{msg:?} should start with {at:?}");
    assert!(msg.contains(what), "{msg:?} should contain {what:?}");
    assert!(!msg.contains('\n'), "{msg:?} should be one line");
}

fn counts(ds: &Dataset) -> Vec<usize> {
    let mut c = vec![0; ds.classes().unwrap().len()];
    let mut labels = Vec::new();
    ds.gather_labels(&(0..ds.n).collect::<Vec<_>>(), &mut labels);
    labels.iter().for_each(|&l| c[l] += 1);
    c
}

#[test]
fn data_mnist_10k() {
    let ds = Dataset::load(MNIST, &class_opts()).unwrap();
    assert_eq!((ds.n, ds.dim()), (10000, 784));
    assert!(matches!(ds.features, Features::Bytes { .. }));
    let names: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(ds.classes().unwrap(), &names[..]);
    assert_eq!(
        counts(&ds),
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert_eq!(ds.feature_range(300), (0.0, 1.0));
    let mut x = vec![0f32; 2 * 784];
    ds.gather_features(&[0, 9999], None, &mut x);
    assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(x.iter().any(|&v| v > 0.5));
}

#[test]
fn data_mnist_with_class_names_and_regression_refused() {
    let names: Vec<String> = (0..10).rev().map(|i| i.to_string()).collect();
    let opts = LoadOptions {
        class_names: Some(names),
        ..class_opts()
    };
    let ds = Dataset::load(MNIST, &opts).unwrap();
    // The names are reversed, so class i is now index 9 − i.
    assert_eq!(
        counts(&ds),
        [978, 944, 1070, 1014, 863, 980, 1032, 991, 1127, 1001]
    );
    let msg = err(MNIST, &values_opts(1));
    assert_names(&msg, MNIST, None, "classification");
}

#[test]
fn data_digits_gz_csv() {
    let ds = Dataset::load(DIGITS, &class_opts()).unwrap();
    assert_eq!((ds.n, ds.dim()), (1797, 64));
    assert_eq!(ds.classes().unwrap().len(), 10);
    assert_eq!(ds.feature_range(0), (0.0, 0.0));
    assert_eq!(ds.feature_range(10), (0.0, 16.0));
}

#[test]
fn data_iris_header_and_names() {
    let ds = Dataset::load(IRIS, &class_opts()).unwrap();
    assert_eq!((ds.n, ds.dim()), (150, 4));
    assert_eq!(ds.classes().unwrap(), ["setosa", "versicolor", "virginica"]);
    assert_eq!(counts(&ds), [50, 50, 50]);
    let (train, test) = ds.split_tail(0.2);
    let test = test.unwrap();
    assert_eq!((train.n, test.n), (120, 30));
    assert!(counts(&test).iter().all(|&c| c > 0), "{:?}", counts(&test));
    // First row of the file: 6.5,3.0,5.2,2.0,virginica
    let mut x = [0f64; 4];
    train.gather_features(&[0], None, &mut x);
    assert_eq!(x, [6.5, 3.0, 5.2, 2.0]);
}

#[test]
fn data_iris_as_test_set_with_training_names() {
    let names = vec!["setosa".to_string(), "virginica".to_string()];
    let opts = LoadOptions {
        class_names: Some(names),
        ..class_opts()
    };
    let msg = err(IRIS, &opts);
    assert_names(
        &msg,
        IRIS,
        Some(8),
        "class \"versicolor\" is not one of the training classes",
    );
}

#[test]
fn data_header_detection() {
    let dir = tmp_dir("header");
    let with = write(&dir, "with.csv", b"a,b,label\n1,2,0\n3,4,1\n");
    assert_eq!(Dataset::load(&with, &class_opts()).unwrap().n, 2);
    let without = write(&dir, "without.csv", b"1,2,0\n3,4,1\n5,6,2\n");
    let ds = Dataset::load(&without, &class_opts()).unwrap();
    assert_eq!((ds.n, ds.classes().unwrap().len()), (3, 3));
    // String labels and no header: the first row is data.
    let strings = write(&dir, "strings.csv", b"1,2,cat\n3,4,dog\n");
    let ds = Dataset::load(&strings, &class_opts()).unwrap();
    assert_eq!(ds.n, 2);
    assert_eq!(ds.classes().unwrap(), ["cat", "dog"]);
    // Only the target's name is not a number, the next row's target is.
    let named = write(&dir, "named.csv", b"1,2,y\n3,4,0.5\n\r\n5,6,1.5\r\n");
    let ds = Dataset::load(&named, &values_opts(1)).unwrap();
    assert_eq!(ds.n, 2);
    assert_eq!(
        ds.targets,
        Targets::Values {
            data: vec![0.5, 1.5],
            k: 1
        }
    );
}

#[test]
fn data_gzip_detected_by_magic_not_extension() {
    let dir = tmp_dir("gzip");
    let p = write(&dir, "plain-name.csv", &gz(b"x,y,c\n0.5,1,b\n2,3,a\n"));
    let ds = Dataset::load(&p, &class_opts()).unwrap();
    assert_eq!(ds.n, 2);
    assert_eq!(ds.classes().unwrap(), ["a", "b"]);
    let mut y = Vec::new();
    ds.gather_labels(&[0, 1], &mut y);
    assert_eq!(y, [1, 0]);
    // A `.gz` name holding plain text is read as plain text.
    let p = write(&dir, "not-really.csv.gz", b"1,2\n3,4\n");
    assert_eq!(Dataset::load(&p, &values_opts(1)).unwrap().n, 2);
    let bad = write(&dir, "broken.csv", &gz(b"1,2,3\n")[..12]);
    assert_names(&err(&bad, &class_opts()), &bad, None, "gzip");
}

#[test]
fn data_quoted_fields_and_integer_labels() {
    let dir = tmp_dir("quoted");
    let p = write(
        &dir,
        "q.csv",
        b"\"a\",\"b, c\",k\n\"1\", 2 ,\"x \"\"y\"\"\"\n3,4,z\n",
    );
    let ds = Dataset::load(&p, &class_opts()).unwrap();
    assert_eq!(ds.classes().unwrap(), ["x \"y\"", "z"]);
    let p = write(&dir, "ints.csv", b"1,2.0\n3,0\n5,1.0\n");
    let ds = Dataset::load(&p, &class_opts()).unwrap();
    assert_eq!(ds.classes().unwrap(), ["0", "1", "2"]);
    let mut y = Vec::new();
    ds.gather_labels(&[0, 1, 2], &mut y);
    assert_eq!(y, [2, 0, 1]);
}

#[test]
fn data_csv_errors_name_file_and_line() {
    let dir = tmp_dir("csv-errors");
    let ragged = write(&dir, "ragged.csv", b"a,b,c\n1,2,0\n\n3,4\n");
    assert_names(
        &err(&ragged, &class_opts()),
        &ragged,
        Some(4),
        "expected 3 fields, got 2",
    );
    let nan = write(&dir, "nan.csv", b"1,2,0\n1,abc,1\n");
    assert_names(
        &err(&nan, &class_opts()),
        &nan,
        Some(2),
        "field 2 \"abc\" is not a number",
    );
    let empty = write(&dir, "empty.csv", b"");
    assert_names(&err(&empty, &class_opts()), &empty, Some(1), "empty file");
    let blank = write(&dir, "blank.csv", b"\n  \n");
    assert_names(&err(&blank, &class_opts()), &blank, Some(1), "empty file");
    let header = write(&dir, "header.csv", b"a,b,c\n");
    assert_names(
        &err(&header, &class_opts()),
        &header,
        Some(2),
        "expected a data row",
    );
    let target = write(&dir, "target.csv", b"1,2,3\n4,5,six\n");
    assert_names(
        &err(&target, &values_opts(1)),
        &target,
        Some(2),
        "field 3 \"six\" is not a number",
    );
    let narrow = write(&dir, "narrow.csv", b"1,2\n");
    assert_names(
        &err(&narrow, &values_opts(2)),
        &narrow,
        Some(1),
        "expected at least 3 fields",
    );
    let quote = write(&dir, "quote.csv", b"1,2,0\n1,\"2,0\n");
    assert_names(&err(&quote, &class_opts()), &quote, Some(2), "closing");
    let binary = write(&dir, "binary.csv", b"1,2,0\n1,2,\xff\n");
    assert_names(&err(&binary, &class_opts()), &binary, Some(2), "UTF-8");
}

#[test]
fn data_unseen_class_label_is_an_error() {
    let dir = tmp_dir("unseen");
    let p = write(&dir, "test.csv", b"f,g,cls\n1,2,cat\n3,4,dog\n5,6,emu\n");
    let opts = LoadOptions {
        class_names: Some(vec!["cat".into(), "dog".into()]),
        ..class_opts()
    };
    assert_names(
        &err(&p, &opts),
        &p,
        Some(4),
        "class \"emu\" is not one of the training classes (cat, dog)",
    );
    // Known labels map to the training indices, not to their own order.
    let p = write(&dir, "ok.csv", b"1,2,dog\n3,4,dog\n");
    let ds = Dataset::load(&p, &opts).unwrap();
    assert_eq!(ds.classes().unwrap(), ["cat", "dog"]);
    let mut y = Vec::new();
    ds.gather_labels(&[0, 1], &mut y);
    assert_eq!(y, [1, 1]);
}

/// An IDX image file of `count` images of 2×2 pixels, and its label file.
fn idx_files(count: u32, magic: u32) -> (Vec<u8>, Vec<u8>) {
    let mut images = Vec::new();
    for w in [magic, count, 2, 2] {
        images.extend(w.to_be_bytes());
    }
    images.extend((0..count * 4).map(|i| (i * 17 % 256) as u8));
    let mut labels = Vec::new();
    for w in [LABELS_MAGIC_FOR_TESTS, count] {
        labels.extend(w.to_be_bytes());
    }
    labels.extend((0..count).map(|i| (i % 3) as u8));
    (images, labels)
}

const LABELS_MAGIC_FOR_TESTS: u32 = idx::LABELS_MAGIC;

#[test]
fn data_idx_small_plain_and_gz() {
    let dir = tmp_dir("idx-ok");
    let (images, labels) = idx_files(5, idx::IMAGES_MAGIC);
    let p = write(&dir, "t-images-idx3-ubyte", &images);
    write(&dir, "t-labels-idx1-ubyte.gz", &gz(&labels));
    let ds = Dataset::load(&p, &class_opts()).unwrap();
    assert_eq!((ds.n, ds.dim(), ds.classes().unwrap().len()), (5, 4, 10));
    let mut x = [0f64; 4];
    ds.gather_features(&[1], None, &mut x);
    assert_eq!(x, [68.0, 85.0, 102.0, 119.0].map(|b| b / 255.0));
}

#[test]
fn data_idx_errors_name_the_file() {
    let dir = tmp_dir("idx-errors");
    let (images, labels) = idx_files(5, 1234);
    let p = write(&dir, "magic-images-idx3-ubyte", &images);
    write(&dir, "magic-labels-idx1-ubyte", &labels);
    assert_names(
        &err(&p, &class_opts()),
        &p,
        None,
        "expected IDX magic 2051 (images), got 1234",
    );

    let (images, labels) = idx_files(5, idx::IMAGES_MAGIC);
    let p = write(&dir, "short-images-idx3-ubyte.gz", &gz(&images[..30]));
    write(&dir, "short-labels-idx1-ubyte.gz", &gz(&labels));
    assert_names(
        &err(&p, &class_opts()),
        &p,
        None,
        "expected 5×2×2 = 20 pixel bytes after the header, got 14",
    );

    let p = write(&dir, "tiny-images-idx3-ubyte", &images[..10]);
    assert_names(
        &err(&p, &class_opts()),
        &p,
        None,
        "16-byte IDX images header",
    );

    let p = write(&dir, "lonely-images-idx3-ubyte", &images);
    assert_names(
        &err(&p, &class_opts()),
        &p,
        None,
        "lonely-labels-idx1-ubyte",
    );

    let p = write(&dir, "count-images-idx3-ubyte", &images);
    let (_, other) = idx_files(4, idx::IMAGES_MAGIC);
    let l = write(&dir, "count-labels-idx1-ubyte", &other);
    assert_names(&err(&p, &class_opts()), &l, None, "expected 5 labels");

    let p = write(&dir, "cut-images-idx3-ubyte", &images);
    let l = write(&dir, "cut-labels-idx1-ubyte", &labels[..11]);
    assert_names(
        &err(&p, &class_opts()),
        &l,
        None,
        "expected 5 label bytes after the header, got 3",
    );

    let p = write(&dir, "names-images-idx3-ubyte", &images);
    let l = write(&dir, "names-labels-idx1-ubyte", &labels);
    let opts = LoadOptions {
        class_names: Some(vec!["0".into(), "1".into()]),
        ..class_opts()
    };
    assert_names(
        &err(&p, &opts),
        &l,
        None,
        "record 3: class \"2\" is not one of the training classes",
    );

    // The labels file itself is not an images file.
    assert_names(
        &err(MNIST_LABELS, &class_opts()),
        MNIST_LABELS,
        None,
        "got 2049",
    );
}

#[test]
fn data_unknown_spec() {
    let msg = err("no/such/file.csv", &class_opts());
    assert!(
        msg.starts_with("no such file and not a generated set: no/such/file.csv"),
        "{msg}"
    );
}

#[test]
fn data_multi_output_regression() {
    let dir = tmp_dir("regression");
    let p = write(&dir, "r.csv", b"x,y1,y2\n1,2,3\n4,5,6\n7,8,9\n");
    let ds = Dataset::load(&p, &values_opts(2)).unwrap();
    assert_eq!((ds.n, ds.dim(), ds.target_width()), (3, 1, 2));
    assert!(ds.classes().is_none());
    let mut y = [0f32; 4];
    ds.gather_targets(&[2, 0], &mut y);
    assert_eq!(y, [8.0, 9.0, 2.0, 3.0]);
    let mut labels = vec![7];
    ds.gather_labels(&[0], &mut labels);
    assert!(labels.is_empty());
}

#[test]
fn data_split_tail_sizes() {
    let ds = Dataset::load(
        "xor",
        &LoadOptions {
            samples: 10,
            ..class_opts()
        },
    )
    .unwrap();
    let (train, test) = ds.clone().split_tail(0.25);
    assert_eq!((train.n, test.as_ref().unwrap().n), (8, 2));
    let mut a = [0f32; 2];
    let mut b = [0f32; 2];
    test.unwrap().gather_features(&[1], None, &mut a);
    ds.gather_features(&[9], None, &mut b);
    assert_eq!(a, b);
    let (train, test) = ds.clone().split_tail(0.0);
    assert_eq!((train.n, test.is_none()), (10, true));
    let (train, test) = ds.clone().split_tail(0.05);
    assert_eq!((train.n, test.is_none()), (10, true));
    let (train, test) = ds.split_tail(0.99);
    assert_eq!((train.n, test.unwrap().n), (1, 9));
}

#[test]
fn data_standardize() {
    let dir = tmp_dir("standardize");
    let p = write(&dir, "s.csv", b"1,5,10,0\n2,5,20,1\n3,5,60,0\n6,5,10,1\n");
    let ds = Dataset::load(&p, &class_opts()).unwrap();
    let s = Standardizer::fit(&ds);
    assert_eq!(s.mean, [3.0, 5.0, 25.0]);
    assert_eq!(s.std[0], 3.5f64.sqrt()); // population: (4 + 1 + 0 + 9) / 4
    assert_eq!(s.std[1], 1.0); // zero variance
    let mut x = vec![0f64; 12];
    ds.gather_features(&[0, 1, 2, 3], Some(&s), &mut x);
    for col in 0..3 {
        let v: Vec<f64> = (0..4).map(|r| x[r * 3 + col]).collect();
        let mean = v.iter().sum::<f64>() / 4.0;
        let var = v.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / 4.0;
        assert!(mean.abs() < 1e-12, "column {col}: mean {mean}");
        let want = if col == 1 { 0.0 } else { 1.0 };
        assert!((var - want).abs() < 1e-12, "column {col}: var {var}");
    }
    assert_eq!(s.apply(1, 7.0), 2.0);
    // A constant column of non-representable values still counts as constant.
    let p = write(&dir, "c.csv", b"0.1,0\n0.1,1\n0.1,0\n");
    let s = Standardizer::fit(&Dataset::load(&p, &class_opts()).unwrap());
    assert_eq!(s.std, [1.0]);
}

#[test]
fn data_epoch_order_is_deterministic_permutation() {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    epoch_order(1000, 42, 3, true, &mut a);
    epoch_order(1000, 42, 3, true, &mut b);
    assert_eq!(a, b);
    epoch_order(1000, 42, 4, true, &mut b);
    assert_ne!(a, b);
    epoch_order(1000, 43, 3, true, &mut b);
    assert_ne!(a, b);
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    assert_ne!(a, sorted);
    epoch_order(5, 42, 3, false, &mut a);
    assert_eq!(a, [0, 1, 2, 3, 4]);
    epoch_order(0, 42, 3, true, &mut a);
    assert!(a.is_empty());
    // Refilling does not reallocate.
    epoch_order(1000, 1, 1, true, &mut b);
    let ptr = b.as_ptr();
    epoch_order(1000, 1, 2, true, &mut b);
    assert_eq!(ptr, b.as_ptr());
}

#[test]
fn data_batches_keep_last_partial() {
    let order: Vec<usize> = (0..10).collect();
    let sizes: Vec<usize> = batches(&order, 4).map(<[usize]>::len).collect();
    assert_eq!(sizes, [4, 4, 2]);
    let flat: Vec<usize> = batches(&order, 3).flatten().copied().collect();
    assert_eq!(flat, order);
    assert_eq!(batches(&order, 10).count(), 1);
    assert_eq!(batches(&order, 0).count(), 1);
    assert_eq!(batches(&[], 4).count(), 0);
}

#[test]
fn data_gather_does_not_allocate() {
    let ds = Dataset::load(IRIS, &class_opts()).unwrap();
    let mut labels = Vec::with_capacity(16);
    let ptr = labels.as_ptr();
    for chunk in batches(&(0..150).collect::<Vec<_>>(), 16) {
        ds.gather_labels(chunk, &mut labels);
        assert_eq!(labels.len(), chunk.len());
    }
    assert_eq!(ptr, labels.as_ptr());
    let mut y = [0f32; 6];
    ds.gather_targets(&[0, 1], &mut y); // virginica, setosa
    assert_eq!(y, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
}

#[test]
fn data_generated_sets() {
    for name in GENERATED_SETS {
        let opts = LoadOptions {
            samples: 101,
            seed: 7,
            ..class_opts()
        };
        let ds = Dataset::load(name, &opts).unwrap();
        assert_eq!((ds.n, ds.dim()), (101, 2), "{name}");
        assert_eq!(ds.classes().unwrap(), ["0", "1"], "{name}");
        let c = counts(&ds);
        assert!(
            c[0] + c[1] == 101 && c[0].abs_diff(c[1]) <= 1,
            "{name}: {c:?}"
        );
        assert_eq!(ds, Dataset::load(name, &opts).unwrap(), "{name}: same seed");
        let other = Dataset::load(
            name,
            &LoadOptions {
                seed: 8,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_ne!(ds, other, "{name}: other seed");
        let (lo, hi) = ds.feature_range(0);
        assert!(lo < hi && lo > -3.0 && hi < 4.0, "{name}: {lo}..{hi}");
        let (train, test) = ds.split_tail(0.3);
        assert_eq!((train.n, test.as_ref().unwrap().n), (71, 30));
        assert!(
            counts(&test.unwrap()).iter().all(|&c| c > 5),
            "{name}: test holds both classes"
        );
    }
}

#[test]
fn data_generated_shapes() {
    let exact = LoadOptions {
        samples: 4,
        ..class_opts()
    };
    let ds = Dataset::load("xor", &exact).unwrap();
    assert_eq!(
        ds.features,
        Features::F64 {
            data: vec![0., 0., 0., 1., 1., 0., 1., 1.],
            dim: 2
        }
    );
    assert_eq!(
        ds.targets,
        Targets::Classes {
            labels: vec![0, 1, 1, 0],
            names: vec!["0".into(), "1".into()]
        }
    );

    let clean = LoadOptions {
        samples: 200,
        noise: 0.0,
        ..class_opts()
    };
    let radius = |ds: &Dataset, r: usize| {
        let mut p = [0f64; 2];
        ds.gather_features(&[r], None, &mut p);
        (p[0].hypot(p[1]), ds.gather_label(r))
    };
    let circles = Dataset::load("circles", &clean).unwrap();
    for r in 0..200 {
        let (rad, label) = radius(&circles, r);
        let want = if label == 0 { 1.0 } else { 0.5 };
        assert!(
            (rad - want).abs() < 1e-6,
            "circle row {r}: radius {rad}, label {label}"
        );
    }
    let moons = Dataset::load("moons", &clean).unwrap();
    assert_eq!(moons.feature_range(0), (-1.0, 2.0));
    let (lo, hi) = moons.feature_range(1);
    assert!(
        (lo + 0.5).abs() < 1e-3 && (hi - 1.0).abs() < 1e-3,
        "{lo}..{hi}"
    );
    let spirals = Dataset::load("spirals", &clean).unwrap();
    assert!(spirals.feature_range(0).1 <= 1.0 && spirals.feature_range(1).0 >= -1.0);

    let bce = Dataset::load(
        "xor",
        &LoadOptions {
            target: TargetKind::Values { k: 1 },
            ..exact
        },
    )
    .unwrap();
    assert_eq!(
        bce.targets,
        Targets::Values {
            data: vec![0.0, 1.0, 1.0, 0.0],
            k: 1
        }
    );
    let msg = err(
        "moons",
        &LoadOptions {
            samples: 0,
            ..class_opts()
        },
    );
    assert!(
        msg.starts_with("moons: expected at least 1 sample"),
        "{msg}"
    );
    let msg = err(
        "moons",
        &LoadOptions {
            noise: -1.0,
            ..class_opts()
        },
    );
    assert!(msg.starts_with("moons: expected a noise level"), "{msg}");
    let msg = err("moons", &values_opts(2));
    assert!(msg.starts_with("moons: expected 1 target"), "{msg}");
}

impl Dataset {
    /// The class label of row `r` (tests only).
    fn gather_label(&self, r: usize) -> usize {
        let mut y = Vec::new();
        self.gather_labels(&[r], &mut y);
        y[0]
    }
}

#[test]
fn data_gzip_inflating_past_the_limit_is_refused() {
    let dir = tmp_dir("inflate");
    let csv = b"1,2,0\n".repeat(100_000); // 600 000 bytes
    let p = write(&dir, "x.csv.gz", &gz(&csv));
    let small = LoadOptions {
        max_inflate: 1 << 19,
        ..class_opts()
    };
    let e = Dataset::load(&p, &small).unwrap_err();
    assert!(matches!(
        e,
        DataError::Limit {
            flag: "--max-inflate-mib",
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        format!("{p}: the gzip stream inflates to more than 524288 bytes (limit 524288 bytes; raise it with --max-inflate-mib)")
    );
    // Exactly at the limit is fine; one byte less is not.
    let exact = LoadOptions {
        max_inflate: csv.len() as u64,
        ..class_opts()
    };
    assert_eq!(Dataset::load(&p, &exact).unwrap().n, 100_000);
    let under = LoadOptions {
        max_inflate: csv.len() as u64 - 1,
        ..class_opts()
    };
    assert!(matches!(
        Dataset::load(&p, &under),
        Err(DataError::Limit { .. })
    ));
}

#[test]
fn data_class_limit_names_the_line() {
    let dir = tmp_dir("classes");
    let p = write(&dir, "c.csv", b"1,a\n2,b\n\n3,a\n4,c\n");
    let two = LoadOptions {
        max_classes: 2,
        ..class_opts()
    };
    assert_eq!(
        err(&p, &two),
        format!("{p}:5: label \"c\" makes 3 distinct class labels (limit 2 classes; raise it with --max-classes)")
    );
    let three = LoadOptions {
        max_classes: 3,
        ..class_opts()
    };
    assert_eq!(
        Dataset::load(&p, &three).unwrap().classes().unwrap().len(),
        3
    );
    // Index labels: the largest one sets the count.
    let q = write(&dir, "i.csv", b"1,0\n2,7\n3,2\n");
    assert_eq!(
        err(&q, &LoadOptions { max_classes: 7, ..class_opts() }),
        format!("{q}:2: label \"7\" asks for 8 classes (integer labels are class indices) (limit 7 classes; raise it with --max-classes)")
    );
    let ds = Dataset::load(
        &q,
        &LoadOptions {
            max_classes: 8,
            ..class_opts()
        },
    )
    .unwrap();
    assert_eq!(ds.classes().unwrap().len(), 8);
    // IDX labels: MNIST has 10 classes.
    let e = Dataset::load(
        MNIST,
        &LoadOptions {
            max_classes: 9,
            ..class_opts()
        },
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(MNIST_LABELS), "{msg}");
    assert!(
        msg.contains(
            ": label 9 asks for 10 classes (limit 9 classes; raise it with --max-classes)"
        ),
        "{msg}"
    );
}

#[test]
fn data_empty_labels_and_bce_targets_are_refused() {
    let dir = tmp_dir("labels-targets");
    let p = write(&dir, "e.csv", b"1,a\n2,\"\"\n");
    assert_eq!(
        err(&p, &class_opts()),
        format!("{p}:2: expected a class label in field 2, got an empty one")
    );
    let t = write(&dir, "t.csv", b"1,0\n2,1\n3,-0.5\n");
    let unit = LoadOptions {
        unit_targets: true,
        ..values_opts(1)
    };
    assert_eq!(
        err(&t, &unit),
        format!("{t}:3: field 2 is -0.5, expected a target in [0, 1] for the bce loss")
    );
    assert_eq!(Dataset::load(&t, &values_opts(1)).unwrap().n, 3);
}

#[test]
fn data_directories_pipes_and_devices() {
    let dir = tmp_dir("special");
    let spec = dir.display().to_string();
    assert_eq!(
        err(&spec, &class_opts()),
        format!("{spec}: is a directory, expected a CSV or IDX file")
    );
    assert_eq!(
        err("/dev/null", &class_opts()),
        "/dev/null:1: expected a CSV row, got an empty file"
    );
}

#[test]
fn data_generated_limits() {
    let huge = LoadOptions {
        samples: usize::MAX,
        ..class_opts()
    };
    let e = Dataset::load("moons", &huge).unwrap_err();
    assert!(matches!(e, DataError::Alloc { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!("moons: cannot allocate memory for {} points (--samples), more bytes than fit in memory", usize::MAX)
    );
    for noise in [MAX_NOISE * 1.5, 1e308, -0.1, f64::NAN] {
        let o = LoadOptions {
            noise,
            ..class_opts()
        };
        assert_eq!(
            err("spirals", &o),
            format!("spirals: expected a noise level (--noise) in [0, 100], got {noise:?}")
        );
    }
    let o = LoadOptions {
        noise: MAX_NOISE,
        ..class_opts()
    };
    assert_eq!(Dataset::load("spirals", &o).unwrap().n, DEFAULT_SAMPLES);
}
