//! Cost of anonymizing and encoding one realistic access record.
//!
//! `cargo bench --bench anonymize`; figures are recorded in `docs/benchmarks.md`.

use std::hint::black_box;

use anonlog::anonymize::classify_user_agent;
use anonlog::{Anonymizer, OutputFormat, Policy, RawRecord, Timestamp};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];

const TARGETS: &[&str] = &[
    "/",
    "/users/48213/orders/550e8400-e29b-41d4-a716-446655440000",
    "/search?q=running+shoes&page=2&utm_source=newsletter&session_id=af83c1",
    "/static/css/site.3f2a9c1b4d5e6f70.css",
    "/blog/top-10-tips-for-2024/",
    "/reset-password?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJl",
];

fn records(n: usize) -> Vec<RawRecord<'static>> {
    let t0 = Timestamp::from_utc(2026, 11, 24, 8, 0, 0, 0).expect("valid");
    (0..n)
        .map(|i| {
            RawRecord::builder(Timestamp::from_unix_millis(
                t0.unix_millis() + i as i64 * 37,
            ))
            .client_text(format!("198.51.{}.{}", i % 200, i % 251))
            .method(if i % 7 == 0 { "POST" } else { "GET" })
            .target(TARGETS[i % TARGETS.len()])
            .protocol("HTTP/1.1")
            .host("www.example.com")
            .user_agent(USER_AGENTS[i % USER_AGENTS.len()])
            .referrer("https://www.example.org/some/page?ref=abc")
            .status(200)
            .bytes(5123 + i as u64)
            .build()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let raws = records(1024);
    // Warm the user-agent cache as a running server would have it.
    for raw in &raws {
        black_box(anonymizer.apply(raw));
    }
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(raws.len() as u64));
    group.bench_function("apply", |b| {
        b.iter(|| {
            for raw in &raws {
                black_box(anonymizer.apply(black_box(raw)));
            }
        });
    });
    // The hot path of the command-line tool: one record and one buffer, reused.
    let mut record = anonymizer.apply(&raws[0]);
    group.bench_function("apply_into", |b| {
        b.iter(|| {
            for raw in &raws {
                anonymizer.apply_into(black_box(raw), &mut record);
                black_box(&record);
            }
        });
    });
    for format in [OutputFormat::Json, OutputFormat::Combined] {
        let mut out = Vec::with_capacity(1024);
        group.bench_function(format!("apply_into+encode/{}", format.name()), |b| {
            b.iter(|| {
                for raw in &raws {
                    out.clear();
                    anonymizer.apply_into(black_box(raw), &mut record);
                    format.encode(&record, &mut out);
                    black_box(&out);
                }
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("parts");
    group.throughput(Throughput::Elements(USER_AGENTS.len() as u64));
    group.bench_function("user_agent_uncached", |b| {
        b.iter(|| {
            for ua in USER_AGENTS {
                black_box(classify_user_agent(black_box(ua.as_bytes())));
            }
        });
    });
    group.finish();

    // Every record with a user agent this thread's cache has not seen: the classification
    // runs each time (the cache holds 4096 entries and 8192 distinct agents cycle through).
    let misses: Vec<RawRecord<'static>> = records(8192)
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let agent = format!("{} Build/{i}", USER_AGENTS[i % USER_AGENTS.len()]);
            RawRecord::builder(raw.time())
                .client_text(format!("198.51.{}.{}", i % 200, i % 251))
                .target(TARGETS[i % TARGETS.len()])
                .user_agent(agent)
                .build()
        })
        .collect();
    let mut group = c.benchmark_group("record_user_agent_miss");
    group.throughput(Throughput::Elements(misses.len() as u64));
    group.bench_function("apply_into", |b| {
        b.iter(|| {
            for raw in &misses {
                anonymizer.apply_into(black_box(raw), &mut record);
                black_box(&record);
            }
        });
    });
    group.finish();

    let no_visitor =
        Anonymizer::new(Policy::from_toml_str("[visitor]\nenabled = false").expect("valid"))
            .expect("valid");
    let mut group = c.benchmark_group("record_without_visitor");
    group.throughput(Throughput::Elements(raws.len() as u64));
    group.bench_function("apply_into", |b| {
        b.iter(|| {
            for raw in &raws {
                no_visitor.apply_into(black_box(raw), &mut record);
                black_box(&record);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
