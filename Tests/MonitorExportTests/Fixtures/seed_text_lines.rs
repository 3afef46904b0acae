// Prints the expected lines of Formats/TextFormattingTests.swift (and Support/TextFormatFixtures.swift) using the seed's exact format strings
// (process_monitor.rs) on the same values. Run: rustc -O seed_text_lines.rs && ./seed_text_lines
use std::time::Duration;
fn format_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    if hours > 0 { format!("{hours}h{minutes:02}m{seconds:02}s") }
    else if minutes > 0 { format!("{minutes}m{seconds:02}s") } else { format!("{seconds}s") }
}
fn format_bytes(value: Option<u64>) -> String {
    let Some(bytes) = value else { return "<unknown>".to_string(); };
    const KIB: f64 = 1024.0; const MIB: f64 = KIB * 1024.0; const GIB: f64 = MIB * 1024.0;
    let bytes_f = bytes as f64;
    if bytes_f >= GIB { format!("{:.1}GiB", bytes_f / GIB) } else if bytes_f >= MIB { format!("{:.1}MiB", bytes_f / MIB) }
    else if bytes_f >= KIB { format!("{:.1}KiB", bytes_f / KIB) } else { format!("{bytes}B") }
}
fn format_kb(value: Option<u64>) -> String { value.map(|kb| format_bytes(Some(kb.saturating_mul(1024)))).unwrap_or_else(|| "<unknown>".to_string()) }
fn format_count(value: Option<u64>) -> String { value.map(|v| v.to_string()).unwrap_or_else(|| "<unknown>".to_string()) }
fn progress(p: Option<(u64,u64)>) -> String {
    match p {
        Some((cur, total)) if total > 0 => { let pct = (cur as f64 / total as f64) * 100.0; format!(" progress={cur}/{total} ({pct:.0}%)") }
        Some((cur, _)) => format!(" progress={cur}/?"),
        None => String::new(),
    }
}
fn cpu(cores: Option<f64>, ncpu: Option<usize>, window: Duration) -> String {
    match cores {
        Some(cores) => { let of = match ncpu { Some(n) => format!("/{n}"), None => String::new() };
            format!("cpu={:.1}{} cores (avg over {})", cores, of, format_duration(window)) }
        None => "cpu=<warming-up>".to_string(),
    }
}
fn headline(elapsed: Duration, rss_kb: Option<u64>, peak_kb: Option<u64>, threads: Option<u64>, rb: Option<u64>, wb: Option<u64>, cpu: String, instrumented_threads: usize, active: Option<(&str, Duration, Option<(u64,u64)>)>) {
    let resource = format!("rss={} peak_rss={} process_threads={} read_bytes={} write_bytes={}", format_kb(rss_kb), format_kb(peak_kb), format_count(threads), format_bytes(rb), format_bytes(wb));
    let active = match active {
        Some((label, age, p)) => format!(" active={:?} for {}{}", label, format_duration(age), progress(p)),
        None => " active=<idle>".to_string(),
    };
    println!("[process-monitor] elapsed={} {} {} instrumented_threads={}{}", format_duration(elapsed), resource, cpu, instrumented_threads, active);
}
fn stall(thread_label: &str, label: &str, age: Duration) {
    println!("[process-monitor][STALL] thread={} phase={:?} stuck={}", thread_label, label, format_duration(age));
}
fn phase(thread_label: &str, depth: usize, label: &str, age: Duration, updated: Duration, p: Option<(u64,u64)>) {
    println!("[process-monitor] phase thread={} depth={} deepest={:?} in_frame={} updated_ago={}{}", thread_label, depth, label, format_duration(age), format_duration(updated), progress(p));
}
fn omitted(n: usize) { println!("[process-monitor] phase ... and {} more active thread(s) omitted", n); }
fn ms(x: u64) -> Duration { Duration::from_millis(x) }
fn main() {
    println!("== busy");
    headline(ms(3_725_900), Some(1_572_864), Some(2_097_151), Some(74), Some(12_582_912), Some(0), cpu(Some(68.25), Some(72), ms(60_000)), 11,
        Some(("BMS coord_corrections \"pass 2\"", ms(142_700), Some((41, 128)))));
    stall("ThreadId(3)/worker", "BMS coord_corrections \"pass 2\"", ms(142_700));
    stall("TaskId(7)", "cafe\u{301}\n\tC:\\tmp", ms(120_000));
    phase("ThreadId(3)/worker", 2, "BMS coord_corrections \"pass 2\"", ms(142_700), ms(142_700), Some((41, 128)));
    phase("TaskId(7)", 1, "cafe\u{301}\n\tC:\\tmp", ms(120_000), ms(3_000), None);
    phase("ThreadId(1)/main", 4, "a\u{a0}b \u{1b}[31m 👨\u{200d}👩 日本 é ' \u{fffd}", ms(59_999), ms(59_999), Some((17, 0)));
    phase("ThreadId(12)", 1, "", ms(3_600_000), ms(0), Some((999, 1000)));
    omitted(3);
    println!("== idle");
    headline(ms(0), None, None, None, None, None, cpu(None, None, ms(60_000)), 0, None);
    println!("== small");
    headline(ms(59_999), Some(0), Some(1), Some(1), Some(1023), Some(1_048_575), cpu(Some(0.05), None, ms(61_500)), 1,
        Some(("\u{301}start", ms(1_000), Some((7, 0)))));
    headline(ms(86_399_000), Some(1_073_741_824), Some(1_048_575), Some(2), Some(1024), Some(1_073_741_824), cpu(Some(0.35), Some(2), ms(3_600_000)), 2,
        Some(("load", ms(5_000), Some((1, 8)))));
}
