//! The `rsmev` command. Subcommand names and flags are part of the product: see docs/cli.md.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rsmev_c14n::{Algorithm, Options};

mod dsig;
mod serve;

pub(crate) const USAGE: &str = "\
usage:
  rsmev serve --config FILE
  rsmev demo-provider --listen ADDR:PORT --key KEY --cert CERT [--delay-ms N]
  rsmev verify --trust CERT_OR_DIR [--profile smev3|smev2|any] [--allow-legacy]
               [--no-path-validation] [--max-signatures N] [--max-references N]
               [--digest-budget K] FILE
  rsmev sign --key KEY --cert CERT [--profile smev3|smev2|any] [--c14n URI] [--alg URI]
             [--id ID] [--actor URI] [--new-message-id] FILE
  rsmev c14n [--exclusive] [--c14n11] [--smev-transform] [--with-comments]
             [--inclusive-prefixes \"p1 p2\"] [--id ID] FILE
  rsmev bench verify --trust CERT_OR_DIR [the verify flags] [--seconds S] FILE
  rsmev bench c14n [the c14n flags] [--seconds S] FILE
  rsmev help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes, outermost first.
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("rsmev: {}", msg.join(": "));
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("serve") => serve::serve(&args[1..]),
        Some("demo-provider") => serve::demo_provider(&args[1..]),
        Some("c14n") => c14n(&args[1..]),
        Some("verify") => dsig::verify(&args[1..]),
        Some("sign") => dsig::sign(&args[1..]),
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("c14n") => bench_c14n(&args[2..]),
            Some("verify") => dsig::bench_verify(&args[2..]),
            other => bail!(
                "unknown benchmark {:?}; expected `c14n` or `verify`\n{USAGE}",
                other.unwrap_or("")
            ),
        },
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
        None => bail!("no command given\n{USAGE}"),
    }
}

struct C14nArgs {
    opts: Options,
    seconds: Option<f64>,
    file: String,
}

fn parse_c14n_args(args: &[String], allow_seconds: bool) -> Result<C14nArgs> {
    let mut exclusive = false;
    let mut c14n11 = false;
    let mut smev = false;
    let mut comments = false;
    let mut prefixes: Option<String> = None;
    let mut id: Option<String> = None;
    let mut seconds = None;
    let mut file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--exclusive" => exclusive = true,
            "--c14n11" => c14n11 = true,
            "--smev-transform" => smev = true,
            "--with-comments" => comments = true,
            "--inclusive-prefixes" => prefixes = Some(value("--inclusive-prefixes")?),
            "--id" => id = Some(value("--id")?),
            "--seconds" if allow_seconds => seconds = Some(parse_seconds(&value("--seconds")?)?),
            f if f.starts_with("--") => bail!("unknown flag `{f}`\n{USAGE}"),
            f => {
                if file.replace(f.to_string()).is_some() {
                    bail!("more than one FILE given");
                }
            }
        }
    }
    let file = file.context("no FILE given")?;
    if exclusive && c14n11 {
        bail!("--exclusive and --c14n11 exclude each other");
    }
    // The SMEV transform is applied after Exclusive C14N, as real messages declare it.
    let algorithm = if exclusive || smev {
        if c14n11 {
            bail!("--smev-transform follows Exclusive C14N; drop --c14n11");
        }
        Algorithm::Exclusive
    } else if c14n11 {
        Algorithm::C14n11
    } else {
        Algorithm::C14n10
    };
    let mut opts = Options::new(algorithm)
        .with_comments(comments)
        .smev_transform(smev);
    if let Some(p) = prefixes {
        if algorithm != Algorithm::Exclusive {
            bail!("--inclusive-prefixes needs --exclusive");
        }
        opts = opts.inclusive_prefixes(&p);
    }
    if let Some(id) = id {
        opts = opts.subset(id);
    }
    Ok(C14nArgs {
        opts,
        seconds,
        file,
    })
}

pub(crate) fn parse_seconds(s: &str) -> Result<f64> {
    let v: f64 = s
        .parse()
        .with_context(|| format!("--seconds {s:?} is not a number"))?;
    if !(v > 0.0 && v <= 3600.0) {
        bail!("--seconds must be between 0 and 3600");
    }
    Ok(v)
}

/// Reads at most `limit` bytes: a file that grows while being read is still refused.
pub(crate) fn read_file(path: &str, limit: usize) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?;
    let mut buf = Vec::new();
    #[allow(clippy::disallowed_methods)] // bounded by take()
    file.take(limit as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {path}"))?;
    if buf.len() > limit {
        bail!("{path} is over the size limit of {limit} bytes");
    }
    Ok(buf)
}

fn c14n(args: &[String]) -> Result<()> {
    let a = parse_c14n_args(args, false)?;
    let input = read_file(&a.file, a.opts.limits.max_size)?;
    let out = rsmev_c14n::canonicalize_to_vec(&input, &a.opts).with_context(|| a.file.clone())?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(())
}

fn bench_c14n(args: &[String]) -> Result<()> {
    let a = parse_c14n_args(args, true)?;
    let input = read_file(&a.file, a.opts.limits.max_size)?;
    let budget = Duration::from_secs_f64(a.seconds.unwrap_or(5.0));
    let mut out = Vec::with_capacity(input.len() * 2);
    // One untimed run so a broken document fails before the loop, not inside it.
    rsmev_c14n::canonicalize(&input, &a.opts, &mut out).with_context(|| a.file.clone())?;
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..8 {
            out.clear();
            rsmev_c14n::canonicalize(&input, &a.opts, &mut out).with_context(|| a.file.clone())?;
        }
        n += 8;
    }
    let secs = start.elapsed().as_secs_f64();
    let docs = n as f64 / secs;
    let mbs = docs * input.len() as f64 / 1e6;
    println!(
        "{}: {} bytes in, {} bytes out",
        a.file,
        input.len(),
        out.len()
    );
    println!("{docs:.0} docs/s");
    println!("{mbs:.1} MB/s");
    Ok(())
}
