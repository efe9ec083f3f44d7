//! Replays every committed corpus input (`corpus/TARGET/*`) through its harness, without
//! libFuzzer: a quick regression check on stable (`cargo test` in fuzz/), and the place where
//! a fixed finding, kept in the corpus, stays fixed. (`--features seeds` also runs the generated
//! seeds.)

use std::fs;

#[test]
fn every_corpus_input_runs_cleanly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut count = 0;
    for target in fs::read_dir(&root).expect("fuzz/corpus exists") {
        let target = target.unwrap().path();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        let run =
            xenolith_fuzz::runner(&name).unwrap_or_else(|| panic!("corpus/{name}: no such target"));
        for input in fs::read_dir(&target).unwrap() {
            let path = input.unwrap().path();
            run(&fs::read(&path).unwrap());
            count += 1;
        }
    }
    assert!(count > 0, "no corpus inputs");
    println!("{count} corpus inputs replayed");
}

#[cfg(feature = "seeds")]
#[test]
fn the_seeds_run_cleanly() {
    for (target, seeds) in xenolith_fuzz::all_seeds() {
        let run = xenolith_fuzz::runner(target).unwrap();
        for (name, bytes) in seeds {
            eprintln!("{target}/{name}");
            run(&bytes);
        }
    }
}
