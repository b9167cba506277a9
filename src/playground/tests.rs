use super::*;

fn pg() -> Playground {
    Playground::new(Limits::default())
}

#[test]
fn omitted_fields_take_the_sets_train_defaults() {
    let r = config::parse_body(br#"{"dataset": "spirals"}"#, &Limits::default()).unwrap();
    let c = r.config;
    assert_eq!(c.layers, [2, 64, 64, 2]);
    assert_eq!(
        (c.activation.as_str(), c.optimizer.as_str()),
        ("relu", "adam")
    );
    assert_eq!((c.lr, c.batch_size, c.noise), (0.01, 200, 0.02));
    // An optimiser given: the general learning rate, as in `train`.
    let r = config::parse_body(br#"{"optimizer": "sgd"}"#, &Limits::default()).unwrap();
    assert_eq!((r.config.dataset.as_str(), r.config.lr), ("moons", 0.01));
}

#[test]
fn bad_fields_are_named() {
    let l = Limits::default();
    for (body, field) in [
        (&br#"{"samples": 0}"#[..], "samples"),
        (br#"{"sampels": 3}"#, "sampels"),
        (br#"{"samples": "x"}"#, "samples"),
        (br#"{"layers": [2, 65, 2]}"#, "layers"),
        (br#"{"dataset": "mnist"}"#, "dataset"),
        (br#"{"activation": "swish"}"#, "activation"),
        (br#"{"lr": -1}"#, "lr"),
        (br#"{"preset": "notebook", "noise": 1}"#, "noise"),
        (br#"{"preset": "book"}"#, "preset"),
        (br#"{"#, "body"),
    ] {
        let e = config::parse_body(body, &l).unwrap_err();
        assert_eq!(e.field(), Some(field), "{e}");
        assert_eq!(e.status(), 400);
    }
}

#[test]
fn notebook_preset_is_the_walkthrough() {
    let p = pg();
    let (id, c) = p
        .create(br#"{"preset": "notebook", "seed": 3, "layers": [2, 3, 1]}"#)
        .unwrap();
    assert_eq!((c.seed, c.lr, c.bias), (3, 1.0, false));
    let settings = crate::walkthrough::Settings {
        seed: 3,
        steps: 7,
        layers: vec![2, 3, 1],
        ..Default::default()
    };
    let w = crate::walkthrough::run(&settings, |_| {}).unwrap();
    let state = p
        .with(&id, |s| {
            s.step(7)?;
            Ok(s.state())
        })
        .unwrap();
    let weights: Vec<Vec<Vec<f64>>> = serde_json::from_value(state["weights"].clone()).unwrap();
    let expected: Vec<Vec<Vec<f64>>> = w.weights.iter().map(|t| t.to_rows().unwrap()).collect();
    assert_eq!(weights, expected);
}

#[test]
fn a_session_steps_and_reports() {
    let p = pg();
    let (id, _) = p
        .create(br#"{"dataset": "xor", "samples": 40, "test_fraction": 0.25, "layers": [2, 4, 2]}"#)
        .unwrap();
    let r = p.with(&id, |s| s.step(3)).unwrap();
    assert_eq!(r.step, 3);
    assert!(r.test_accuracy.is_some() && r.loss.is_finite());
    let state = p.with(&id, |s| Ok(s.state())).unwrap();
    assert_eq!(state["weights"][0].as_array().unwrap().len(), 2); // [in, out]
    assert_eq!(state["gradients"][1].as_array().unwrap().len(), 4);
    assert_eq!(state["grad_norms"].as_array().unwrap().len(), 2);
    let b = p.with(&id, |s| s.boundary(5, 3)).unwrap();
    assert_eq!(b["output"].as_array().unwrap().len(), 5);
    assert_eq!(b["hidden"][0].as_array().unwrap().len(), 4);
    let bw = p.with(&id, |s| Ok(s.backward())).unwrap();
    assert_eq!(bw["nodes"][0]["name"], "loss");
    p.delete(&id).unwrap();
    assert_eq!(p.get(&id).err().map(|e| e.status()), Some(404));
}

#[test]
fn history_thins_to_at_most_a_thousand_points() {
    let p = pg();
    let (id, _) = p.create(br#"{"preset": "notebook"}"#).unwrap();
    p.with(&id, |s| {
        s.step(2500)?;
        assert!(s.history().len() <= session::HISTORY_POINTS);
        assert!(s.history().len() > 500);
        assert_eq!(s.history()[0].0, 0);
        Ok(())
    })
    .unwrap();
}

#[test]
fn the_session_limit_holds() {
    let p = Playground::new(Limits {
        max_sessions: 1,
        ..Limits::default()
    });
    p.create(b"{}").unwrap();
    assert_eq!(p.create(b"{}").unwrap_err().status(), 429);
}

#[test]
fn idle_sessions_expire() {
    let p = Playground::new(Limits {
        idle: std::time::Duration::ZERO,
        ..Limits::default()
    });
    let (id, _) = p.create(b"{}").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(p.expire(), 1);
    assert!(p.is_empty());
    assert_eq!(p.get(&id).err().map(|e| e.status()), Some(404));
}

#[test]
fn a_step_of_a_general_session_is_the_trainers() {
    // The observed gradients are those of the step that follows them: the
    // update of plain SGD is exactly −lr·gradient.
    let p = pg();
    let (id, _) = p
        .create(br#"{"dataset": "moons", "optimizer": "sgd", "lr": 0.5, "dtype": "f64", "batch_size": 0}"#)
        .unwrap();
    let before = p.with(&id, |s| Ok(s.state())).unwrap();
    let state = p
        .with(&id, |s| {
            s.step(1)?;
            Ok(s.state())
        })
        .unwrap();
    let w0: Vec<Vec<Vec<f64>>> = serde_json::from_value(before["weights"].clone()).unwrap();
    let w1: Vec<Vec<Vec<f64>>> = serde_json::from_value(state["weights"].clone()).unwrap();
    let g: Vec<Vec<Vec<f64>>> = serde_json::from_value(state["gradients"].clone()).unwrap();
    for ((a, b), d) in w0
        .iter()
        .flatten()
        .flatten()
        .zip(w1.iter().flatten().flatten())
        .zip(g.iter().flatten().flatten())
    {
        assert!((a - 0.5 * d - b).abs() <= 1e-12, "{a} − 0.5·{d} ≠ {b}");
    }
}

#[test]
fn an_upload_is_kept_while_a_session_uses_it() {
    let p = Playground::new(Limits {
        idle: std::time::Duration::from_millis(300),
        ..Limits::default()
    });
    let csv = b"x,y,label\n-1,-1,a\n1,1,b\n-1.2,-0.9,a\n0.8,1.1,b\n".to_vec();
    let (name, u) = p.upload(csv).unwrap();
    assert_eq!((u.rows, u.classes), (4, 2));
    drop(u);
    let body = format!(r#"{{"dataset": "{name}"}}"#);
    let (id, c) = p.create(body.as_bytes()).unwrap();
    assert_eq!((c.samples, c.layers.as_slice()), (4, &[2, 64, 2][..]));
    let held = p.get(&id).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(350));
    // The session expires, but is still held: its upload stays.
    assert_eq!(p.expire(), 1);
    assert_eq!(p.uploads(), 1);
    drop(held);
    p.expire();
    assert_eq!(p.uploads(), 0);
    let e = p.create(body.as_bytes()).unwrap_err();
    assert_eq!(e.field(), Some("dataset"));
    // Errors: the loader's message, the column count, the size limit.
    let e = p.upload(b"a,b,c,l\n1,2,3,x\n".to_vec()).unwrap_err();
    assert!(e.to_string().contains("3 feature columns"), "{e}");
    let e = p.upload(vec![b'1'; (1 << 20) + 1]).unwrap_err();
    assert_eq!(e.status(), 413);
}
