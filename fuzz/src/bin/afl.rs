//! AFL++ driver: `amtready-fuzz TARGET` runs one target of
//! [`amtready_fuzz::TARGETS`] on the inputs AFL++ feeds it (see
//! docs/fuzzing.md for the commands).
#![forbid(unsafe_code)]

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = amtready_fuzz::target(&name) else {
        let names: Vec<&str> = amtready_fuzz::TARGETS.iter().map(|t| t.name).collect();
        eprintln!("usage: amtready-fuzz TARGET (one of: {})", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| {
        (target.run)(data);
    });
}
