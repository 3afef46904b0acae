// Writes rust-debug-escaped-ranges.txt: every scalar that Rust's `format!("{:?}", s)` escapes as
// `\u{..}` or `\0 \t \r \n` (quote and backslash left out), as inclusive hex ranges.
// Regenerate with: rustc -O rust_debug_escapes.rs && ./rust_debug_escapes > rust-debug-escaped-ranges.txt
fn main() {
    println!("# rustc Unicode {:?}", char::UNICODE_VERSION);
    let mut start: Option<u32> = None;
    for v in 0u32..=0x10FFFF {
        let escaped = match char::from_u32(v) {
            Some('"') | Some('\\') | None => false,
            Some(c) => {
                let s = c.to_string();
                format!("{:?}", s) != format!("\"{}\"", s)
            }
        };
        match (escaped, start) {
            (true, None) => start = Some(v),
            (false, Some(s)) => {
                println!("{:x} {:x}", s, v - 1);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        println!("{:x} 10ffff", s);
    }
}
