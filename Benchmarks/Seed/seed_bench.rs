//! Times the Rust seed's scope pair (`track_scope` guard created and dropped) with the same
//! workloads and the same statistic as `bench-short`: the measuring thread's CPU time, median
//! over 11 rounds after a warm-up, one `name value unit` line each, names prefixed `seed_`. Built by `Benchmarks/compare.sh`
//! with rustc -O against a copy of the seed's own source file, unchanged, placed beside
//! this one as `process_monitor.rs`.
#[allow(dead_code)]
mod process_monitor;

use std::hint::black_box;

/// `struct timespec` on 64-bit Linux (no libc crate: this builds with rustc alone).
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut time = Timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) };
    time.tv_sec as u64 * 1_000_000_000 + time.tv_nsec as u64
}

fn pairs(n: usize) {
    for _ in 0..n {
        let guard = process_monitor::track_scope(black_box("bench.pair"));
        drop(black_box(guard));
    }
}

fn progress_pairs(n: usize) {
    for _ in 0..n {
        let (guard, progress) = process_monitor::track_scope_with_progress(black_box("bench.progress"), 1000);
        progress.inc();
        drop(black_box(guard));
    }
}

fn at_depth(depth: usize, body: &dyn Fn()) {
    if depth <= 1 {
        body();
    } else {
        let _guard = process_monitor::track_scope("bench.enclosing");
        at_depth(depth - 1, body);
    }
}

fn ns_per_op(ops: usize, body: &dyn Fn(usize)) -> f64 {
    body(ops / 10);
    let mut samples: Vec<f64> = (0..11)
        .map(|_| {
            let start = thread_cpu_ns();
            body(ops);
            (thread_cpu_ns() - start) as f64 / ops as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

fn two_threads(ops: usize) -> f64 {
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        pairs(1000);
                        barrier.wait();
                        let start = thread_cpu_ns();
                        pairs(ops);
                        (thread_cpu_ns() - start) as f64 / ops as f64
                    })
                })
                .collect();
            let per_thread: Vec<f64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            per_thread.iter().sum::<f64>() / per_thread.len() as f64
        })
        .collect();
    rounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
    rounds[rounds.len() / 2]
}

fn main() {
    process_monitor::start();
    let only: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("seed_scope_pair_depth1") {
        println!("seed_scope_pair_depth1 {:.2} ns", ns_per_op(1_000_000, &pairs));
    }
    if wanted("seed_scope_pair_depth16") {
        let result = std::cell::Cell::new(0.0);
        at_depth(16, &|| result.set(ns_per_op(500_000, &pairs)));
        println!("seed_scope_pair_depth16 {:.2} ns", result.get());
    }
    if wanted("seed_scope_pair_2threads_per_thread") {
        println!("seed_scope_pair_2threads_per_thread {:.2} ns", two_threads(500_000));
    }
    if wanted("seed_scope_pair_progress_increment") {
        println!("seed_scope_pair_progress_increment {:.2} ns", ns_per_op(1_000_000, &progress_pairs));
    }
}
