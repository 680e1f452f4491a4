//! `rsmev verify`, `rsmev sign` and `rsmev bench verify`.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rsmev_c14n::Algorithm;
use rsmev_crypto::{PrivateKey, SignatureAlg, SoftwareSigner};
use rsmev_pki::{Certificate, TrustStore};
use rsmev_signature::{ChainStatus, Profile, SignOptions, SignaturePolicy, Stage, Trust, Verifier};

use crate::read_file;

const MAX_INPUT: usize = 64 << 20;
const MAX_KEY_FILE: usize = 1 << 20;

struct VerifyArgs {
    trust: Option<String>,
    profile: Profile,
    allow_legacy: bool,
    no_path: bool,
    policy: SignaturePolicy,
    seconds: Option<f64>,
    file: String,
}

/// A count limit: a positive integer.
fn parse_limit(name: &str, v: &str) -> Result<usize> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{name} {v:?}: expected a positive integer"),
    }
}

fn parse_verify(args: &[String], allow_seconds: bool) -> Result<VerifyArgs> {
    let mut a = VerifyArgs {
        trust: None,
        profile: Profile::Any,
        allow_legacy: false,
        no_path: false,
        policy: SignaturePolicy::default(),
        seconds: None,
        file: String::new(),
    };
    let mut file = None;
    let mut it = args.iter();
    while let Some(x) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match x.as_str() {
            "--trust" => a.trust = Some(value("--trust")?),
            "--profile" => {
                let p = value("--profile")?;
                a.profile = Profile::from_name(&p)
                    .with_context(|| format!("--profile {p:?}: expected smev3, smev2 or any"))?;
            }
            "--allow-legacy" => a.allow_legacy = true,
            "--no-path-validation" => a.no_path = true,
            "--max-signatures" => {
                a.policy.max_signatures =
                    parse_limit("--max-signatures", &value("--max-signatures")?)?
            }
            "--max-references" => {
                a.policy.max_references =
                    parse_limit("--max-references", &value("--max-references")?)?
            }
            "--digest-budget" => {
                a.policy.digest_budget = parse_limit("--digest-budget", &value("--digest-budget")?)?
            }
            "--seconds" if allow_seconds => {
                a.seconds = Some(crate::parse_seconds(&value("--seconds")?)?)
            }
            f if f.starts_with("--") => bail!("unknown flag `{f}`\n{}", crate::USAGE),
            f => {
                if file.replace(f.to_string()).is_some() {
                    bail!("more than one FILE given");
                }
            }
        }
    }
    a.file = file.context("no FILE given")?;
    if a.trust.is_none() && !a.no_path {
        bail!(
            "--trust CERT_OR_DIR is required (or --no-path-validation to check the cryptography only)"
        );
    }
    Ok(a)
}

fn verifier(a: &VerifyArgs) -> Result<Verifier> {
    let trust = if a.no_path {
        Trust::EmbeddedOnly
    } else {
        let path = a.trust.as_deref().expect("checked by parse_verify");
        let store = TrustStore::load(path).with_context(|| format!("--trust {path}"))?;
        Trust::Store(Arc::new(store))
    };
    Ok(Verifier::new(a.profile, trust)
        .allow_legacy(a.allow_legacy)
        .signature_policy(a.policy))
}

pub fn verify(args: &[String]) -> Result<()> {
    let a = parse_verify(args, false)?;
    let v = verifier(&a)?;
    let input = read_file(&a.file, MAX_INPUT)?;
    let report = v.check(&input).with_context(|| a.file.clone())?;
    let mut out = std::io::stdout().lock();
    for (i, s) in report.signatures.iter().enumerate() {
        let alg = s.algorithm.map_or("-", SignatureAlg::name);
        let signer = s
            .signer
            .as_ref()
            .map_or_else(|| "-".to_string(), |c| c.subject().to_string());
        let chain = match (&s.chain, a.no_path) {
            (_, true) => ChainStatus::NotChecked.to_string(),
            (c, false) => c.to_string(),
        };
        let verdict = match &s.result {
            Ok(()) => "OK".to_string(),
            Err(e) => {
                let code = e.fault_code();
                let not_checked = match s.stage {
                    // Refused before its cryptography: say so, rather than let the line read
                    // as if the SignatureValue had been found wrong.
                    Stage::BeforeCryptography => " (cryptography not checked)",
                    _ => "",
                };
                format!(
                    "FAILED [{} {}] {e}{not_checked}",
                    code.as_str(),
                    code.smev_code()
                )
            }
        };
        let origin = if s.origin { ", origin" } else { "" };
        writeln!(
            out,
            "signature {} ({}{origin}) refs {}: {verdict}; {alg}; signer: {signer}; {chain}",
            i + 1,
            s.role.label(),
            s.references.join(","),
        )?;
    }
    if report.tolerated_duplicate_ids > 0 {
        writeln!(
            out,
            "note: {} Id(s) carried by more than one element, referenced by nothing and outside \
             signed content: tolerated",
            report.tolerated_duplicate_ids
        )?;
    }
    out.flush()?;
    // The reason on stderr is the one the verdict lines give, in the order the verifier
    // refuses in: the first failed signature, else a message-level reason.
    let failed = report.signatures.iter().enumerate();
    if let Some((i, Err(e))) = failed
        .map(|(i, s)| (i, &s.result))
        .find(|(_, r)| r.is_err())
    {
        bail!("{}: signature {}: {e}", a.file, i + 1);
    }
    if let Err(e) = &report.required {
        bail!("{}: {e}", a.file);
    }
    Ok(())
}

pub fn bench_verify(args: &[String]) -> Result<()> {
    let a = parse_verify(args, true)?;
    let v = verifier(&a)?;
    let input = read_file(&a.file, MAX_INPUT)?;
    // One untimed run: a message that does not verify fails here, not inside the loop.
    v.verify(&input).with_context(|| a.file.clone())?;
    let budget = Duration::from_secs_f64(a.seconds.unwrap_or(5.0));
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..8 {
            v.verify(&input).with_context(|| a.file.clone())?;
        }
        n += 8;
    }
    let secs = start.elapsed().as_secs_f64();
    let msgs = n as f64 / secs;
    println!(
        "{}: {} bytes, profile {}",
        a.file,
        input.len(),
        a.profile.name()
    );
    println!("{msgs:.0} msgs/s");
    println!("{:.1} MB/s", msgs * input.len() as f64 / 1e6);
    Ok(())
}

pub fn sign(args: &[String]) -> Result<()> {
    let mut key = None;
    let mut cert = None;
    let mut profile = Profile::Smev3;
    let mut c14n = (Algorithm::Exclusive, false);
    let mut alg_uri: Option<String> = None;
    let mut id = None;
    let mut actor = None;
    let mut new_message_id = false;
    let mut file = None;
    let mut it = args.iter();
    while let Some(x) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match x.as_str() {
            "--key" => key = Some(value("--key")?),
            "--cert" => cert = Some(value("--cert")?),
            "--profile" => {
                let p = value("--profile")?;
                profile = Profile::from_name(&p)
                    .with_context(|| format!("--profile {p:?}: expected smev3, smev2 or any"))?;
            }
            "--c14n" => {
                let u = value("--c14n")?;
                c14n = Algorithm::from_uri(&u)
                    .with_context(|| format!("--c14n {u:?} is not a canonicalization URI"))?;
            }
            "--alg" => alg_uri = Some(value("--alg")?),
            "--id" => id = Some(value("--id")?),
            "--actor" => actor = Some(value("--actor")?),
            "--new-message-id" => new_message_id = true,
            f if f.starts_with("--") => bail!("unknown flag `{f}`\n{}", crate::USAGE),
            f => {
                if file.replace(f.to_string()).is_some() {
                    bail!("more than one FILE given");
                }
            }
        }
    }
    let file = file.context("no FILE given")?;
    let key_path = key.context("--key KEY is required")?;
    let cert_path = cert.context("--cert CERT is required")?;
    let key = PrivateKey::from_pem(&read_file(&key_path, MAX_KEY_FILE)?)
        .with_context(|| key_path.clone())?;
    let certificate = Certificate::from_pem(&read_file(&cert_path, MAX_KEY_FILE)?)
        .with_context(|| cert_path.clone())?;
    if certificate.public_key() != &key.public_key() {
        bail!("{cert_path} does not certify the key in {key_path}");
    }
    let alg = match alg_uri {
        Some(u) => SignatureAlg::from_uri(&u).with_context(|| format!("--alg {u}"))?,
        None => key.default_algorithm(),
    };
    let signer = SoftwareSigner::new(key, alg).context("--key")?;
    let mut opts = SignOptions::new(profile, &signer, certificate.der());
    opts.c14n = c14n.0;
    opts.c14n_with_comments = c14n.1;
    opts.id = id;
    opts.actor = actor;
    let mut input = read_file(&file, MAX_INPUT)?;
    if new_message_id {
        input = with_new_message_id(&input).with_context(|| file.clone())?;
    }
    let out = rsmev_signature::sign(&input, &opts).with_context(|| file.clone())?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

/// The document with the text of its first `MessageID` element (any prefix) replaced by a
/// fresh RFC 4122 version-1 UUID: gateways refuse a MessageID they have seen or an old one,
/// so a template can only be sent once as it is.
fn with_new_message_id(doc: &[u8]) -> Result<Vec<u8>> {
    let start = (0..doc.len())
        .filter(|&i| doc[i] == b'<')
        .find_map(|i| {
            let name_end = i + 1 + doc[i + 1..].iter().position(|&b| b == b'>')?;
            let name = &doc[i + 1..name_end];
            let local = name.rsplit(|&b| b == b':').next()?;
            (local == b"MessageID" && !name.contains(&b' ')).then_some(name_end + 1)
        })
        .context("--new-message-id: the document has no MessageID element")?;
    let len = doc[start..]
        .iter()
        .position(|&b| b == b'<')
        .context("--new-message-id: the MessageID element is not closed")?;
    let n = u64::from(std::process::id());
    let id = rsmev_gateway::node::message_id(std::time::SystemTime::now(), n);
    let mut out = Vec::with_capacity(doc.len());
    out.extend_from_slice(&doc[..start]);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&doc[start + len..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn new_message_id_replaces_the_first_message_id_only() {
        let doc = b"<a:X><a:MessageID>old</a:MessageID><MessageID>keep</MessageID></a:X>";
        let out = String::from_utf8(super::with_new_message_id(doc).unwrap()).unwrap();
        assert!(!out.contains(">old<") && out.contains(">keep<"), "{out}");
        let id = &out["<a:X><a:MessageID>".len().."<a:X><a:MessageID>".len() + 36];
        assert_eq!(&id[14..15], "1", "{id}");
        assert!(super::with_new_message_id(b"<a:X/>").is_err());
    }
}
