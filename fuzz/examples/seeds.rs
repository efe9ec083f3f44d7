//! Writes the generated seed inputs into `corpus/TARGET/seed-NAME` (run from fuzz/:
//! `cargo run --example seeds --features seeds`). Files that are not named `seed-*` (interesting inputs kept from
//! fuzzing) are left alone.

use std::fs;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, seeds) in xenolith_fuzz::all_seeds() {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("create the corpus folder");
        for entry in fs::read_dir(&dir).expect("read the corpus folder") {
            let path = entry.expect("a corpus entry").path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
            {
                fs::remove_file(&path).expect("remove an old seed");
            }
        }
        for (name, bytes) in &seeds {
            let name: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            fs::write(dir.join(format!("seed-{name}")), bytes).expect("write a seed");
        }
        println!("{target}: {} seeds", seeds.len());
    }
}
