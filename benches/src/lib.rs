//! Benchmark inputs: deterministic SMEV 3 `SendRequestRequest` envelopes of a chosen size,
//! shaped like real traffic (several namespaces, attributes, Cyrillic text, references,
//! indentation, an XMLDSig signature with a base64 certificate).
#![forbid(unsafe_code)]

use std::fmt::Write;

const TYPES: &str = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.2";
const BASIC: &str = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.2";
const BIZ: &str = "urn://x-artefacts-fns-vipul-tosmv-ru/311-14/4.0.6";

/// Id of the signed element: the subset the benchmarks canonicalize.
pub const SIGNED_ID: &str = "SIGNED_BY_CONSUMER";

fn b64(n: usize, seed: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n)
        .map(|i| A[(i * 31 + seed * 7 + i / 5) % 64] as char)
        .collect()
}

/// An envelope of about `target` bytes (within a few hundred bytes).
pub fn envelope(target: usize) -> Vec<u8> {
    wrap(&records(target, wrap("").len()))
}

/// The same envelope without its signature, about `target` bytes once signed with a 1.6 KB
/// certificate: what `rsmev sign` and the signature benchmarks start from.
pub fn unsigned_envelope(target: usize) -> Vec<u8> {
    let fixed = wrap("").len();
    let doc = String::from_utf8(wrap(&records(target, fixed))).expect("UTF-8");
    let a = doc
        .find("      <ns:CallerInformationSystemSignature>")
        .expect("a signature slot");
    let b = doc
        .find("</ns:CallerInformationSystemSignature>\n")
        .expect("its end")
        + "</ns:CallerInformationSystemSignature>\n".len();
    format!("{}{}", &doc[..a], &doc[b..]).into_bytes()
}

fn records(target: usize, fixed: usize) -> String {
    let mut records = String::new();
    let mut i = 0;
    while records.len() + fixed + 300 < target {
        write!(
            records,
            "\n        <b:СвЮЛ ИНН=\"77{i:08}\" ОГРН=\"10277{i:08}\" ДатаОГРН=\"2002-07-{d:02}\">\n          \
             <b:НаимЮЛ НаимЮЛПолн=\"ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ &quot;РОМАШКА-{i}&quot;\"/>\n          \
             <b:Адрес Индекс=\"1{i:05}\" КодРегион=\"77\">г. Москва, ул. Тверская, д. {i} &amp; стр. 2</b:Адрес>\n          \
             <b:Сведения>Record {i}: values &lt; limits, status=active</b:Сведения>\n        </b:СвЮЛ>",
            d = i % 28 + 1
        )
        .unwrap_or(());
        i += 1;
    }
    records
}

fn wrap(records: &str) -> Vec<u8> {
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="{TYPES}" xmlns:ns2="{BASIC}">
  <soap:Body>
    <ns:SendRequestRequest>
      <ns:SenderProvidedRequestData Id="{SIGNED_ID}">
        <ns:MessageID>4f1a2b3c-1111-11f0-8000-0242ac120002</ns:MessageID>
        <ns2:MessagePrimaryContent>
      <b:Запрос xmlns:b="{BIZ}" ИдЗапрос="0001" НомерДела="БН">{records}
      </b:Запрос>
        </ns2:MessagePrimaryContent>
        <ns:TestMessage/>
      </ns:SenderProvidedRequestData>
      <ns:CallerInformationSystemSignature>
        <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
          <ds:SignedInfo>
            <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
            <ds:SignatureMethod Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"/>
            <ds:Reference URI="#{SIGNED_ID}">
              <ds:Transforms>
                <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
                <ds:Transform Algorithm="urn://smev-gov-ru/xmldsig/transform"/>
              </ds:Transforms>
              <ds:DigestMethod Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"/>
              <ds:DigestValue>{dv}</ds:DigestValue>
            </ds:Reference>
          </ds:SignedInfo>
          <ds:SignatureValue>{sv}</ds:SignatureValue>
          <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
        </ds:Signature>
      </ns:CallerInformationSystemSignature>
    </ns:SendRequestRequest>
  </soap:Body>
</soap:Envelope>
"##,
        dv = b64(44, 1),
        sv = b64(88, 2),
        cert = b64(1600, 3),
    )
    .into_bytes()
}

/// The corpus the benchmarks and the peer script share: (file name, bytes).
pub fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("env-4k.xml", envelope(4 << 10)),
        ("env-64k.xml", envelope(64 << 10)),
        ("env-1m.xml", envelope(1 << 20)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_parses_and_has_the_subset_at_the_right_size() {
        for ((name, doc), want) in corpus().into_iter().zip([4 << 10, 64 << 10, 1 << 20]) {
            rsmev_xml::check(&doc, &rsmev_xml::Limits::default()).unwrap();
            let opts = rsmev_c14n::Options::new(rsmev_c14n::Algorithm::Exclusive)
                .smev_transform(true)
                .subset(SIGNED_ID);
            assert!(
                !rsmev_c14n::canonicalize_to_vec(&doc, &opts)
                    .unwrap()
                    .is_empty()
            );
            let ratio = doc.len() as f64 / want as f64;
            assert!((0.9..1.1).contains(&ratio), "{name}: {} bytes", doc.len());
        }
    }
}
