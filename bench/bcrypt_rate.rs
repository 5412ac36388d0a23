//! bcrypt verifications per second on all cores, with the server's own bcrypt crate: the ceiling for
//! /api/login and /api/register. `cargo run --release --example bcrypt_rate -- [COST] [SECONDS]`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests say "this must hold" with unwrap

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let cost: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(12);
    let seconds: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5.0);
    let hash = bcrypt::hash("bench password 123", cost).expect("hash");
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while Instant::now() < deadline {
                    assert!(bcrypt::verify("bench password 123", &hash).expect("verify"));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    println!("{rate:.2}");
}
